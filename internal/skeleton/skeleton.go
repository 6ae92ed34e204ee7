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
	// Act decides from obs and sends what differs. Deleting and paused
	// objects come here too: what each gets is the controller's contract.
	Act(ctx context.Context, obj T, obs O, state State) (Outcome, error)
	// Forget drops what the controller remembers of an object that is gone
	// (beyond Memory, which Reconcile clears).
	Forget(key client.ObjectKey)
}

// PauseSources are where Paused looks for an object.
type PauseSources struct {
	Cluster *clusterv1.Cluster // the owner Cluster, nil when none
	Objects []client.Object    // owners whose annotation pauses the object too
}

// State is what Reconcile decided about an object before Act.
type State struct {
	Paused   bool // by Paused
	Deleting bool // its deletionTimestamp is set
	// Moving: clusterctl move is deleting it (DeletedForMove); it lets go
	// of what it manages and changes nothing.
	Moving bool
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
// new E), forget it once it is gone, observe it, skip it when it is not
// being deleted and its inputs are those it last settled on, compute its
// pause, act, and remember the inputs when Act settled. memory is nil for
// a controller whose Act never settles (the kubeconfig's, on a clock).
func Reconcile[T interface {
	*E
	client.Object
}, E, O any](ctx context.Context, c client.Reader, memory *Memory, req ctrl.Request, ctl Controller[T, O]) (ctrl.Result, error) {
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
	state := State{
		Paused:   Paused(sources.Cluster, append([]client.Object{obj}, sources.Objects...)...),
		Deleting: !obj.GetDeletionTimestamp().IsZero(),
		Moving:   DeletedForMove(obj),
	}
	if !state.Deleting && memory.Holds(req.NamespacedName, in) {
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
