package manager

import (
	"crypto/tls"
	"strings"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/metrics/filters"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	"github.com/capt-controlplane/capt-controlplane/internal/scheme"
)

// LeaderElectionID names the lease the replicas compete for.
const LeaderElectionID = "capt-controlplane-leader.controlplane.cluster.x-k8s.io"

// LeaderElectionIDFor names the lease of the managers of one watch-filter
// shard: managers sharded with --watch-filter each elect their own leader,
// or only one shard would ever run.
func LeaderElectionIDFor(watchFilter string) string {
	if watchFilter == "" {
		return LeaderElectionID
	}
	shard := strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '-', r == '.':
			return r
		case r >= 'A' && r <= 'Z':
			return r + ('a' - 'A')
		default:
			return '-'
		}
	}, watchFilter)
	return "capt-controlplane-leader-" + shard + ".controlplane.cluster.x-k8s.io"
}

// RuntimeOptions are the controller-runtime options of the controllers'
// manager: the scheme, the cache of CacheOptions, metrics, probes and
// leader election (a generation of bin/manager turns the last three off:
// the process manager has them, ProcessOptions).
func RuntimeOptions(o Options, served Served) (ctrl.Options, error) {
	cacheOptions, err := CacheOptions(o, served)
	if err != nil {
		return ctrl.Options{}, err
	}
	opts := processOptions(o)
	opts.Cache = cacheOptions
	// A read from the cache waits until the cache holds this process's
	// own earlier writes of that object: a reconcile never decides from
	// a version older than its last apply, so it never sends that apply
	// again (a no-op on the server, but a request and, for the mirror, a
	// second restore). Every write we make is visible to our own cache
	// (see CacheOptions), so no read waits for a write it cannot see.
	opts.Client = client.Options{Cache: &client.CacheOptions{EnableReadYourWritesConsistency: ptr.To(true)}}
	return opts, nil
}

// ProcessOptions are the options of bin/manager's process manager: leader
// election, metrics and probes, and a cache of the CustomResourceDefinitions
// Generations follows, without their schemas. Its one leader-election
// runnable runs the controllers (Generations).
func ProcessOptions(o Options) ctrl.Options {
	opts := processOptions(o)
	opts.Cache = cache.Options{ByObject: map[client.Object]cache.ByObject{
		&apiextensionsv1.CustomResourceDefinition{}: {Transform: trimCRD},
	}}
	return opts
}

// trimCRD keeps of a CRD what Generations reads: its metadata (without
// managedFields) and its conditions. A Crossplane cluster has hundreds of
// CRDs, most of them schemas.
func trimCRD(in any) (any, error) {
	if crd, ok := in.(*apiextensionsv1.CustomResourceDefinition); ok {
		crd.ManagedFields = nil
		crd.Annotations = nil
		crd.Spec = apiextensionsv1.CustomResourceDefinitionSpec{}
		crd.Status = apiextensionsv1.CustomResourceDefinitionStatus{Conditions: crd.Status.Conditions}
	}
	return in, nil
}

func processOptions(o Options) ctrl.Options {
	metricsOptions := metricsserver.Options{BindAddress: o.MetricsAddr, SecureServing: o.SecureMetrics}
	if !o.EnableHTTP2 {
		metricsOptions.TLSOpts = []func(*tls.Config){func(c *tls.Config) { c.NextProtos = []string{"http/1.1"} }}
	}
	if o.SecureMetrics {
		metricsOptions.FilterProvider = filters.WithAuthenticationAndAuthorization
	}
	return ctrl.Options{
		Scheme:                  scheme.New(),
		Metrics:                 metricsOptions,
		HealthProbeBindAddress:  o.ProbeAddr,
		PprofBindAddress:        o.PprofAddr,
		LeaderElection:          o.LeaderElect,
		LeaderElectionID:        LeaderElectionIDFor(o.WatchFilter),
		LeaderElectionNamespace: o.LeaderElectionNS,
		// The lease is given up on shutdown so that a new leader takes over
		// at once instead of after the lease duration.
		LeaderElectionReleaseOnCancel: true,
		LeaseDuration:                 &o.LeaseDuration,
		RenewDeadline:                 &o.RenewDeadline,
		RetryPeriod:                   &o.RetryPeriod,
		GracefulShutdownTimeout:       &o.GracefulShutdown,
	}
}

// RESTConfig is cfg as bin/manager talks to the API server: without gzip
// unless --kube-api-compression asks for it. The API server compresses an
// informer's watch-list stream one event at a time (a gzip member per
// event), so every change the manager watches costs a compression there and
// a decompression here, for events of a few KiB on what is in a cluster a
// fast link. Measured in docs/benchmarks-client.md.
func RESTConfig(cfg *rest.Config, o Options) *rest.Config {
	cfg = rest.CopyConfig(cfg)
	cfg.DisableCompression = !o.APICompression
	return cfg
}
