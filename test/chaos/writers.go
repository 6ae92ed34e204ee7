package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	controlplanev1beta1 "github.com/capt-controlplane/capt-controlplane/apis/controlplane/v1beta1"
	tfv1beta1 "github.com/capt-controlplane/capt-controlplane/apis/external/tf/v1beta1"
	cpac "github.com/capt-controlplane/capt-controlplane/applyconfig/controlplane/controlplane/v1beta1"
	"github.com/capt-controlplane/capt-controlplane/test/testenv"
)

// The hostile writers of status.workspaceStatus, each under its own field
// manager.
var hostileKinds = []string{
	"stale full status update",       // an old copy of the whole status, Status().Update
	"older client without the field", // decoded by a type lacking workspaceStatus, written back
	"merge patch to null",            // {"status":{"workspaceStatus":null}}
	"apply without force",            // another manager applies atProvider: refused with a conflict
	"apply with force",               // another manager takes atProvider
	"kubectl edit (replace)",         // GET, edit atProvider, PUT /status
}

// tally counts writes by kind and outcome.
type tally struct {
	mu     sync.Mutex
	counts map[string]map[string]int // kind → outcome → n
}

func (t *tally) add(kind, outcome string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.counts == nil {
		t.counts = map[string]map[string]int{}
	}
	if t.counts[kind] == nil {
		t.counts[kind] = map[string]int{}
	}
	t.counts[kind][outcome]++
}

func outcomeOf(err error) string {
	switch {
	case err == nil:
		return "accepted"
	case apierrors.IsConflict(err):
		return "conflict"
	default:
		return "failed (API server away)"
	}
}

// writers plays provider-terraform and the hostile writers.
type writers struct {
	c       client.Client
	ns      string
	names   []string // control planes
	check   *checker
	tally   *tally
	seq     []int
	seqMu   sync.Mutex
	stale   map[string]controlplanev1beta1.CAPTControlPlaneStatus // snapshots for the stale writer
	staleMu sync.Mutex
}

// workspaceOf is the key of control plane cp's Workspace, of the kind the
// run's template asks for (testenv.WorkspaceScope).
func workspaceOf(cp string) types.NamespacedName {
	return testenv.WorkspaceKey(namespace, cp+"-eks-controlplane")
}

// observationFor is the atProvider of change seq of a control plane.
// remoteSource is a field of provider-terraform v1's atProvider that no Go
// type of this project declares: the mirror must carry it all the same.
func observationFor(cp string, seq int) *runtime.RawExtension {
	raw, _ := json.Marshal(map[string]any{
		"checksum":     fmt.Sprintf("%s-%d", cp, seq),
		"remoteSource": fmt.Sprintf("git::https://example.com/eks.git?ref=v%d", seq),
		"outputs": map[string]any{
			"cluster_endpoint": "https://" + cp + ".eks.example.com",
			"cluster_name":     cp,
			"generation":       seq,
			"subnets":          []any{"subnet-a", "subnet-b", map[string]any{"az": "ap-northeast-1a", "public": false}},
		},
	})
	return &runtime.RawExtension{Raw: raw}
}

// observedValue is an observation as the checker compares it: canonical
// JSON, "" when empty.
func observedValue(obs *runtime.RawExtension) string {
	o := tfv1beta1.ObservationOf(obs)
	if o.IsEmpty() {
		return ""
	}
	return canonical(o.Raw())
}

// provide writes the Workspace's status as provider-terraform does
// (testenv.ProvideObservation). An empty observation is a gap.
func (w *writers) provide(ctx context.Context, cp string, obs *runtime.RawExtension) error {
	value := observedValue(obs)
	if value != "" {
		w.check.sendingWorkspace(cp, value)
	}
	err := testenv.ProvideOrGap(ctx, w.c, workspaceOf(cp), obs, nil)
	switch {
	case err == nil && value != "":
		w.check.wroteWorkspace(cp, value, value)
	case err != nil:
		// The write may have reached etcd even though the answer did not
		// (API server stopped, segment ended): learn what the Workspace holds.
		w.check.wroteWorkspace(cp, value, w.learn(cp))
	}
	return err
}

// learn reads the Workspace's atProvider (canonical JSON, "" when empty),
// waiting for the API server to come back if needed.
func (w *writers) learn(cp string) string {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	for {
		ws, err := testenv.GetWorkspace(ctx, w.c, workspaceOf(cp))
		if err == nil {
			return observedValue(ws.Observed().AtProvider)
		}
		if ctx.Err() != nil {
			return ""
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// churn changes a random Workspace. One change in ten is a gap instead: the
// provider restarts and writes an empty atProvider, then observes the same
// state again a second later (provider-terraform's gaps are brief).
func (w *writers) churn(_ context.Context, rng *rand.Rand) {
	cp := w.names[rng.IntN(len(w.names))]
	if rng.IntN(10) == 0 {
		w.tally.add("workspace gap (empty atProvider)", outcomeOf(w.provide(context.Background(), cp, nil)))
		time.Sleep(time.Second)
		w.tally.add("workspace re-observation after a gap", outcomeOf(w.reobserve(cp)))
		return
	}
	w.seqMu.Lock()
	i := indexOf(w.names, cp)
	w.seq[i]++
	seq := w.seq[i]
	w.seqMu.Unlock()
	w.tally.add("workspace change", outcomeOf(w.provide(context.Background(), cp, observationFor(cp, seq))))
}

// reobserve ends a gap: it writes the Workspace's current observation again
// until the write is stored. A gap always ends, quiet point or API server
// outage or not: the provider keeps reconciling until its status lands, and
// a gap the harness left open would be a loss no controller could repair
// (during it, only the Workspace holds the truth).
func (w *writers) reobserve(cp string) error {
	deadline := time.Now().Add(2 * time.Minute)
	for {
		w.seqMu.Lock()
		seq := w.seq[indexOf(w.names, cp)]
		w.seqMu.Unlock()
		err := w.provide(context.Background(), cp, observationFor(cp, seq))
		if err == nil || time.Now().After(deadline) {
			return err
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// hostile makes one hostile write of a random kind to a random control
// plane. The request is not cut short when the segment ends: a write the
// server took must be known, or its window could not be attributed.
func (w *writers) hostile(_ context.Context, rng *rand.Rand) {
	cp := w.names[rng.IntN(len(w.names))]
	kind := hostileKinds[rng.IntN(len(hostileKinds))]
	key := types.NamespacedName{Namespace: w.ns, Name: cp}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	sentAt := time.Now()
	rv, err := w.hostileWrite(ctx, kind, key)
	switch {
	case err == nil && rv != "":
		w.check.wroteHostile(cp, rv, kind)
	case err != nil && !apierrors.IsConflict(err):
		w.check.lostHostile(cp, kind, sentAt)
	}
	w.tally.add(kind, outcomeOf(err))
}

func (w *writers) hostileWrite(ctx context.Context, kind string, key types.NamespacedName) (string, error) {
	forged := runtime.RawExtension{Raw: []byte(`{"checksum":"forged","outputs":{"cluster_endpoint":"https://attacker.example.com"}}`)}
	switch kind {
	case "stale full status update":
		live := &controlplanev1beta1.CAPTControlPlane{}
		if err := w.c.Get(ctx, key, live); err != nil {
			return "", err
		}
		w.staleMu.Lock()
		old, had := w.stale[key.Name]
		w.stale[key.Name] = *live.Status.DeepCopy() // the next stale write uses this one
		w.staleMu.Unlock()
		if !had {
			old = controlplanev1beta1.CAPTControlPlaneStatus{Phase: controlplanev1beta1.PhaseCreating}
		}
		live.Status = old
		err := w.c.Status().Update(ctx, live, client.FieldOwner("stale-writer"))
		return live.ResourceVersion, err
	case "older client without the field":
		return testenv.WriteAsOlderClient(ctx, w.c, key)
	case "merge patch to null":
		return testenv.MergePatchWorkspaceStatusToNull(ctx, w.c, key)
	case "apply without force", "apply with force":
		ac := cpac.CAPTControlPlane(key.Name, key.Namespace).
			WithStatus(cpac.CAPTControlPlaneStatus().WithWorkspaceStatus(cpac.WorkspaceStatus().WithAtProvider(forged)))
		opts := []client.SubResourceApplyOption{client.FieldOwner("intruder")}
		if kind == "apply with force" {
			opts = []client.SubResourceApplyOption{client.FieldOwner("intruder-force"), client.ForceOwnership}
		}
		err := w.c.Status().Apply(ctx, ac, opts...)
		if ac.ResourceVersion != nil {
			return *ac.ResourceVersion, err
		}
		return "", err
	case "kubectl edit (replace)":
		u := &unstructured.Unstructured{}
		u.SetGroupVersionKind(controlplanev1beta1.GroupVersion.WithKind("CAPTControlPlane"))
		if err := w.c.Get(ctx, key, u); err != nil {
			return "", err
		}
		_ = unstructured.SetNestedField(u.Object, "edited-by-hand", "status", "workspaceStatus", "atProvider", "checksum")
		err := w.c.Status().Update(ctx, u, client.FieldOwner("kubectl-edit"))
		return u.GetResourceVersion(), err
	}
	return "", fmt.Errorf("unknown kind %q", kind)
}

// run drives churn and hostile writes at their rates until ctx ends.
func (w *writers) run(ctx context.Context, rng *rand.Rand, rate float64, write func(context.Context, *rand.Rand)) {
	if rate <= 0 {
		return
	}
	every(ctx, time.Duration(float64(time.Second)/rate), func() { write(ctx, rng) })
}

func indexOf(names []string, name string) int {
	for i, n := range names {
		if n == name {
			return i
		}
	}
	return -1
}
