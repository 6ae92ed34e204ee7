package workspacestatus

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	controlplanev1beta1 "github.com/capt-controlplane/capt-controlplane/apis/controlplane/v1beta1"
	tfv1beta1 "github.com/capt-controlplane/capt-controlplane/apis/external/tf/v1beta1"
	infrastructurev1beta1 "github.com/capt-controlplane/capt-controlplane/apis/infrastructure/v1beta1"
	"github.com/capt-controlplane/capt-controlplane/internal/ownership"
	"github.com/capt-controlplane/capt-controlplane/internal/skeleton"
	"github.com/capt-controlplane/capt-controlplane/internal/upstream"
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

	// sent is the mirror's memory (memory.go): per control plane, the
	// workspaceStatus this process last applied.
	sent sync.Map // types.NamespacedName -> []byte (JSON)

	// settled skips a reconcile of unchanged inputs (skeleton.Memory).
	// Measured (docs/benchmarks-owner.md): without it the manager spends
	// 18 % more CPU per Workspace change.
	settled skeleton.Memory
}

// +kubebuilder:rbac:groups=controlplane.cluster.x-k8s.io,resources=captcontrolplanes,verbs=get;list;watch;patch
// +kubebuilder:rbac:groups=controlplane.cluster.x-k8s.io,resources=captcontrolplanes/status,verbs=patch
// +kubebuilder:rbac:groups=infrastructure.cluster.x-k8s.io,resources=workspacetemplateapplies,verbs=get;list;watch
// +kubebuilder:rbac:groups=tf.upbound.io,resources=workspaces,verbs=get;list;watch
// +kubebuilder:rbac:groups=tf.m.upbound.io,resources=workspaces,verbs=get;list;watch
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch

// Reconcile applies the desired workspaceStatus when it differs from what
// the object holds for FieldManager, and sends nothing when it does not
// (skeleton.Reconcile, with Observe and Act below).
func (r *Reconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	return skeleton.Reconcile(ctx, r.Client, &r.settled, req, r)
}

// observed is what the mirror decides from.
type observed struct {
	apply *infrastructurev1beta1.WorkspaceTemplateApply
	ws    tfv1beta1.AnyWorkspace
	// foreign says whose the Workspace found by name is, when it is
	// another control plane's; empty when it is not.
	foreign string
	// migration is the managedFields patch an older client's Update
	// entries need; nil when none.
	migration client.Patch
}

// Name is the controller's name in metrics.
func (r *Reconciler) Name() string { return ControllerName }

// Observe reads the control plane's apply and Workspace, and whether its
// managedFields need migrating: our own forced apply's response is settled,
// yet it can hold what a concurrent Update left behind, so a pending
// migration is an input too. The mirror has no pause: a paused control
// plane's status is still reported.
func (r *Reconciler) Observe(ctx context.Context, cp *controlplanev1beta1.CAPTControlPlane, in *skeleton.Inputs) (observed, skeleton.PauseSources, error) {
	var obs observed
	var err error
	obs.apply, obs.ws, err = ownership.WorkspaceOf(ctx, r.Client, cp)
	if foreign := (ownership.ForeignWorkspaceError{}); errors.As(err, &foreign) {
		obs.foreign = foreign.Error()
	} else if err != nil {
		return obs, skeleton.PauseSources{}, fmt.Errorf("finding the workspace of %s/%s: %w", cp.Namespace, cp.Name, err)
	}
	if obs.migration, err = upstream.ControlPlaneStatus().PatchFor(cp); err != nil {
		return obs, skeleton.PauseSources{}, err
	}
	obs.record(in)
	return obs, skeleton.PauseSources{}, nil
}

// record adds what the mirror decides from, besides the control plane, to
// in.
func (obs observed) record(in *skeleton.Inputs) {
	in.Add(inputApply, obs.apply)
	in.Add(inputWorkspace, obs.ws)
	// A foreign Workspace is not returned: its appearance must still
	// differ from the absence the last decision may have settled on.
	in.Note(inputForeign, obs.foreign != "")
	in.Note(inputMigration, obs.migration != nil)
}

// Act migrates the managedFields if needed, else applies the mirror when
// it differs from what FieldManager owns.
func (r *Reconciler) Act(ctx context.Context, cp *controlplanev1beta1.CAPTControlPlane, obs observed, _ skeleton.State) (skeleton.Outcome, error) {
	if obs.foreign != "" {
		// Nothing to retry until the Workspace or the control plane changes.
		r.Recorder.Eventf(cp, nil, corev1.EventTypeWarning, ReasonWorkspaceOwnedElsewhere, "Mirror", "%s; not mirroring it", obs.foreign)
		return skeleton.Outcome{}, nil
	}
	if obs.migration != nil {
		// The watch brings the migrated object.
		_, err := r.migrate(ctx, cp, obs.migration)
		return skeleton.Outcome{}, err
	}
	m, err := r.plan(cp, obs.ws)
	if err != nil {
		return skeleton.Outcome{}, err
	}
	var failed error
	if m.refused != nil {
		// Mirror ready and state all the same, then fail the reconcile so
		// that it is retried with backoff; the inputs are never settled.
		r.Recorder.Eventf(cp, m.ws, corev1.EventTypeWarning, m.refused.reason, "Mirror", "%s", m.refused.message)
		failed = fmt.Errorf("mirroring %s: %w", client.ObjectKeyFromObject(cp), m.refused)
	}
	if m.current {
		skipsTotal.Inc()
		return skeleton.Outcome{Settled: failed == nil}, failed
	}
	response, err := r.apply(ctx, m)
	if err != nil || failed != nil || response == "" {
		return skeleton.Outcome{}, cmp.Or(err, failed)
	}
	// The response is the object with exactly what was sent: when its watch
	// event comes back with the same inputs, there is nothing to decide.
	// Measured (docs/benchmarks-owner.md): comparing the echo instead costs
	// 20 % more CPU per Workspace change.
	cp.ResourceVersion = response
	settledOn := &skeleton.Inputs{}
	settledOn.Add(skeleton.Self, cp)
	obs.record(settledOn)
	return skeleton.Outcome{Settled: true, SettledOn: settledOn}, nil
}

// The mirror's inputs besides the control plane (skeleton.Self).
const (
	inputApply     = "apply"
	inputWorkspace = "workspace"
	inputForeign   = "foreign"
	inputMigration = "migration"
)

func workspaceName(ws tfv1beta1.AnyWorkspace) string {
	if ws == nil {
		return "(deleted)"
	}
	return tfv1beta1.NameOf(ws)
}

func (r *Reconciler) log(ctx context.Context) logr.Logger {
	return ctrl.LoggerFrom(ctx).WithName(ControllerName)
}
