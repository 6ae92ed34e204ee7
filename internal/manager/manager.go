package manager

import (
	"context"
	"crypto/tls"
	"fmt"

	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	"sigs.k8s.io/controller-runtime/pkg/metrics/filters"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	"github.com/capt-controlplane/capt-controlplane/controllers/controlplane"
	"github.com/capt-controlplane/capt-controlplane/controllers/workspacestatus"
	"github.com/capt-controlplane/capt-controlplane/controllers/workspacetemplateapply"
	"github.com/capt-controlplane/capt-controlplane/internal/scheme"
)

// LeaderElectionID names the lease the replicas compete for.
const LeaderElectionID = "capt-controlplane-leader.controlplane.cluster.x-k8s.io"

// Controller is what every controller of the project offers.
type Controller interface {
	SetupWithManager(context.Context, ctrl.Manager, controller.Options) error
}

// Controllers are the three controllers bin/manager runs, configured by o.
func Controllers(o Options) map[string]Controller {
	return map[string]Controller{
		workspacestatus.ControllerName:        &workspacestatus.Reconciler{Namespace: o.Namespace, MaxAtProviderBytes: o.MaxAtProvider},
		controlplane.ControllerName:           &controlplane.Reconciler{},
		workspacetemplateapply.ControllerName: &workspacetemplateapply.Reconciler{},
	}
}

// ManagerOptions are the controller-runtime options of bin/manager: the
// scheme, the cache of CacheOptions, metrics, probes and leader election.
func ManagerOptions(o Options) (ctrl.Options, error) {
	cacheOptions, err := CacheOptions(o)
	if err != nil {
		return ctrl.Options{}, err
	}
	metricsOptions := metricsserver.Options{BindAddress: o.MetricsAddr, SecureServing: o.SecureMetrics}
	if !o.EnableHTTP2 {
		metricsOptions.TLSOpts = []func(*tls.Config){func(c *tls.Config) { c.NextProtos = []string{"http/1.1"} }}
	}
	if o.SecureMetrics {
		metricsOptions.FilterProvider = filters.WithAuthenticationAndAuthorization
	}
	return ctrl.Options{
		Scheme: scheme.New(),
		Cache:  cacheOptions,
		// A read from the cache waits until the cache holds this process's
		// own earlier writes of that object: a reconcile never decides from
		// a version older than its last apply, so it never sends that apply
		// again (a no-op on the server, but a request and, for the mirror, a
		// second restore). Every write we make is visible to our own cache
		// (see CacheOptions), so no read waits for a write it cannot see.
		Client:                  client.Options{Cache: &client.CacheOptions{EnableReadYourWritesConsistency: ptr.To(true)}},
		Metrics:                 metricsOptions,
		HealthProbeBindAddress:  o.ProbeAddr,
		LeaderElection:          o.LeaderElect,
		LeaderElectionID:        LeaderElectionID,
		LeaderElectionNamespace: o.LeaderElectionNS,
		// The lease is given up on shutdown so that a new leader takes over
		// at once instead of after the lease duration.
		LeaderElectionReleaseOnCancel: true,
		LeaseDuration:                 &o.LeaseDuration,
		RenewDeadline:                 &o.RenewDeadline,
		RetryPeriod:                   &o.RetryPeriod,
		GracefulShutdownTimeout:       &o.GracefulShutdown,
	}, nil
}

// Setup registers controllers with mgr, each with o.Concurrency workers.
func Setup(ctx context.Context, mgr ctrl.Manager, o Options, controllers map[string]Controller) error {
	for name, c := range controllers {
		if err := c.SetupWithManager(ctx, mgr, controller.Options{MaxConcurrentReconciles: o.Concurrency}); err != nil {
			return fmt.Errorf("setting up the %s controller: %w", name, err)
		}
	}
	return nil
}

// New builds bin/manager's manager on cfg: ManagerOptions, the three
// Controllers and the health probes. ctx bounds the controllers' setup.
func New(ctx context.Context, cfg *rest.Config, o Options) (ctrl.Manager, error) {
	mgrOptions, err := ManagerOptions(o)
	if err != nil {
		return nil, err
	}
	mgr, err := ctrl.NewManager(cfg, mgrOptions)
	if err != nil {
		return nil, fmt.Errorf("creating the manager: %w", err)
	}
	if err := Setup(ctx, mgr, o, Controllers(o)); err != nil {
		return nil, err
	}
	if err := mgr.AddHealthzCheck("healthz", healthz.Ping); err != nil {
		return nil, err
	}
	if err := mgr.AddReadyzCheck("readyz", healthz.Ping); err != nil {
		return nil, err
	}
	return mgr, nil
}
