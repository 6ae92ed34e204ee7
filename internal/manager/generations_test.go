package manager

import (
	"context"
	"net/http"
	"testing"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/cache"

	"github.com/capt-controlplane/capt-controlplane/internal/skeleton"
)

// syncedCache is a cache whose sync the test decides.
type syncedCache struct {
	cache.Cache
	synced bool
}

func (c syncedCache) WaitForCacheSync(context.Context) bool { return c.synced }

func probe(t *testing.T) *http.Request {
	r, err := http.NewRequestWithContext(t.Context(), http.MethodGet, "/readyz", nil)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestReadyFollowsTheCachesOfTheLeader(t *testing.T) {
	g := &Generations{CRDs: syncedCache{}}
	if g.Ready(probe(t)) == nil {
		t.Error("ready before the cache of CRDs synced")
	}
	g.CRDs = syncedCache{synced: true}
	if err := g.Ready(probe(t)); err != nil {
		t.Errorf("a standby (no generation ever started) is not ready: %v", err)
	}
	g.count.Store(1)
	if g.Ready(probe(t)) == nil {
		t.Error("ready between two generations")
	}
	gen := &generation{number: 1}
	g.current.Store(gen)
	if g.Ready(probe(t)) == nil {
		t.Error("ready before the generation's caches synced")
	}
	gen.synced.Store(true)
	if err := g.Ready(probe(t)); err != nil {
		t.Errorf("not ready with every cache synced: %v", err)
	}
}

func TestHealthyFailsWhileAReconcileIsHeld(t *testing.T) {
	g := &Generations{Wedged: 10 * time.Millisecond}
	if err := g.Healthy(probe(t)); err != nil {
		t.Fatalf("unhealthy with no reconcile running: %v", err)
	}
	done := skeleton.Running("stuck")
	time.Sleep(20 * time.Millisecond)
	if err := g.Healthy(probe(t)); err == nil {
		t.Error("healthy while a reconcile has run for longer than Wedged")
	}
	done()
	if err := g.Healthy(probe(t)); err != nil {
		t.Errorf("unhealthy once the reconcile returned: %v", err)
	}
}
