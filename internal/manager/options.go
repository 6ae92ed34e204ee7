// Package manager holds what the controller manager bin/manager runs is
// built from: its flags (Options), its controller-runtime options and cache
// configuration (RuntimeOptions, CacheOptions) and its REST client
// configuration. cmd/manager wires the four controllers into it. Tests use
// the same package, so that what they prove holds for the binary users run.
package manager

import (
	"flag"
	"fmt"
	"time"

	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
)

// Options are the manager's flags.
type Options struct {
	MetricsAddr      string
	SecureMetrics    bool
	ProbeAddr        string
	PprofAddr        string
	LeaderElect      bool
	LeaderElectionNS string
	Namespace        string
	WatchFilter      string
	Concurrency      int
	SyncPeriod       time.Duration
	GracefulShutdown time.Duration
	EnableHTTP2      bool
	LeaseDuration    time.Duration
	RenewDeadline    time.Duration
	RetryPeriod      time.Duration
	MaxAtProvider    int
	APICompression   bool
	Zap              zap.Options
}

// DefaultOptions are the flags' defaults.
func DefaultOptions() Options {
	fs := flag.NewFlagSet("defaults", flag.ContinueOnError)
	var o Options
	o.BindFlags(fs)
	return o
}

// BindFlags registers every flag on fs, with its default in o.
func (o *Options) BindFlags(fs *flag.FlagSet) {
	fs.StringVar(&o.MetricsAddr, "metrics-bind-address", ":8443", "Address of the metrics endpoint (\"0\" disables it).")
	fs.BoolVar(&o.SecureMetrics, "metrics-secure", true, "Serve metrics over HTTPS, for authenticated and authorized clients only.")
	fs.StringVar(&o.ProbeAddr, "health-probe-bind-address", ":8081", "Address of the health and readiness probes.")
	fs.StringVar(&o.PprofAddr, "pprof-bind-address", "0", "Address of Go's pprof endpoints, for profiling (\"0\": off).")
	fs.BoolVar(&o.LeaderElect, "leader-elect", false, "Elect a leader so that only one replica reconciles.")
	fs.StringVar(&o.LeaderElectionNS, "leader-election-namespace", "", "Namespace of the leader election lease (default: the manager's own).")
	fs.StringVar(&o.Namespace, "namespace", "", "Watch only this namespace (default: all).")
	fs.StringVar(&o.WatchFilter, "watch-filter", "", fmt.Sprintf("Reconcile only objects labelled %s=<value> (Cluster API's way of running several managers side by side).", clusterv1.WatchLabel))
	fs.DurationVar(&o.LeaseDuration, "leader-elect-lease-duration", 15*time.Second, "How long a standby waits before taking over a lease that is not renewed.")
	fs.DurationVar(&o.RenewDeadline, "leader-elect-renew-deadline", 10*time.Second, "How long the leader retries renewing its lease before giving up leadership.")
	fs.DurationVar(&o.RetryPeriod, "leader-elect-retry-period", 2*time.Second, "How often leader election clients act.")
	fs.IntVar(&o.MaxAtProvider, "max-atprovider-bytes", 0, "Largest Workspace atProvider (JSON bytes) mirrored; a larger one is refused with an Event (0: the default, 1 MiB).")
	fs.IntVar(&o.Concurrency, "concurrency", 4, "Control planes reconciled in parallel by each controller.")
	fs.DurationVar(&o.SyncPeriod, "sync-period", 10*time.Hour, "How often every object is reconciled even without events.")
	fs.DurationVar(&o.GracefulShutdown, "graceful-shutdown-timeout", 30*time.Second, "How long running reconciles may take to finish on shutdown.")
	fs.BoolVar(&o.APICompression, "kube-api-compression", false, "Ask the API server for gzipped responses. It gzips every event of an informer's watch stream on its own, which costs both sides CPU for each event; worth it only over a slow link.")
	fs.BoolVar(&o.EnableHTTP2, "enable-http2", false, "Serve metrics over HTTP/2 (off: HTTP/2 rapid reset mitigation).")
	o.Zap = zap.Options{Development: false}
	o.Zap.BindFlags(fs)
}
