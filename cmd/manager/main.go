// Command manager runs the capt-controlplane controllers.
package main

import (
	"context"
	"crypto/tls"
	"flag"
	"fmt"
	"os"
	"time"

	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/selection"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	"sigs.k8s.io/controller-runtime/pkg/metrics/filters"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	controlplanev1beta1 "github.com/capt-controlplane/capt-controlplane/apis/controlplane/v1beta1"
	tfv1beta1 "github.com/capt-controlplane/capt-controlplane/apis/external/tf/v1beta1"
	infrastructurev1beta1 "github.com/capt-controlplane/capt-controlplane/apis/infrastructure/v1beta1"
	"github.com/capt-controlplane/capt-controlplane/controllers/controlplane"
	"github.com/capt-controlplane/capt-controlplane/controllers/workspacestatus"
	"github.com/capt-controlplane/capt-controlplane/controllers/workspacetemplateapply"
	"github.com/capt-controlplane/capt-controlplane/internal/scheme"
)

// watchFilterLabel is Cluster API's label for running several controller
// instances side by side: each watches only objects labelled with its value.
const watchFilterLabel = "cluster.x-k8s.io/watch-filter"

type options struct {
	metricsAddr      string
	secureMetrics    bool
	probeAddr        string
	leaderElect      bool
	leaderElectionNS string
	namespace        string
	watchFilter      string
	concurrency      int
	syncPeriod       time.Duration
	gracefulShutdown time.Duration
	enableHTTP2      bool
	leaseDuration    time.Duration
	renewDeadline    time.Duration
	retryPeriod      time.Duration
	maxAtProvider    int
	zap              zap.Options
}

func parseFlags() options {
	var o options
	flag.StringVar(&o.metricsAddr, "metrics-bind-address", ":8443", "Address of the metrics endpoint (\"0\" disables it).")
	flag.BoolVar(&o.secureMetrics, "metrics-secure", true, "Serve metrics over HTTPS, for authenticated and authorized clients only.")
	flag.StringVar(&o.probeAddr, "health-probe-bind-address", ":8081", "Address of the health and readiness probes.")
	flag.BoolVar(&o.leaderElect, "leader-elect", false, "Elect a leader so that only one replica reconciles.")
	flag.StringVar(&o.leaderElectionNS, "leader-election-namespace", "", "Namespace of the leader election lease (default: the manager's own).")
	flag.StringVar(&o.namespace, "namespace", "", "Watch only this namespace (default: all).")
	flag.StringVar(&o.watchFilter, "watch-filter", "", fmt.Sprintf("Reconcile only objects labelled %s=<value>.", watchFilterLabel))
	flag.DurationVar(&o.leaseDuration, "leader-elect-lease-duration", 15*time.Second, "How long a standby waits before taking over a lease that is not renewed.")
	flag.DurationVar(&o.renewDeadline, "leader-elect-renew-deadline", 10*time.Second, "How long the leader retries renewing its lease before giving up leadership.")
	flag.DurationVar(&o.retryPeriod, "leader-elect-retry-period", 2*time.Second, "How often leader election clients act.")
	flag.IntVar(&o.maxAtProvider, "max-atprovider-bytes", workspacestatus.DefaultMaxAtProviderBytes, "Largest Workspace atProvider (JSON bytes) mirrored; a larger one is refused with an Event.")
	flag.IntVar(&o.concurrency, "concurrency", 4, "Control planes reconciled in parallel by each controller.")
	flag.DurationVar(&o.syncPeriod, "sync-period", 10*time.Hour, "How often every object is reconciled even without events.")
	flag.DurationVar(&o.gracefulShutdown, "graceful-shutdown-timeout", 30*time.Second, "How long running reconciles may take to finish on shutdown.")
	flag.BoolVar(&o.enableHTTP2, "enable-http2", false, "Serve metrics over HTTP/2 (off: HTTP/2 rapid reset mitigation).")
	o.zap = zap.Options{Development: false}
	o.zap.BindFlags(flag.CommandLine)
	flag.Parse()
	return o
}

func main() {
	o := parseFlags()
	ctrl.SetLogger(zap.New(zap.UseFlagOptions(&o.zap)))
	if err := run(o); err != nil {
		ctrl.Log.Error(err, "manager stopped")
		os.Exit(1)
	}
}

func run(o options) error {
	log := ctrl.Log.WithName("setup")
	cfg, err := ctrl.GetConfig()
	if err != nil {
		return fmt.Errorf("loading kubeconfig: %w", err)
	}

	cacheOptions, err := cacheOptionsFor(o)
	if err != nil {
		return err
	}
	metricsOptions := metricsserver.Options{
		BindAddress:   o.metricsAddr,
		SecureServing: o.secureMetrics,
	}
	if !o.enableHTTP2 {
		metricsOptions.TLSOpts = []func(*tls.Config){func(c *tls.Config) { c.NextProtos = []string{"http/1.1"} }}
	}
	if o.secureMetrics {
		metricsOptions.FilterProvider = filters.WithAuthenticationAndAuthorization
	}

	mgr, err := ctrl.NewManager(cfg, ctrl.Options{
		Scheme:                  scheme.New(),
		Cache:                   cacheOptions,
		Metrics:                 metricsOptions,
		HealthProbeBindAddress:  o.probeAddr,
		LeaderElection:          o.leaderElect,
		LeaderElectionID:        "capt-controlplane-leader.controlplane.cluster.x-k8s.io",
		LeaderElectionNamespace: o.leaderElectionNS,
		// The lease is given up on shutdown so that a new leader takes over
		// at once instead of after the lease duration.
		LeaderElectionReleaseOnCancel: true,
		LeaseDuration:                 &o.leaseDuration,
		RenewDeadline:                 &o.renewDeadline,
		RetryPeriod:                   &o.retryPeriod,
		GracefulShutdownTimeout:       &o.gracefulShutdown,
	})
	if err != nil {
		return fmt.Errorf("creating the manager: %w", err)
	}

	ctx := ctrl.SetupSignalHandler()
	controllers := map[string]interface {
		SetupWithManager(context.Context, ctrl.Manager, controller.Options) error
	}{
		workspacestatus.ControllerName:        &workspacestatus.Reconciler{Namespace: o.namespace, MaxAtProviderBytes: o.maxAtProvider},
		controlplane.ControllerName:           &controlplane.Reconciler{},
		workspacetemplateapply.ControllerName: &workspacetemplateapply.Reconciler{},
	}
	for name, c := range controllers {
		if err := c.SetupWithManager(ctx, mgr, controller.Options{MaxConcurrentReconciles: o.concurrency}); err != nil {
			return fmt.Errorf("setting up the %s controller: %w", name, err)
		}
	}

	if err := mgr.AddHealthzCheck("healthz", healthz.Ping); err != nil {
		return err
	}
	if err := mgr.AddReadyzCheck("readyz", healthz.Ping); err != nil {
		return err
	}
	log.Info("starting manager", "namespace", o.namespace, "watchFilter", o.watchFilter, "leaderElect", o.leaderElect)
	return mgr.Start(ctx)
}

// cacheOptionsFor caches only what the controllers read: the namespace and
// watch filter restrict the namespaced kinds, and Workspaces and applies are
// cached without managedFields (large, never read). Control planes keep
// theirs: the no-op comparison reads them.
func cacheOptionsFor(o options) (cache.Options, error) {
	stripManagedFields := cache.TransformStripManagedFields()
	opts := cache.Options{
		SyncPeriod: &o.syncPeriod,
		ByObject: map[client.Object]cache.ByObject{
			&tfv1beta1.Workspace{}:                          {Transform: stripManagedFields},
			&infrastructurev1beta1.WorkspaceTemplateApply{}: {Transform: stripManagedFields},
			&controlplanev1beta1.CAPTControlPlane{}:         {},
		},
	}
	if o.namespace != "" {
		opts.DefaultNamespaces = map[string]cache.Config{o.namespace: {}}
	}
	if o.watchFilter != "" {
		req, err := labels.NewRequirement(watchFilterLabel, selection.Equals, []string{o.watchFilter})
		if err != nil {
			return opts, fmt.Errorf("--watch-filter: %w", err)
		}
		for _, obj := range []client.Object{&controlplanev1beta1.CAPTControlPlane{}, &infrastructurev1beta1.WorkspaceTemplateApply{}} {
			byObject := opts.ByObject[obj]
			byObject.Label = labels.NewSelector().Add(*req)
			opts.ByObject[obj] = byObject
		}
	}
	return opts, nil
}
