package workspacestatus

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	controlplanev1beta1 "github.com/capt-controlplane/capt-controlplane/apis/controlplane/v1beta1"
	tfv1beta1 "github.com/capt-controlplane/capt-controlplane/apis/external/tf/v1beta1"
	infrastructurev1beta1 "github.com/capt-controlplane/capt-controlplane/apis/infrastructure/v1beta1"
	"github.com/capt-controlplane/capt-controlplane/controllers/ssa"
	"github.com/capt-controlplane/capt-controlplane/internal/ownership"
)

const (
	// FieldManager owns status.workspaceStatus of every CAPTControlPlane,
	// and nothing else.
	FieldManager = ownership.WorkspaceStatus

	// ControllerName names this controller in logs and metrics.
	ControllerName = "workspacestatus"

	// ReasonWorkspaceStatusRestored is the Event reason when the mirror is
	// re-applied after another writer changed or removed it.
	ReasonWorkspaceStatusRestored = "WorkspaceStatusRestored"

	// ReasonWorkspaceOwnedElsewhere is the Event reason when the Workspace
	// found by name belongs to another control plane.
	ReasonWorkspaceOwnedElsewhere = "WorkspaceOwnedElsewhere"

	// ReasonWorkspaceStatusRejected is the Event reason when the API server
	// refuses the mirror itself (too large, invalid).
	ReasonWorkspaceStatusRejected = "WorkspaceStatusRejected"
)

// Reconciler mirrors each CAPTControlPlane's Workspace into
// status.workspaceStatus.
type Reconciler struct {
	// Client reads from the manager's cache and writes to the API server.
	// Its reads must wait for this process's own writes (controller-runtime's
	// read-your-writes consistency, on in internal/manager): a reconcile
	// never decides from a version older than its last apply, so it never
	// sends that apply twice.
	Client client.Client
	// Recorder records Events on control planes.
	Recorder events.EventRecorder
	// Namespace restricts the controller to one namespace's control planes;
	// empty for all. It must match the manager's cache.
	Namespace string
	// MaxAtProviderBytes is the largest atProvider mirrored, as JSON;
	// 0 means DefaultMaxAtProviderBytes.
	MaxAtProviderBytes int

	// sent is the mirror's memory (sent.go): per control plane, the
	// workspaceStatus this process last applied.
	sent sync.Map // types.NamespacedName -> []byte (JSON)

	// settled skips a reconcile of unchanged inputs (ssa.Settled). Measured
	// (docs/benchmarks-owner.md): without it the manager spends 18 % more
	// CPU per Workspace change.
	settled ssa.Settled
}

// +kubebuilder:rbac:groups=controlplane.cluster.x-k8s.io,resources=captcontrolplanes,verbs=get;list;watch;patch
// +kubebuilder:rbac:groups=controlplane.cluster.x-k8s.io,resources=captcontrolplanes/status,verbs=patch
// +kubebuilder:rbac:groups=infrastructure.cluster.x-k8s.io,resources=workspacetemplateapplies,verbs=get;list;watch
// +kubebuilder:rbac:groups=tf.upbound.io,resources=workspaces,verbs=get;list;watch
// +kubebuilder:rbac:groups=tf.m.upbound.io,resources=workspaces,verbs=get;list;watch
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch

// Reconcile applies the desired workspaceStatus when it differs from what
// the object holds for FieldManager, and sends nothing when it does not.
func (r *Reconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	cp := &controlplanev1beta1.CAPTControlPlane{}
	if err := r.Client.Get(ctx, req.NamespacedName, cp); err != nil {
		if apierrors.IsNotFound(err) {
			r.forget(req.NamespacedName)
		}
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	apply, ws, err := ownership.WorkspaceOf(ctx, r.Client, cp)
	if foreign := (ownership.ForeignWorkspaceError{}); errors.As(err, &foreign) {
		// Nothing to retry until the Workspace or the control plane changes.
		r.Recorder.Eventf(cp, nil, corev1.EventTypeWarning, ReasonWorkspaceOwnedElsewhere, "Mirror", "%s; not mirroring it", foreign.Error())
		return ctrl.Result{}, nil
	}
	if err != nil {
		return ctrl.Result{}, fmt.Errorf("finding the workspace of %s: %w", req.NamespacedName, err)
	}
	// Before the settled inputs: the response of our own forced apply is
	// settled, yet it can hold what a concurrent Update left behind.
	if migrated, err := r.migrate(ctx, cp); err != nil || migrated {
		return ctrl.Result{}, err // the watch brings the migrated object
	}
	in := inputsOf(cp, apply, ws)
	if r.settled.Holds(req.NamespacedName, in) {
		skipsTotal.Inc()
		return ctrl.Result{}, nil
	}

	owned, err := ownedWorkspaceStatus(cp)
	if err != nil {
		return ctrl.Result{}, err
	}
	last := r.lastSent(req.NamespacedName)
	desired, refused := desiredWorkspaceStatus(ws, mirrored(owned, last), r.MaxAtProviderBytes)
	var failed error
	if refused != nil {
		// Mirror ready and state all the same, then fail the reconcile so
		// that it is retried with backoff; the inputs are never settled.
		r.Recorder.Eventf(cp, ws, corev1.EventTypeWarning, refused.reason, "Mirror", "%s", refused.message)
		failed = fmt.Errorf("mirroring %s: %w", req.NamespacedName, refused)
	}
	current := desired == nil
	if !current {
		if current, err = ssa.JSONEqual(desired, owned); err != nil {
			return ctrl.Result{}, err
		}
	}
	if current {
		skipsTotal.Inc()
		if failed == nil {
			r.settled.Store(req.NamespacedName, in)
		}
		return ctrl.Result{}, failed
	}

	fromWorkspace := ws != nil && refused == nil && !tfv1beta1.ObservationOf(ws.Observed().AtProvider).IsEmpty()
	m := mirror{cp: cp, ws: ws, desired: desired, owned: owned, last: last,
		// From the object alone the value could be one another writer put
		// there, in a cache that lags: send it only onto that very version.
		precondition: knownOnlyFromObject(fromWorkspace, desired, owned, last)}
	response, err := r.apply(ctx, m)
	if err != nil || failed != nil || response == "" {
		return ctrl.Result{}, cmp.Or(err, failed)
	}
	// The response is the object with exactly what was sent: when its watch
	// event comes back with the same inputs, there is nothing to decide.
	// Measured (docs/benchmarks-owner.md): comparing the echo instead costs
	// 20 % more CPU per Workspace change.
	cp.ResourceVersion = response
	r.settled.Store(req.NamespacedName, inputsOf(cp, apply, ws))
	return ctrl.Result{}, nil
}

// inputControlPlane names the control plane among a decision's inputs.
const inputControlPlane = "controlplane"

// inputsOf is what a decision depends on: the versions of the control
// plane, its WorkspaceTemplateApply and its Workspace (nil when absent).
func inputsOf(cp *controlplanev1beta1.CAPTControlPlane, apply *infrastructurev1beta1.WorkspaceTemplateApply, ws tfv1beta1.AnyWorkspace) *ssa.Inputs {
	in := &ssa.Inputs{}
	in.Add(inputControlPlane, cp)
	in.Add("apply", apply)
	in.Add("workspace", ws)
	return in
}

// forget drops what this process knows of a control plane that is gone.
func (r *Reconciler) forget(key types.NamespacedName) {
	r.sent.Delete(key)
	r.settled.Forget(key)
}

func workspaceName(ws tfv1beta1.AnyWorkspace) string {
	if ws == nil {
		return "(deleted)"
	}
	return tfv1beta1.NameOf(ws)
}

func (r *Reconciler) log(ctx context.Context) logr.Logger {
	return ctrl.LoggerFrom(ctx).WithName(ControllerName)
}
