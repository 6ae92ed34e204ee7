package workspacestatus

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
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
	cpac "github.com/capt-controlplane/capt-controlplane/applyconfig/controlplane/controlplane/v1beta1"
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
	Client client.Client
	// Recorder records Events on control planes.
	Recorder events.EventRecorder
	// Namespace restricts the controller to one namespace's control planes;
	// empty for all. It must match the manager's cache.
	Namespace string
	// MaxAtProviderBytes is the largest atProvider mirrored, as JSON;
	// 0 means DefaultMaxAtProviderBytes.
	MaxAtProviderBytes int

	// lastApplied holds, per control plane, what this process last applied.
	// It tells a repair (the Workspace did not change, the object did) from
	// a mirror of a new observation, keeps the last atProvider when another
	// writer wiped it during a Workspace gap, and stops a second apply of
	// the same value while the cache has not yet seen the first.
	lastApplied sync.Map // types.NamespacedName -> lastApply

	// settled holds, per control plane, the inputs of the last reconcile
	// that found the mirror current. The same inputs give the same answer,
	// so a resync or an unrelated event costs three cache reads and a look
	// at managedFields for the migration.
	settled sync.Map // types.NamespacedName -> inputs
}

// inputs are the resourceVersions a reconcile decides from.
type inputs struct{ controlPlane, apply, workspace string }

// lastApply is one apply this process sent.
type lastApply struct {
	sent []byte // the workspaceStatus JSON
	// readVersion is the resourceVersion of the cached object the apply was
	// computed from.
	readVersion string
	// response is the resourceVersion the apply produced; earlier holds
	// those of the few applies before it. The cache showing one of those
	// is the late echo of an older apply: the newer one is on its way.
	response string
	earlier  []string
}

// inFlight reports whether the cached object is older than the last apply:
// the version it was computed from, or an earlier apply's echo.
func (l lastApply) inFlight(cached string) bool {
	return cached == l.readVersion || slices.Contains(l.earlier, cached)
}

// +kubebuilder:rbac:groups=controlplane.cluster.x-k8s.io,resources=captcontrolplanes,verbs=get;list;watch;patch
// +kubebuilder:rbac:groups=controlplane.cluster.x-k8s.io,resources=captcontrolplanes/status,verbs=patch
// +kubebuilder:rbac:groups=infrastructure.cluster.x-k8s.io,resources=workspacetemplateapplies,verbs=get;list;watch
// +kubebuilder:rbac:groups=tf.upbound.io,resources=workspaces,verbs=get;list;watch
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch

// Reconcile applies the desired workspaceStatus when it differs from what
// the object holds for FieldManager, and sends nothing when it does not.
func (r *Reconciler) Reconcile(ctx context.Context, req ctrl.Request) (_ ctrl.Result, err error) {
	cp := &controlplanev1beta1.CAPTControlPlane{}
	if err := r.Client.Get(ctx, req.NamespacedName, cp); err != nil {
		if apierrors.IsNotFound(err) {
			r.lastApplied.Delete(req.NamespacedName)
			r.settled.Delete(req.NamespacedName)
			return ctrl.Result{}, nil
		}
		return ctrl.Result{}, err
	}

	ws, applyVersion, err := r.workspaceFor(ctx, cp)
	if foreign := (errForeignWorkspace{}); errors.As(err, &foreign) {
		// Nothing to retry until the Workspace or the control plane changes.
		r.Recorder.Eventf(cp, nil, corev1.EventTypeWarning, ReasonWorkspaceOwnedElsewhere, "Mirror", "%s; not mirroring it", foreign.Error())
		return ctrl.Result{}, nil
	}
	if err != nil {
		return ctrl.Result{}, fmt.Errorf("finding the workspace of %s: %w", req.NamespacedName, err)
	}
	in := inputs{controlPlane: cp.ResourceVersion, apply: applyVersion}
	if ws != nil {
		in.workspace = ws.ResourceVersion
	}
	// Migration is checked before the settled inputs: the response of our
	// own forced apply is settled, yet it can hold what a concurrent Update
	// left (a share of the workspaceStatus node whose fields the apply took).
	if migrated, err := r.migrate(ctx, cp); err != nil || migrated {
		// The watch brings the migrated object; reconcile it then.
		return ctrl.Result{}, err
	}
	if settled, ok := r.settled.Load(req.NamespacedName); ok && settled.(inputs) == in {
		skipsTotal.Inc()
		return ctrl.Result{}, nil
	}

	owned, err := ownedWorkspaceStatus(cp)
	if err != nil {
		return ctrl.Result{}, err
	}
	last, remembered := r.remembered(req.NamespacedName)
	desired, refused, err := desiredWorkspaceStatus(ws, previous(owned, remembered), r.MaxAtProviderBytes)
	if err != nil {
		return ctrl.Result{}, err
	}
	if refused != nil {
		// Mirror ready and state all the same, then fail the reconcile so it
		// is retried with backoff; the inputs are not settled.
		r.Recorder.Eventf(cp, ws, corev1.EventTypeWarning, refused.reason, "Mirror", refused.message)
		defer func() {
			if err == nil {
				err = fmt.Errorf("mirroring %s: %w", req.NamespacedName, refused)
			}
		}()
	}
	if desired == nil {
		r.settled.Store(req.NamespacedName, in)
		return ctrl.Result{}, nil
	}

	current, err := ssa.JSONEqual(desired, owned)
	if err != nil {
		return ctrl.Result{}, err
	}
	if !current && remembered != nil && last.inFlight(cp.ResourceVersion) {
		// The cache still holds a version from before the last apply; if
		// that apply sent this same value, it only has not arrived yet, and
		// its watch event brings us back.
		if current, err = ssa.JSONEqual(desired, remembered); err != nil {
			return ctrl.Result{}, err
		}
	}
	if current {
		if refused == nil {
			r.settled.Store(req.NamespacedName, in)
		}
		skipsTotal.Inc()
		return ctrl.Result{}, nil
	}

	restoring, err := damaged(cp, owned, desired, remembered)
	if err != nil {
		return ctrl.Result{}, err
	}
	// Encode before sending: the client decodes the response into the apply
	// configuration, which is never used again.
	sent, err := json.Marshal(desired)
	if err != nil {
		return ctrl.Result{}, err
	}
	apply := cpac.CAPTControlPlane(cp.Name, cp.Namespace).
		WithStatus(cpac.CAPTControlPlaneStatus().WithWorkspaceStatus(desired))
	fromWorkspace := ws != nil && refused == nil && !ws.Status.AtProvider.IsEmpty()
	if knownOnlyFromObject(fromWorkspace, desired, owned, remembered) {
		// Written back only if the object is still the version read: from
		// a cache that lags (after an API server restart, in a new leader)
		// it could be a value another writer put there and the previous
		// leader has since replaced. A conflict retries with a fresher cache.
		apply.WithResourceVersion(cp.ResourceVersion)
	}
	if err := r.Client.Status().Apply(ctx, apply, client.FieldOwner(FieldManager), client.ForceOwnership); err != nil {
		if apierrors.IsNotFound(err) {
			// Deleted since the cache saw it: nothing left to mirror into.
			r.log(ctx).V(1).Info("the control plane is gone; not mirroring")
			r.lastApplied.Delete(req.NamespacedName)
			r.settled.Delete(req.NamespacedName)
			return ctrl.Result{}, nil
		}
		if rejected(err) {
			// The object keeps what it had: a refused request changes nothing.
			r.Recorder.Eventf(cp, ws, corev1.EventTypeWarning, ReasonWorkspaceStatusRejected, "Mirror",
				"the API server refused status.workspaceStatus (%d bytes): %v", len(sent), err)
		}
		return ctrl.Result{}, fmt.Errorf("applying status.workspaceStatus of %s: %w", req.NamespacedName, err)
	}
	next := lastApply{sent: sent, readVersion: cp.ResourceVersion}
	if rv := apply.ResourceVersion; rv != nil {
		next.response = *rv
	}
	if remembered != nil && last.response != "" {
		next.earlier = slices.Concat(last.earlier[max(0, len(last.earlier)-3):], []string{last.response})
	}
	r.lastApplied.Store(req.NamespacedName, next)
	// The response (decoded into the apply configuration) is the object
	// with exactly what was sent: when its watch event comes back with the
	// same inputs, there is nothing to decide.
	if next.response != "" && refused == nil {
		r.settled.Store(req.NamespacedName, inputs{controlPlane: next.response, apply: in.apply, workspace: in.workspace})
	}
	appliesTotal.Inc()

	if restoring {
		restoresTotal.Inc()
		r.log(ctx).Info("restored status.workspaceStatus after another writer changed it", "workspace", workspaceName(ws))
		r.Recorder.Eventf(cp, nil, corev1.EventTypeNormal, ReasonWorkspaceStatusRestored, "Restore",
			"status.workspaceStatus was changed or removed by another writer; restored the mirror of workspace %s", workspaceName(ws))
	}
	return ctrl.Result{}, nil
}

// remembered is the last apply this process sent for key and its
// workspaceStatus, or a nil status when there was none.
func (r *Reconciler) remembered(key types.NamespacedName) (lastApply, *cpac.WorkspaceStatusApplyConfiguration) {
	v, ok := r.lastApplied.Load(key)
	if !ok {
		return lastApply{}, nil
	}
	last := v.(lastApply)
	ws := &cpac.WorkspaceStatusApplyConfiguration{}
	if err := json.Unmarshal(last.sent, ws); err != nil {
		return lastApply{}, nil
	}
	return last, ws
}

// previous is what was mirrored before: the owned fields, with the
// remembered atProvider whenever there is one. Within one process only this
// process applies as FieldManager, so what it sent last is the mirror; the
// owned value differs only when another writer took ours away, or changed
// it and the migration handed its value to us.
func previous(owned, remembered *cpac.WorkspaceStatusApplyConfiguration) *cpac.WorkspaceStatusApplyConfiguration {
	switch {
	case owned == nil:
		return remembered
	case remembered != nil && remembered.AtProvider != nil:
		merged := *owned
		merged.AtProvider = remembered.AtProvider
		return &merged
	default:
		return owned
	}
}

// damaged reports whether the object differs from the mirror because
// another writer changed or removed it, rather than because the Workspace
// changed: either this process applied exactly the desired value before, or
// a field FieldManager always sends is no longer owned by it.
func damaged(cp *controlplanev1beta1.CAPTControlPlane, owned, desired, remembered *cpac.WorkspaceStatusApplyConfiguration) (bool, error) {
	if remembered != nil {
		same, err := ssa.JSONEqual(desired, remembered)
		if err != nil || same {
			return same, err
		}
	}
	if owned == nil || owned.Ready == nil {
		return hasEntry(cp), nil
	}
	liveAtProvider := cp.Status.WorkspaceStatus != nil && cp.Status.WorkspaceStatus.AtProvider != nil
	return owned.AtProvider == nil && liveAtProvider, nil
}

// knownOnlyFromObject reports whether the atProvider to send comes from the
// object itself: neither the Workspace (fromWorkspace) nor this process's
// memory has one (a gap, or a refused observation, in a process that has
// not applied yet).
func knownOnlyFromObject(fromWorkspace bool, desired, owned, remembered *cpac.WorkspaceStatusApplyConfiguration) bool {
	// Without the Workspace and without memory, previous() gives the owned
	// atProvider, so that is what desired carries.
	return !fromWorkspace && desired.AtProvider != nil && owned != nil && owned.AtProvider != nil &&
		(remembered == nil || remembered.AtProvider == nil)
}

// rejected reports whether the API server refused the request for what it
// holds, so that sending it again unchanged cannot succeed.
func rejected(err error) bool {
	return apierrors.IsRequestEntityTooLargeError(err) || apierrors.IsInvalid(err) || apierrors.IsBadRequest(err) ||
		strings.Contains(err.Error(), "request is too large")
}

func hasEntry(cp *controlplanev1beta1.CAPTControlPlane) bool {
	for _, e := range cp.ManagedFields {
		if e.Manager == FieldManager && e.Subresource == "status" {
			return true
		}
	}
	return false
}

func workspaceName(ws *tfv1beta1.Workspace) string {
	if ws == nil {
		return "(deleted)"
	}
	return ws.Name
}

func (r *Reconciler) log(ctx context.Context) logr.Logger {
	return ctrl.LoggerFrom(ctx).WithName(ControllerName)
}
