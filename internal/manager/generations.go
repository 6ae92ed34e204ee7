package manager

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/client-go/rest"
	toolscache "k8s.io/client-go/tools/cache"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/apiutil"
	"sigs.k8s.io/controller-runtime/pkg/config"
	"sigs.k8s.io/controller-runtime/pkg/manager"

	"github.com/capt-controlplane/capt-controlplane/internal/skeleton"
)

// FollowedCRDs are the CustomResourceDefinitions of other projects whose
// kinds the controllers watch: a change of any of them (installed, established,
// a new schema, deleted) starts a new generation.
var FollowedCRDs = []string{
	"workspaces.tf.upbound.io",
	"workspaces.tf.m.upbound.io",
	"clusters.cluster.x-k8s.io",
}

// settle is how long the followed CRDs must stay unchanged before a new
// generation starts: a package manager installs and upgrades a provider's
// CRDs one after another, within a fraction of a second.
const settle = 300 * time.Millisecond

// +kubebuilder:rbac:groups=apiextensions.k8s.io,resources=customresourcedefinitions,verbs=get;list;watch

// Generations runs the controllers in generations. A generation is a
// controller-runtime manager built for the kinds served when it starts —
// its cache, its watches, the schemas it validates against — and it ends
// when a followed CRD changes, for the next one to start from a fresh
// discovery and fresh informers. That is what a restart of the process
// would do, without the restart: Crossplane, provider-terraform and
// Cluster API can be installed, upgraded and removed in any order under a
// running manager. A new generation lists every object again, so nothing
// a watch delivered under an old schema survives it.
//
// It is a leader-election runnable of the process's manager, which keeps
// the leader election, the metrics and probe servers and the cache of CRDs
// across generations.
type Generations struct {
	// Config is the REST configuration of every generation.
	Config *rest.Config
	// Options are the manager's flags.
	Options Options
	// CRDs reads the followed CRDs (the process manager's cache).
	CRDs cache.Cache
	// Setup adds the controllers to a generation's manager.
	Setup func(ctx context.Context, mgr ctrl.Manager) error
	// Wedged is how long a reconcile may run before the process is not
	// live; 0 is DefaultWedged.
	Wedged time.Duration

	// changed is signalled on every event of a followed CRD.
	changed chan struct{}
	// current is the running generation; nil between two.
	current atomic.Pointer[generation]
	count   atomic.Int64
	once    sync.Once
}

// generation is one manager and what it was built for.
type generation struct {
	number      int64
	fingerprint string
	synced      atomic.Bool
}

var _ manager.LeaderElectionRunnable = &Generations{}

// NeedLeaderElection is true: only the leader runs controllers.
func (g *Generations) NeedLeaderElection() bool { return true }

// Watch registers the CRD event handler; call it before the process
// manager starts.
func (g *Generations) Watch(ctx context.Context) error {
	g.once.Do(func() { g.changed = make(chan struct{}, 1) })
	informer, err := g.CRDs.GetInformer(ctx, &apiextensionsv1.CustomResourceDefinition{})
	if err != nil {
		return fmt.Errorf("watching CustomResourceDefinitions: %w", err)
	}
	notify := func(obj any) {
		if crd, ok := obj.(*apiextensionsv1.CustomResourceDefinition); ok && !followed(crd.Name) {
			return
		}
		select {
		case g.changed <- struct{}{}:
		default:
		}
	}
	_, err = informer.AddEventHandler(toolscache.ResourceEventHandlerFuncs{
		AddFunc:    notify,
		UpdateFunc: func(_, obj any) { notify(obj) },
		DeleteFunc: notify,
	})
	return err
}

func followed(name string) bool {
	for _, f := range FollowedCRDs {
		if f == name {
			return true
		}
	}
	return false
}

// Start runs generations until ctx ends.
func (g *Generations) Start(ctx context.Context) error {
	log := ctrl.LoggerFrom(ctx).WithName("generations")
	for {
		fingerprint, err := g.fingerprint(ctx)
		if err != nil {
			return err
		}
		gen := &generation{number: g.count.Add(1), fingerprint: fingerprint}
		genCtx, stop := context.WithCancel(ctx)
		done := make(chan error, 1)
		mgr, err := g.build(genCtx, gen)
		if err != nil {
			stop()
			// A CRD half installed, an API server that does not answer:
			// the next change of a followed CRD, or a minute, tries again.
			log.Error(err, "building the controllers; trying again on the next change of a followed CRD", "generation", gen.number)
			if !g.waitForChange(ctx, fingerprint, time.Minute) {
				return nil
			}
			continue
		}
		log.Info("starting controllers", "generation", gen.number, "crds", fingerprint)
		g.current.Store(gen)
		go func() { done <- mgr.Start(genCtx) }()

		changed := false
		select {
		case <-ctx.Done():
			stop()
			err = <-done
		case err = <-done:
			stop()
		case <-g.changes(genCtx, fingerprint):
			changed = true
			stop()
			err = <-done
		}
		g.current.Store(nil)
		if ctx.Err() != nil {
			return err // the process stops: the generation's shutdown
		}
		switch {
		case changed:
			log.Info("a followed CRD changed; starting a new generation", "generation", gen.number)
		case err != nil:
			log.Error(err, "the controllers stopped; starting a new generation", "generation", gen.number)
			if !g.waitForChange(ctx, fingerprint, 5*time.Second) {
				return nil
			}
		}
	}
}

// changes is closed when the followed CRDs differ from fingerprint, after
// they settled.
func (g *Generations) changes(ctx context.Context, fingerprint string) <-chan struct{} {
	out := make(chan struct{})
	go func() {
		if g.waitForChange(ctx, fingerprint, 0) {
			close(out)
		}
	}()
	return out
}

// waitForChange waits until the followed CRDs differ from fingerprint and
// settled, or until timeout (0: none) passes; false when ctx ended.
func (g *Generations) waitForChange(ctx context.Context, fingerprint string, timeout time.Duration) bool {
	var expired <-chan time.Time
	if timeout > 0 {
		expired = time.After(timeout)
	}
	for {
		select {
		case <-ctx.Done():
			return false
		case <-expired:
			return true
		case <-g.changed:
		}
		// Settle: more events of the same install or upgrade reset it.
		for quiet := false; !quiet; {
			select {
			case <-ctx.Done():
				return false
			case <-g.changed:
			case <-time.After(settle):
				quiet = true
			}
		}
		now, err := g.fingerprint(ctx)
		if err != nil || now != fingerprint {
			return true
		}
	}
}

// fingerprint says what the followed CRDs are now: each one's uid,
// generation (a new schema is a new generation) and whether it is
// established.
func (g *Generations) fingerprint(ctx context.Context) (string, error) {
	var parts []string
	for _, name := range FollowedCRDs {
		crd := &apiextensionsv1.CustomResourceDefinition{}
		switch err := g.CRDs.Get(ctx, client.ObjectKey{Name: name}, crd); {
		case client.IgnoreNotFound(err) != nil:
			return "", fmt.Errorf("reading CustomResourceDefinition %s: %w", name, err)
		case err != nil:
			continue
		}
		established := false
		for _, c := range crd.Status.Conditions {
			if c.Type == apiextensionsv1.Established && c.Status == apiextensionsv1.ConditionTrue {
				established = true
			}
		}
		if crd.DeletionTimestamp != nil || !established {
			continue
		}
		parts = append(parts, fmt.Sprintf("%s/%s/%d", name, crd.UID, crd.Generation))
	}
	sort.Strings(parts)
	return strings.Join(parts, ","), nil
}

// build makes a generation's manager: the process's options without the
// servers and leader election the process manager keeps, a REST mapper of
// its own (fresh discovery) and the cache for what is served now.
func (g *Generations) build(ctx context.Context, gen *generation) (ctrl.Manager, error) {
	httpClient, err := rest.HTTPClientFor(g.Config)
	if err != nil {
		return nil, err
	}
	mapper, err := apiutil.NewDynamicRESTMapper(g.Config, httpClient)
	if err != nil {
		return nil, err
	}
	o := g.Options
	o.MetricsAddr, o.ProbeAddr, o.PprofAddr, o.LeaderElect = "0", "0", "0", false
	opts, err := RuntimeOptions(o, ServedBy(mapper))
	if err != nil {
		return nil, err
	}
	opts.MapperProvider = func(*rest.Config, *http.Client) (meta.RESTMapper, error) { return mapper, nil }
	// Each generation registers the same controllers again.
	opts.Controller = config.Controller{SkipNameValidation: ptr.To(true)}
	mgr, err := ctrl.NewManager(g.Config, opts)
	if err != nil {
		return nil, fmt.Errorf("creating the manager: %w", err)
	}
	if err := g.Setup(ctx, mgr); err != nil {
		return nil, err
	}
	// Runs once the caches have synced (controller-runtime starts caches
	// first and waits for them).
	if err := mgr.Add(manager.RunnableFunc(func(context.Context) error {
		gen.synced.Store(true)
		return nil
	})); err != nil {
		return nil, err
	}
	return mgr, nil
}

// Ready is the readiness check: the cache of CRDs has synced, and the
// leader's controllers' caches have (a standby runs none).
func (g *Generations) Ready(req *http.Request) error {
	ctx, cancel := context.WithTimeout(req.Context(), time.Second)
	defer cancel()
	if !g.CRDs.WaitForCacheSync(ctx) {
		return errors.New("the cache of CustomResourceDefinitions has not synced")
	}
	if g.count.Load() == 0 {
		return nil // not leading (yet)
	}
	gen := g.current.Load()
	switch {
	case gen == nil:
		return errors.New("between two generations of the controllers")
	case !gen.synced.Load():
		return fmt.Errorf("the caches of generation %d are not synced", gen.number)
	}
	return nil
}

// Healthy is the liveness check: it fails while a reconcile has run for
// longer than Wedged (skeleton.Oldest), which no reconcile should.
func (g *Generations) Healthy(*http.Request) error {
	wedged := g.Wedged
	if wedged == 0 {
		wedged = DefaultWedged
	}
	if name, age := skeleton.Oldest(); age > wedged {
		return fmt.Errorf("a reconcile of %s has run for %s", name, age.Round(time.Second))
	}
	return nil
}

// DefaultWedged is how long a reconcile may run before the manager is not
// live: far longer than any reconcile takes (a few API requests).
const DefaultWedged = 5 * time.Minute
