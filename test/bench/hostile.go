package main

import (
	"context"
	"math/rand/v2"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	controlplanev1beta1 "github.com/capt-controlplane/capt-controlplane/apis/controlplane/v1beta1"
	"github.com/capt-controlplane/capt-controlplane/test/testenv"
)

// The hostile writes of workload 7: the writes under which a mirror kept by
// Update or MergeFrom is lost, each under its own field manager.
const (
	hostileStale = "stale full status update"       // a copy of the status read when the workload began, written back whole
	hostileOlder = "older client without the field" // decoded by a type lacking workspaceStatus, written back
	hostileNull  = "merge patch to null"            // {"status":{"workspaceStatus":null}}
	hostileGap   = "workspace gap"                  // the provider reports an empty atProvider, then the same state a second later
)

var hostileKinds = []string{hostileStale, hostileOlder, hostileNull, hostileGap}

// gapLength is how long a Workspace gap lasts: provider-terraform's gaps
// (a restart, a failed plan) are brief.
const gapLength = time.Second

// hostileSettle is how long the writer has, once the stream ends, to repair
// what it has not yet; what is still behind after it is a permanent loss.
const hostileSettle = 10 * time.Second

// hostileWrite is one write of the seeded stream.
type hostileWrite struct {
	at   time.Duration // since the workload began
	kind string
	i    int // control plane
}

// hostileStream is the stream every writer gets: the same seed, rate,
// duration and N give the same writes at the same offsets.
func hostileStream(seed uint64, n int, rate float64, d time.Duration) []hostileWrite {
	rng := rand.New(rand.NewPCG(seed, uint64(n)))
	var out []hostileWrite
	interval := time.Duration(float64(time.Second) / rate)
	for at := time.Duration(0); at < d; at += interval {
		out = append(out, hostileWrite{at: at, kind: hostileKinds[rng.IntN(len(hostileKinds))], i: rng.IntN(n)})
	}
	return out
}

// hostile is workload 7: churn at the churn rate while the seeded stream of
// hostile writes runs; then the writer gets a settling time to repair, and
// every control plane still not mirroring its latest observation is a
// permanent loss.
func (w *workload) hostile(ctx context.Context) (int, error) {
	o := w.h.o
	stale, err := w.statuses(ctx)
	if err != nil {
		return 0, err
	}
	w.hostileWrites = map[string]int{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	start := time.Now()
	for _, hw := range hostileStream(uint64(o.seed), w.n, o.hostileRate, o.hostileFor) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			time.Sleep(time.Until(start.Add(hw.at)))
			if w.hostileWrite(ctx, hw, stale[cpName(hw.i)]) == nil {
				mu.Lock()
				w.hostileWrites[hw.kind]++
				mu.Unlock()
			}
		}()
	}
	// The churn's own seed: every writer gets the same changes too.
	changes, err := w.changeAtRate(ctx, rand.New(rand.NewPCG(uint64(o.seed), uint64(w.n)+1)), start.Add(o.hostileFor))
	wg.Wait()
	if err != nil {
		return changes, err
	}
	// A writer that repairs on the next watch event needs well under this;
	// a writer that repairs only on its resync (hours in a cluster) does not.
	w.tracker.waitBehind(w.n, w.seq, hostileSettle)
	w.permanent, err = w.behind(ctx)
	return changes, err
}

// hostileWrite sends one hostile write; an error is a write the API server
// did not take (a conflict: the object moved since it was read).
func (w *workload) hostileWrite(ctx context.Context, hw hostileWrite, stale controlplanev1beta1.CAPTControlPlaneStatus) error {
	key := types.NamespacedName{Namespace: w.ns, Name: cpName(hw.i)}
	w.tracker.hostile(key.Name, hw.kind)
	switch hw.kind {
	case hostileStale:
		live := &controlplanev1beta1.CAPTControlPlane{}
		if err := w.h.c.Get(ctx, key, live); err != nil {
			return err
		}
		live.Status = *stale.DeepCopy()
		return w.h.c.Status().Update(ctx, live, client.FieldOwner("stale-writer"))
	case hostileOlder:
		_, err := testenv.WriteAsOlderClient(ctx, w.h.c, key)
		return err
	case hostileNull:
		_, err := testenv.MergePatchWorkspaceStatusToNull(ctx, w.h.c, key)
		return err
	default:
		return w.gap(ctx, hw.i)
	}
}

// gap empties Workspace i's atProvider, then reports its current state
// again after gapLength (a change in between ends the gap early).
func (w *workload) gap(ctx context.Context, i int) error {
	w.locks[i].Lock()
	err := w.provide(ctx, i, nil, func() {})
	w.locks[i].Unlock()
	if err != nil {
		return err
	}
	time.Sleep(gapLength)
	w.locks[i].Lock()
	defer w.locks[i].Unlock()
	w.mu.Lock()
	seq := w.seq[i]
	w.mu.Unlock()
	return w.provide(ctx, i, observation(seq, w.h.o.outputBytes), func() {})
}

// statuses reads every control plane's status, for the stale writer.
func (w *workload) statuses(ctx context.Context) (map[string]controlplanev1beta1.CAPTControlPlaneStatus, error) {
	list := &controlplanev1beta1.CAPTControlPlaneList{}
	if err := w.h.c.List(ctx, list, client.InNamespace(w.ns)); err != nil {
		return nil, err
	}
	out := make(map[string]controlplanev1beta1.CAPTControlPlaneStatus, len(list.Items))
	for _, cp := range list.Items {
		out[cp.Name] = cp.Status
	}
	return out, nil
}

// behind counts, from a fresh list, the control planes whose mirror is not
// their Workspace's latest observation.
func (w *workload) behind(ctx context.Context) (int, error) {
	list := &controlplanev1beta1.CAPTControlPlaneList{}
	if err := w.h.c.List(ctx, list, client.InNamespace(w.ns)); err != nil {
		return 0, err
	}
	mirrored := map[string]int{}
	for _, cp := range list.Items {
		mirrored[cp.Name] = mirroredSeq(&cp)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	behind := 0
	for i := range w.n {
		if mirrored[cpName(i)] != w.seq[i] {
			behind++
		}
	}
	return behind, nil
}
