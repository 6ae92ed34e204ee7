package skeleton

import (
	"context"
	"errors"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
)

var key = types.NamespacedName{Namespace: "ns", Name: "cp"}

func at(uid, rv string) *corev1.ConfigMap {
	return &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: key.Namespace, Name: key.Name, UID: types.UID(uid), ResourceVersion: rv}}
}

func TestMemoryHoldsExactlyTheSettledInputs(t *testing.T) {
	var m Memory
	settled := &Inputs{}
	settled.Add(Self, at("u", "5"))
	settled.Add("apply", at("a", "15"))
	settled.Add("workspace", nil)
	settled.Note("migration", false)
	if m.Holds(key, settled) {
		t.Fatal("nothing stored, yet held")
	}
	m.Store(key, settled)
	for _, c := range []struct {
		name string
		edit func(*Inputs)
		want bool
	}{
		{"the same versions", func(*Inputs) {}, true},
		{"one newer version", func(in *Inputs) { in.entries[1].version = "a@16" }, false},
		{"an absent input appears", func(in *Inputs) { in.entries[2].version = "w@1" }, false},
		{"a fact changes", func(in *Inputs) { in.entries[3].version = "true" }, false},
		{"one input more", func(in *Inputs) { in.Add("cluster", nil) }, false},
		{"one input fewer", func(in *Inputs) { in.entries = in.entries[:3] }, false},
	} {
		in := &Inputs{entries: append([]input(nil), settled.entries...)}
		c.edit(in)
		if got := m.Holds(key, in); got != c.want {
			t.Errorf("%s: held %v, want %v", c.name, got, c.want)
		}
	}
	if m.Holds(types.NamespacedName{Namespace: "ns", Name: "other"}, settled) {
		t.Error("another object's inputs are held")
	}
	m.Forget(key)
	if m.Holds(key, settled) {
		t.Error("held after Forget")
	}
}

func TestNotOwnEchoDropsOnlyTheSettledVersion(t *testing.T) {
	var m Memory
	// A reconcile applied and settled on its response, version 5.
	settled := &Inputs{}
	settled.Add(Self, at("u", "5"))
	settled.Add("apply", at("a", "6"))
	m.Store(key, settled)
	for _, c := range []struct {
		what     string
		old, cur *corev1.ConfigMap
		want     bool
	}{
		{"the echo of our own apply", at("u", "4"), at("u", "5"), false},
		{"a resync of that version", at("u", "5"), at("u", "5"), true},
		{"another writer's change after it", at("u", "5"), at("u", "6"), true},
		{"a recreated object at an old number", at("u", "4"), at("other", "5"), true},
		{"an input's version, not the object's", at("u", "5"), at("u", "6"), true},
	} {
		if got := m.NotOwnEcho(event.UpdateEvent{ObjectOld: c.old, ObjectNew: c.cur}); got != c.want {
			t.Errorf("%s: reconcile %v, want %v", c.what, got, c.want)
		}
	}
	var empty Memory
	if !empty.NotOwnEcho(event.UpdateEvent{ObjectOld: at("u", "4"), ObjectNew: at("u", "5")}) {
		t.Error("an event dropped with nothing settled")
	}
}

func TestPaused(t *testing.T) {
	paused, running := true, false
	annotated := at("u", "1")
	annotated.Annotations = map[string]string{clusterv1.PausedAnnotation: ""}
	for _, c := range []struct {
		name    string
		cluster *clusterv1.Cluster
		objects []client.Object
		want    bool
	}{
		{"nothing", nil, []client.Object{at("u", "1")}, false},
		{"the Cluster's spec.paused", &clusterv1.Cluster{Spec: clusterv1.ClusterSpec{Paused: &paused}}, []client.Object{at("u", "1")}, true},
		{"a running Cluster", &clusterv1.Cluster{Spec: clusterv1.ClusterSpec{Paused: &running}}, []client.Object{at("u", "1")}, false},
		{"the object's annotation", nil, []client.Object{annotated}, true},
		{"an owner's annotation", &clusterv1.Cluster{}, []client.Object{at("u", "1"), annotated}, true},
		{"a missing owner", nil, []client.Object{at("u", "1"), (*corev1.ConfigMap)(nil)}, false},
	} {
		if got := Paused(c.cluster, c.objects...); got != c.want {
			t.Errorf("%s: paused %v, want %v", c.name, got, c.want)
		}
	}
}

// TestDecide: what an object gets, in one order for every controller —
// clusterctl move's deletion lets go whatever holds the object (an older
// Cluster API included: it released the control plane and kept the apply
// before), a hold or pause comes before a deletion, and the pause names
// its source.
func TestDecide(t *testing.T) {
	paused := true
	pausedCluster := &clusterv1.Cluster{ObjectMeta: metav1.ObjectMeta{Namespace: "team-a", Name: "prod"}, Spec: clusterv1.ClusterSpec{Paused: &paused}}
	const oldClusterAPI = "Cluster API serves Cluster only as v1beta1"
	obj := func(deleting, moving, annotated bool) client.Object {
		o := at("u", "1")
		o.Namespace, o.Name = "team-a", "prod"
		o.Annotations = map[string]string{}
		if deleting {
			now := metav1.Now()
			o.DeletionTimestamp = &now
		}
		if moving {
			o.Annotations[DeleteForMoveAnnotation] = ""
		}
		if annotated {
			o.Annotations[clusterv1.PausedAnnotation] = ""
		}
		return o
	}
	owner := obj(false, false, true)
	owner.(*corev1.ConfigMap).Name = "owner"
	for _, c := range []struct {
		name    string
		obj     client.Object
		sources PauseSources
		want    State
	}{
		{"normal", obj(false, false, false), PauseSources{}, State{}},
		{"deleting", obj(true, false, false), PauseSources{}, State{Decision: Delete}},
		{"paused by the Cluster", obj(false, false, false), PauseSources{Cluster: pausedCluster},
			State{Decision: Hold, PausedBy: "Cluster team-a/prod has spec.paused", HeldBy: "Cluster team-a/prod has spec.paused"}},
		{"paused by its annotation, deleting", obj(true, false, true), PauseSources{},
			State{Decision: Hold, PausedBy: "ConfigMap team-a/prod has the annotation cluster.x-k8s.io/paused", HeldBy: "ConfigMap team-a/prod has the annotation cluster.x-k8s.io/paused"}},
		{"paused by an owner's annotation", obj(false, false, false), PauseSources{Objects: []client.Object{owner}},
			State{Decision: Hold, PausedBy: "ConfigMap team-a/owner has the annotation cluster.x-k8s.io/paused", HeldBy: "ConfigMap team-a/owner has the annotation cluster.x-k8s.io/paused"}},
		{"held by an older Cluster API", obj(false, false, false), PauseSources{HeldBy: oldClusterAPI}, State{Decision: Hold, HeldBy: oldClusterAPI}},
		{"held by an older Cluster API, deleting", obj(true, false, false), PauseSources{HeldBy: oldClusterAPI}, State{Decision: Hold, HeldBy: oldClusterAPI}},
		{"deleted for move under a paused Cluster", obj(true, true, false), PauseSources{Cluster: pausedCluster},
			State{Decision: LetGo, PausedBy: "Cluster team-a/prod has spec.paused"}},
		{"deleted for move under an older Cluster API", obj(true, true, false), PauseSources{HeldBy: oldClusterAPI}, State{Decision: LetGo}},
		{"the move annotation without a deletion", obj(false, true, false), PauseSources{}, State{}},
	} {
		if got := Decide(c.obj, c.sources); got != c.want {
			t.Errorf("%s: %+v, want %+v", c.name, got, c.want)
		}
	}
}

// recorder is a Controller that records what Reconcile gave it.
type recorder struct {
	observed, acted, forgotten int
	state                      State
	sources                    PauseSources
	outcome                    Outcome
	observeErr                 error
}

func (r *recorder) Name() string { return "test" }
func (r *recorder) Observe(_ context.Context, obj *corev1.ConfigMap, in *Inputs) (string, PauseSources, error) {
	r.observed++
	in.Add("other", nil)
	return obj.Name, r.sources, r.observeErr
}
func (r *recorder) Act(_ context.Context, _ *corev1.ConfigMap, obs string, state State) (Outcome, error) {
	r.acted++
	r.state = state
	return r.outcome, nil
}
func (r *recorder) Forget(client.ObjectKey) { r.forgotten++ }

// reader serves one object, or NotFound.
type reader struct{ obj *corev1.ConfigMap }

func (r reader) Get(_ context.Context, _ client.ObjectKey, obj client.Object, _ ...client.GetOption) error {
	if r.obj == nil {
		return apierrors.NewNotFound(schema.GroupResource{Resource: "configmaps"}, key.Name)
	}
	r.obj.DeepCopyInto(obj.(*corev1.ConfigMap))
	return nil
}
func (reader) List(context.Context, client.ObjectList, ...client.ListOption) error { return nil }

func TestReconcile(t *testing.T) {
	ctx := context.Background()
	req := ctrl.Request{NamespacedName: key}
	run := func(m *Memory, obj *corev1.ConfigMap, r *recorder) {
		t.Helper()
		if _, err := Reconcile(ctx, reader{obj}, m, req, r); err != nil && !errors.Is(err, r.observeErr) {
			t.Fatal(err)
		}
	}

	t.Run("a settled reconcile is skipped until an input changes", func(t *testing.T) {
		var m Memory
		r := &recorder{outcome: Outcome{Settled: true}}
		run(&m, at("u", "1"), r)
		run(&m, at("u", "1"), r)
		if r.observed != 2 || r.acted != 1 {
			t.Fatalf("observed %d, acted %d: want the second skipped after observing", r.observed, r.acted)
		}
		run(&m, at("u", "2"), r)
		if r.acted != 2 {
			t.Fatal("a new version was skipped")
		}
	})
	t.Run("an unsettled reconcile is not remembered", func(t *testing.T) {
		var m Memory
		r := &recorder{outcome: Outcome{Settled: false}}
		run(&m, at("u", "1"), r)
		run(&m, at("u", "1"), r)
		if r.acted != 2 {
			t.Fatalf("acted %d, want 2", r.acted)
		}
	})
	t.Run("SettledOn is remembered instead", func(t *testing.T) {
		var m Memory
		on := &Inputs{}
		on.Add(Self, at("u", "2"))
		on.Add("other", nil)
		r := &recorder{outcome: Outcome{Settled: true, SettledOn: on}}
		run(&m, at("u", "1"), r)
		run(&m, at("u", "2"), r)
		if r.acted != 1 {
			t.Fatalf("acted %d: the version our own write made was not settled", r.acted)
		}
	})
	t.Run("a deleting object is never skipped", func(t *testing.T) {
		var m Memory
		deleting := at("u", "1")
		now := metav1.Now()
		deleting.DeletionTimestamp = &now
		r := &recorder{outcome: Outcome{Settled: true}}
		run(&m, deleting, r)
		run(&m, deleting, r)
		if r.acted != 2 || r.state.Decision != Delete {
			t.Fatalf("acted %d, state %+v", r.acted, r.state)
		}
	})
	t.Run("the pause policy is computed for Act", func(t *testing.T) {
		var m Memory
		paused := true
		r := &recorder{sources: PauseSources{Cluster: &clusterv1.Cluster{Spec: clusterv1.ClusterSpec{Paused: &paused}}}}
		run(&m, at("u", "1"), r)
		if r.state.Decision != Hold || r.state.PausedBy == "" {
			t.Fatalf("not held under a paused Cluster: %+v", r.state)
		}
	})
	t.Run("a gone object is forgotten", func(t *testing.T) {
		var m Memory
		r := &recorder{outcome: Outcome{Settled: true}}
		run(&m, at("u", "1"), r)
		run(&m, nil, r)
		if r.forgotten != 1 {
			t.Fatalf("forgotten %d", r.forgotten)
		}
		run(&m, at("u", "1"), r)
		if r.acted != 2 {
			t.Fatal("the settled record survived the object")
		}
	})
	t.Run("without a Memory every reconcile acts", func(t *testing.T) {
		r := &recorder{outcome: Outcome{Settled: false}}
		run(nil, at("u", "1"), r)
		run(nil, at("u", "1"), r)
		run(nil, nil, r)
		if r.acted != 2 || r.forgotten != 1 {
			t.Fatalf("acted %d, forgotten %d", r.acted, r.forgotten)
		}
	})
	t.Run("an Observe error stops before Act", func(t *testing.T) {
		var m Memory
		r := &recorder{observeErr: errors.New("cache")}
		run(&m, at("u", "1"), r)
		if r.acted != 0 {
			t.Fatal("acted on a failed observation")
		}
	})
}
