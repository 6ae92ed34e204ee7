package workspacetemplateapply

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	controlplanev1beta1 "github.com/capt-controlplane/capt-controlplane/apis/controlplane/v1beta1"
	tfv1beta1 "github.com/capt-controlplane/capt-controlplane/apis/external/tf/v1beta1"
	infrastructurev1beta1 "github.com/capt-controlplane/capt-controlplane/apis/infrastructure/v1beta1"
	infraac "github.com/capt-controlplane/capt-controlplane/applyconfig/infrastructure/infrastructure/v1beta1"
	tfac "github.com/capt-controlplane/capt-controlplane/applyconfig/tf/tf/v1beta1"
	"github.com/capt-controlplane/capt-controlplane/controllers/ssa"
	"github.com/capt-controlplane/capt-controlplane/internal/clusterapi"
	"github.com/capt-controlplane/capt-controlplane/internal/ownership"
	"github.com/capt-controlplane/capt-controlplane/internal/providerterraform"
)

const (
	// FieldManager owns the rendered Workspaces (spec and labels), the
	// apply's finalizer and the apply's status.
	FieldManager = ownership.WorkspaceTemplateApply

	// ControllerName names this controller in logs and metrics.
	ControllerName = "workspacetemplateapply"

	// waitingRequeue is how often an apply that waits for Secrets or
	// Workspaces looks again; Secrets are not watched.
	waitingRequeue = 10 * time.Second
)

// Reconciler renders the Workspace of each WorkspaceTemplateApply.
type Reconciler struct {
	// Client reads from the manager's cache and writes to the API server.
	Client client.Client
	// APIReader reads from the API server: the Secrets an apply waits for
	// are a few of any name, not worth caching every Secret for.
	APIReader client.Reader
	// Recorder records Events on applies.
	Recorder events.EventRecorder

	// settled skips a reconcile whose inputs are those of the last one that
	// sent nothing (resyncs of unchanged applies).
	settled ssa.Settled

	// clusterAPI is what the manager found of Cluster API at start: an
	// older one, whose pause cannot be seen, holds every apply.
	clusterAPI clusterapi.Support

	// served reads the Workspace spec schema the installed
	// provider-terraform serves: a rendered field it lacks is refused.
	served *providerterraform.Discoverer
}

// +kubebuilder:rbac:groups=infrastructure.cluster.x-k8s.io,resources=workspacetemplateapplies,verbs=get;list;watch;patch
// +kubebuilder:rbac:groups=infrastructure.cluster.x-k8s.io,resources=workspacetemplateapplies/status,verbs=patch
// +kubebuilder:rbac:groups=infrastructure.cluster.x-k8s.io,resources=workspacetemplates,verbs=get;list;watch
// +kubebuilder:rbac:groups=controlplane.cluster.x-k8s.io,resources=captcontrolplanes,verbs=get;list;watch
// +kubebuilder:rbac:groups=cluster.x-k8s.io,resources=clusters,verbs=get;list;watch
// +kubebuilder:rbac:groups=tf.upbound.io,resources=workspaces,verbs=get;list;watch;create;patch;delete
// +kubebuilder:rbac:groups="",resources=secrets,verbs=get
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch

// Reconcile renders and applies the Workspace, then reports on it.
func (r *Reconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	apply := &infrastructurev1beta1.WorkspaceTemplateApply{}
	if err := r.Client.Get(ctx, req.NamespacedName, apply); err != nil {
		if apierrors.IsNotFound(err) {
			r.settled.Forget(req.NamespacedName)
		}
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	obs, err := r.observe(ctx, apply)
	if err != nil {
		return ctrl.Result{}, err
	}
	if paused(apply, obs) || r.clusterAPI.Unsupported() {
		// Unpausing is an event of the apply, its control plane or its
		// Cluster, all watched; Cluster API's upgrade needs a restart.
		return ctrl.Result{}, nil
	}
	if !apply.DeletionTimestamp.IsZero() {
		return r.reconcileDelete(ctx, apply)
	}
	if obs.settleable && r.settled.Holds(req.NamespacedName, &obs.inputs) {
		return ctrl.Result{}, nil
	}
	r.settled.Forget(req.NamespacedName)
	result, sent, err := r.reconcileNormal(ctx, apply)
	if err == nil && obs.settleable && !sent && result.RequeueAfter == 0 {
		r.settled.Store(req.NamespacedName, &obs.inputs)
	}
	return result, err
}

// outcome is what one reconcile found, for the status.
type outcome struct {
	synced    *tfv1beta1.Condition // nil: take the Workspace's own Synced
	workspace *tfv1beta1.Workspace // the rendered Workspace, once it exists
	appliedAt *metav1.Time         // set when this reconcile sent the Workspace
	requeue   time.Duration
}

// reconcileNormal applies the finalizer, the Workspace and the status, and
// reports whether it sent any of them.
func (r *Reconciler) reconcileNormal(ctx context.Context, apply *infrastructurev1beta1.WorkspaceTemplateApply) (ctrl.Result, bool, error) {
	if migrated, err := r.migrateFromUpstream(ctx, apply); err != nil || migrated {
		return ctrl.Result{}, migrated, err
	}
	finalizerSent, err := r.applyFinalizer(ctx, apply, true)
	if err != nil {
		return ctrl.Result{}, false, err
	}
	out, err := r.renderWorkspace(ctx, apply)
	if err != nil {
		return ctrl.Result{}, false, err
	}
	statusSent, err := r.applyStatus(ctx, apply, out)
	if err != nil {
		return ctrl.Result{}, false, err
	}
	return ctrl.Result{RequeueAfter: out.requeue}, finalizerSent || out.appliedAt != nil || statusSent, nil
}

// renderWorkspace waits for what the apply waits for, renders the template
// and applies the Workspace when it differs from the desired one.
func (r *Reconciler) renderWorkspace(ctx context.Context, apply *infrastructurev1beta1.WorkspaceTemplateApply) (outcome, error) {
	if missing, err := r.missingSecrets(ctx, apply); err != nil || len(missing) > 0 {
		return waiting(infrastructurev1beta1.ReasonWaitingForSecrets, "waiting for secrets: "+strings.Join(missing, ", ")), err
	}
	if notReady, err := r.unreadyWorkspaces(ctx, apply); err != nil || len(notReady) > 0 {
		return waiting(infrastructurev1beta1.ReasonWaitingForWorkspaces, "waiting for workspaces to be Ready: "+strings.Join(notReady, ", ")), err
	}

	tmpl := &infrastructurev1beta1.WorkspaceTemplate{}
	tmplKey := types.NamespacedName{Namespace: apply.Spec.TemplateRef.Namespace, Name: apply.Spec.TemplateRef.Name}
	if tmplKey.Namespace == "" {
		tmplKey.Namespace = apply.Namespace
	}
	if err := r.Client.Get(ctx, tmplKey, tmpl); err != nil {
		if apierrors.IsNotFound(err) {
			return r.refuse(apply, infrastructurev1beta1.ReasonTemplateNotFound, fmt.Sprintf("WorkspaceTemplate %s not found", tmplKey)), nil
		}
		return outcome{}, err
	}
	spec, err := renderSpec(tmpl, apply)
	if unknown := (errUnknownVariables{}); errors.As(err, &unknown) {
		return r.refuse(apply, infrastructurev1beta1.ReasonRenderFailed, err.Error()), nil
	}
	if err != nil {
		return outcome{}, err
	}
	if unserved, err := r.unserved(spec); err != nil || len(unserved) > 0 {
		if err != nil {
			return outcome{}, err
		}
		return r.refuse(apply, infrastructurev1beta1.ReasonFieldNotServed,
			providerterraform.UnservedMessage(tfv1beta1.GroupVersion.WithKind("Workspace"), unserved)), nil
	}

	name := apply.WorkspaceName()
	live := &tfv1beta1.Workspace{}
	switch err := r.Client.Get(ctx, types.NamespacedName{Name: name}, live); {
	case apierrors.IsNotFound(err):
		live = nil
	case err != nil:
		return outcome{}, err
	}
	if live != nil {
		if owner, ok := applyOwner(live); ok && owner != client.ObjectKeyFromObject(apply) {
			return r.refuse(apply, infrastructurev1beta1.ReasonWorkspaceNameConflict,
				fmt.Sprintf("workspace %s belongs to WorkspaceTemplateApply %s", name, owner)), nil
		}
	}

	desired := tfac.Workspace(name).WithLabels(workspaceLabels(apply)).WithSpec(spec)
	out := outcome{workspace: live}
	var owned *tfac.WorkspaceApplyConfiguration
	if live != nil {
		if owned, err = tfac.ExtractWorkspaceFrom(live, FieldManager, ""); err != nil {
			return outcome{}, err
		}
	}
	// Equal to what FieldManager owns, removals included: a field or list
	// item dropped from the template is a change.
	applied, err := ssa.ApplyIfChanged(ctx, r.Client, FieldManager, desired, owned)
	if err != nil {
		return outcome{}, fmt.Errorf("workspace %s: %w", name, err)
	}
	if !applied {
		return out, nil
	}
	now := metav1.Now()
	out.appliedAt = &now
	if out.workspace == nil {
		out.workspace = &tfv1beta1.Workspace{ObjectMeta: metav1.ObjectMeta{Name: name}}
	}
	return out, nil
}

// unserved lists the fields of a rendered spec that the served Workspace
// CRD lacks. When the schema cannot be read (an API server without an
// OpenAPI v3 document) nothing is refused, as before this check.
func (r *Reconciler) unserved(spec *tfac.WorkspaceSpecApplyConfiguration) ([]string, error) {
	if r.served == nil {
		return nil, nil
	}
	s, err := r.served.Schema()
	if err != nil {
		return nil, nil //nolint:nilerr // unknown schema: render as before
	}
	raw, err := json.Marshal(spec)
	if err != nil {
		return nil, err
	}
	var tree any
	if err := json.Unmarshal(raw, &tree); err != nil {
		return nil, err
	}
	return s.Unserved(tree), nil
}

func waiting(reason, message string) outcome {
	return outcome{
		synced:  &tfv1beta1.Condition{Type: tfv1beta1.TypeSynced, Status: metav1.ConditionFalse, Reason: reason, Message: message},
		requeue: waitingRequeue,
	}
}

// refuse reports an input error in the Synced condition and an Event; the
// apply is retried when its inputs change (they are watched), not in a loop.
func (r *Reconciler) refuse(apply *infrastructurev1beta1.WorkspaceTemplateApply, reason, message string) outcome {
	r.Recorder.Eventf(apply, nil, corev1.EventTypeWarning, reason, "Render", "%s", message)
	return outcome{synced: &tfv1beta1.Condition{Type: tfv1beta1.TypeSynced, Status: metav1.ConditionFalse, Reason: reason, Message: message}}
}

func (r *Reconciler) missingSecrets(ctx context.Context, apply *infrastructurev1beta1.WorkspaceTemplateApply) ([]string, error) {
	var missing []string
	for _, ref := range apply.Spec.WaitForSecrets {
		key := types.NamespacedName{Namespace: ref.Namespace, Name: ref.Name}
		if key.Namespace == "" {
			key.Namespace = apply.Namespace
		}
		err := r.APIReader.Get(ctx, key, &metav1.PartialObjectMetadata{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Secret"}})
		switch {
		case apierrors.IsNotFound(err):
			missing = append(missing, key.String())
		case err != nil:
			return nil, err
		}
	}
	return missing, nil
}

func (r *Reconciler) unreadyWorkspaces(ctx context.Context, apply *infrastructurev1beta1.WorkspaceTemplateApply) ([]string, error) {
	var notReady []string
	for _, ref := range apply.Spec.WaitForWorkspaces {
		ws := &tfv1beta1.Workspace{}
		err := r.Client.Get(ctx, types.NamespacedName{Name: ref.Name}, ws)
		if apierrors.IsNotFound(err) {
			notReady = append(notReady, ref.Name)
			continue
		}
		if err != nil {
			return nil, err
		}
		if c := tfv1beta1.FindCondition(ws.Status.Conditions, tfv1beta1.TypeReady); c == nil || c.Status != metav1.ConditionTrue {
			notReady = append(notReady, ref.Name)
		}
	}
	return notReady, nil
}

// workspaceLabels link the Workspace to its apply and, through the labels
// the control plane controller puts on the apply, to its control plane.
func workspaceLabels(apply *infrastructurev1beta1.WorkspaceTemplateApply) map[string]string {
	labels := map[string]string{
		infrastructurev1beta1.LabelApplyNamespace: apply.Namespace,
		infrastructurev1beta1.LabelApplyName:      apply.Name,
	}
	for _, key := range []string{controlplanev1beta1.LabelControlPlaneNamespace, controlplanev1beta1.LabelControlPlaneName} {
		if v, ok := apply.Labels[key]; ok {
			labels[key] = v
		}
	}
	return labels
}

func applyOwner(ws *tfv1beta1.Workspace) (types.NamespacedName, bool) {
	ns, okNS := ws.Labels[infrastructurev1beta1.LabelApplyNamespace]
	name, okName := ws.Labels[infrastructurev1beta1.LabelApplyName]
	return types.NamespacedName{Namespace: ns, Name: name}, okNS && okName
}

// applyFinalizer applies the apply's main resource under FieldManager: with
// the finalizer, or with nothing, which removes it. It reports whether it
// sent the apply.
func (r *Reconciler) applyFinalizer(ctx context.Context, apply *infrastructurev1beta1.WorkspaceTemplateApply, keep bool) (bool, error) {
	owned, err := infraac.ExtractWorkspaceTemplateApply(apply, FieldManager)
	if err != nil {
		return false, err
	}
	// The UID makes the apply fail instead of creating the apply again when
	// it was deleted since the cache saw it.
	desired := infraac.WorkspaceTemplateApply(apply.Name, apply.Namespace).WithUID(apply.UID)
	if keep {
		desired.WithFinalizers(infrastructurev1beta1.WorkspaceTemplateApplyFinalizer)
	}
	sent, err := ssa.ApplyIfChanged(ctx, r.Client, FieldManager, desired, owned)
	if err != nil {
		return false, fmt.Errorf("the finalizer of %s/%s: %w", apply.Namespace, apply.Name, err)
	}
	return sent, nil
}

func (r *Reconciler) log(ctx context.Context) logr.Logger {
	return ctrl.LoggerFrom(ctx).WithName(ControllerName)
}
