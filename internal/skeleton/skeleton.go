package skeleton

import (
	"context"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
)

// Self names the object reconciled among its inputs.
const Self = "self"

// Controller is what a controller supplies to Reconcile.
type Controller[T client.Object, O any] interface {
	// Name is the controller's name, in metrics.
	Name() string
	// Observe reads what the decision depends on, from the cache, and
	// records the version of each object read in in (the object itself is
	// recorded already). It returns the observation and where the pause
	// policy looks: the owner Cluster and the objects whose annotation
	// counts besides obj. What has no version (a Secret read from the API
	// server, a clock) is Act's to read; Act then does not settle.
	Observe(ctx context.Context, obj T, in *Inputs) (O, PauseSources, error)
	// Act sends what differs, from obs and the Decision in state: how each
	// Decision is carried out is the controller's contract.
	Act(ctx context.Context, obj T, obs O, state State) (Outcome, error)
	// Forget drops what the controller remembers of an object that is gone
	// (beyond Memory, which Reconcile clears).
	Forget(key client.ObjectKey)
}

// PauseSources are where Paused looks for an object, and what else holds
// it.
type PauseSources struct {
	Cluster *clusterv1.Cluster // the owner Cluster, nil when none
	Objects []client.Object    // owners whose annotation pauses the object too
	// HeldBy, when set, says why the object is held although nothing
	// pauses it: a Cluster API too old to show the pause
	// (clusterapi.Support.HeldBy).
	HeldBy string
}

// Decision is what an object gets: one for every controller, decided by
// Decide in one order.
type Decision int

const (
	// Normal is to act on the object.
	Normal Decision = iota
	// LetGo is for an object clusterctl move deletes (DeletedForMove); it
	// lives on in the target: drop the finalizer, touch nothing it manages.
	// Decided first: neither a pause nor an old Cluster API keeps it.
	LetGo
	// Hold is for a paused or held object (PauseSources.HeldBy): no
	// action, its deletion included: what a paused cluster is for.
	Hold
	// Delete is for an object being deleted: clean up what it manages, then
	// drop the finalizer.
	Delete
)

// State is what Reconcile decided about an object before Act.
type State struct {
	Decision Decision
	// PausedBy says what pauses the object (PausedBy); "" when nothing.
	PausedBy string
	// HeldBy says why the decision is Hold: PausedBy, or PauseSources.HeldBy.
	HeldBy string
}

// Decide is the one decision of what obj gets, in this order: let go when
// clusterctl move deletes it, hold while something holds or pauses it,
// delete when it is being deleted, else act normally.
func Decide(obj client.Object, sources PauseSources) State {
	s := State{PausedBy: PausedBy(sources.Cluster, append([]client.Object{obj}, sources.Objects...)...)}
	switch {
	case DeletedForMove(obj):
		s.Decision = LetGo
	case sources.HeldBy != "":
		s.Decision, s.HeldBy = Hold, sources.HeldBy
	case s.PausedBy != "":
		s.Decision, s.HeldBy = Hold, s.PausedBy
	case !obj.GetDeletionTimestamp().IsZero():
		s.Decision = Delete
	}
	return s
}

// Outcome is what Act did.
type Outcome struct {
	Result ctrl.Result
	// Settled: nothing was sent, nothing waits on a clock and nothing read
	// without a version is pending: the same inputs would decide the same.
	Settled bool
	// SettledOn, when set, are the inputs to remember instead of the
	// observed ones: those of the object as this reconcile's own write
	// left it, whose watch event then finds nothing to decide.
	SettledOn *Inputs
}

// Reconcile is the reconcile of every controller: get obj by req (into a
// new E), forget it once it is gone, observe it, decide what it gets
// (Decide), skip it when it is not being deleted and its inputs are those
// it last settled on, act, and remember the inputs when Act settled. memory is nil for
// a controller whose Act never settles (the kubeconfig's, on a clock).
func Reconcile[T interface {
	*E
	client.Object
}, E, O any](ctx context.Context, c client.Reader, memory *Memory, req ctrl.Request, ctl Controller[T, O]) (ctrl.Result, error) {
	defer Running(ctl.Name())()
	obj := T(new(E))
	if err := c.Get(ctx, req.NamespacedName, obj); err != nil {
		if apierrors.IsNotFound(err) {
			memory.Forget(req.NamespacedName)
			ctl.Forget(req.NamespacedName)
		}
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	in := &Inputs{}
	in.Add(Self, obj)
	obs, sources, err := ctl.Observe(ctx, obj, in)
	if err != nil {
		return ctrl.Result{}, err
	}
	state := Decide(obj, sources)
	// A deleting object is never skipped, whatever it gets.
	if obj.GetDeletionTimestamp().IsZero() && memory.Holds(req.NamespacedName, in) {
		settledSkips.WithLabelValues(ctl.Name()).Inc()
		return ctrl.Result{}, nil
	}
	memory.Forget(req.NamespacedName)
	out, err := ctl.Act(ctx, obj, obs, state)
	if err == nil && out.Settled {
		settledOn := in
		if out.SettledOn != nil {
			settledOn = out.SettledOn
		}
		memory.Store(req.NamespacedName, settledOn)
	}
	return out.Result, err
}

// NotOwnEcho drops the watch event of an object at the very version a
// reconcile of it settled on: typically the echo of the controller's own
// write, whose reconcile would only find its inputs settled. A resync (the
// same version twice) still passes, and any other writer's change is a new
// version.
func (m *Memory) NotOwnEcho(e event.UpdateEvent) bool {
	if e.ObjectOld.GetResourceVersion() == e.ObjectNew.GetResourceVersion() {
		return true
	}
	return !m.holdsVersionOf(client.ObjectKeyFromObject(e.ObjectNew), e.ObjectNew)
}
