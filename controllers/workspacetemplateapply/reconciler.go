package workspacetemplateapply

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	controlplanev1beta1 "github.com/capt-controlplane/capt-controlplane/apis/controlplane/v1beta1"
	tfv1beta1 "github.com/capt-controlplane/capt-controlplane/apis/external/tf/v1beta1"
	tfmv1beta1 "github.com/capt-controlplane/capt-controlplane/apis/external/tfm/v1beta1"
	infrastructurev1beta1 "github.com/capt-controlplane/capt-controlplane/apis/infrastructure/v1beta1"
	infraac "github.com/capt-controlplane/capt-controlplane/applyconfig/infrastructure/infrastructure/v1beta1"
	tfac "github.com/capt-controlplane/capt-controlplane/applyconfig/tf/tf/v1beta1"
	tfmac "github.com/capt-controlplane/capt-controlplane/applyconfig/tfm/tfm/v1beta1"
	"github.com/capt-controlplane/capt-controlplane/internal/clusterapi"
	"github.com/capt-controlplane/capt-controlplane/internal/grants"
	"github.com/capt-controlplane/capt-controlplane/internal/ownership"
	"github.com/capt-controlplane/capt-controlplane/internal/providerterraform"
	"github.com/capt-controlplane/capt-controlplane/internal/skeleton"
	"github.com/capt-controlplane/capt-controlplane/internal/ssa"
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
	// GrantsInstalled is when ProviderConfigGrants were installed
	// (grants.InstalledAt): a Workspace rendered before keeps its
	// configuration until a grant names it.
	GrantsInstalled time.Time

	// settled skips a reconcile whose inputs are those of the last one that
	// sent nothing (resyncs of unchanged applies).
	settled skeleton.Memory

	// clusterAPI is what the manager found of Cluster API at start: an
	// older one, whose pause cannot be seen, holds every apply.
	clusterAPI clusterapi.Support

	// served and servedNamespaced read the Workspace spec schemas the
	// installed provider-terraform serves: a rendered field one lacks is
	// refused.
	served, servedNamespaced *providerterraform.Discoverer

	// namespaced: provider-terraform v1's namespaced Workspace is served
	// (read when the generation of controllers started); a new apply
	// renders that kind. clusterScoped: the cluster-scoped one is.
	namespaced, clusterScoped bool
}

// +kubebuilder:rbac:groups=infrastructure.cluster.x-k8s.io,resources=workspacetemplateapplies,verbs=get;list;watch;patch
// +kubebuilder:rbac:groups=infrastructure.cluster.x-k8s.io,resources=workspacetemplateapplies/status,verbs=patch
// +kubebuilder:rbac:groups=infrastructure.cluster.x-k8s.io,resources=workspacetemplates,verbs=get;list;watch
// +kubebuilder:rbac:groups=controlplane.cluster.x-k8s.io,resources=captcontrolplanes,verbs=get;list;watch
// +kubebuilder:rbac:groups=cluster.x-k8s.io,resources=clusters,verbs=get;list;watch
// +kubebuilder:rbac:groups=tf.upbound.io,resources=workspaces,verbs=get;list;watch;create;patch;delete
// +kubebuilder:rbac:groups=tf.m.upbound.io,resources=workspaces,verbs=get;list;watch;create;patch;delete
// +kubebuilder:rbac:groups="",resources=secrets,verbs=get
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch
// +kubebuilder:rbac:groups=infrastructure.cluster.x-k8s.io,resources=providerconfiggrants,verbs=get;list;watch
// +kubebuilder:rbac:groups="",resources=namespaces,verbs=get;list;watch
// +kubebuilder:rbac:groups=apiextensions.k8s.io,resources=customresourcedefinitions,resourceNames=providerconfiggrants.infrastructure.cluster.x-k8s.io,verbs=get

// Reconcile renders and applies the Workspace, then reports on it
// (skeleton.Reconcile, with Observe and Act).
func (r *Reconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	return skeleton.Reconcile(ctx, r.Client, &r.settled, req, r)
}

// Name is the controller's name in metrics.
func (r *Reconciler) Name() string { return ControllerName }

// Forget has nothing to drop beyond the settled inputs.
func (r *Reconciler) Forget(client.ObjectKey) {}

// Act carries out the decision. An apply clusterctl move deletes only
// drops its finalizer: the Workspace lives on in the target cluster (or,
// cluster-scoped, stays here paused for the admin to carry); neither its
// pause nor the Workspace is touched. A held apply gets no action, not even
// on deletion: it is what stands between a paused cluster and terraform
// destroy; a paused one only carries the pause to its Workspace
// (holdWorkspace), for provider-terraform, while one held by an older
// Cluster API (which cannot show the pause) touches nothing. Unpausing is
// an event of the apply, its control plane or its Cluster, all watched;
// an older Cluster API's upgrade starts a new generation of controllers.
func (r *Reconciler) Act(ctx context.Context, apply *infrastructurev1beta1.WorkspaceTemplateApply, obs *observed, state skeleton.State) (skeleton.Outcome, error) {
	switch state.Decision {
	case skeleton.LetGo:
		_, err := r.applyFinalizer(ctx, apply, false)
		return skeleton.Outcome{}, err
	case skeleton.Hold:
		if state.HeldBy != state.PausedBy {
			// Held by an older Cluster API, paused or not: no action at all.
			return skeleton.Outcome{}, nil
		}
		sent, err := r.holdWorkspace(ctx, apply, obs.workspaces.boundTo(apply), true, obs.template)
		return skeleton.Outcome{Settled: obs.settleable && !sent}, err
	case skeleton.Delete:
		return skeleton.Outcome{}, r.reconcileDelete(ctx, apply, obs.workspaces)
	}
	result, sent, err := r.reconcileNormal(ctx, apply, obs)
	return skeleton.Outcome{Result: result, Settled: obs.settleable && !sent && result.RequeueAfter == 0}, err
}

// outcome is what one reconcile found, for the status.
type outcome struct {
	synced    *tfv1beta1.Condition   // nil: take the Workspace's own Synced
	refused   bool                   // synced is a refusal of the inputs
	workspace tfv1beta1.AnyWorkspace // the rendered Workspace, once it exists
	appliedAt *metav1.Time           // set when this reconcile sent the Workspace
	requeue   time.Duration
}

// reconcileNormal applies the finalizer, the Workspace and the status, and
// reports whether it sent any of them.
func (r *Reconciler) reconcileNormal(ctx context.Context, apply *infrastructurev1beta1.WorkspaceTemplateApply, obs *observed) (ctrl.Result, bool, error) {
	if migrated, err := r.migrateFromUpstream(ctx, apply, obs.workspaces.cluster); err != nil || migrated {
		return ctrl.Result{}, migrated, err
	}
	finalizerSent, err := r.applyFinalizer(ctx, apply, true)
	if err != nil {
		return ctrl.Result{}, false, err
	}
	out, err := r.renderWorkspace(ctx, apply, obs)
	if err != nil {
		return ctrl.Result{}, false, err
	}
	released := false
	if out.refused {
		// A render takes the pause away; a refused one sends nothing, and
		// must not leave the Workspace paused for good.
		if released, err = r.holdWorkspace(ctx, apply, out.workspace, false, nil); err != nil {
			return ctrl.Result{}, false, err
		}
	}
	statusSent, err := r.applyStatus(ctx, apply, out)
	if err != nil {
		return ctrl.Result{}, false, err
	}
	if out.refused && statusSent {
		// Said once per new refusal: the reconcile of the status's echo
		// refuses again and sends nothing.
		r.Recorder.Eventf(apply, nil, corev1.EventTypeWarning, out.synced.Reason, "Render", "%s", out.synced.Message)
	}
	return ctrl.Result{RequeueAfter: out.requeue}, finalizerSent || out.appliedAt != nil || released || statusSent, nil
}

// renderWorkspace waits for what the apply waits for, renders the template
// and applies the Workspace when it differs from the desired one and runs
// with a provider configuration the apply's namespace is granted.
func (r *Reconciler) renderWorkspace(ctx context.Context, apply *infrastructurev1beta1.WorkspaceTemplateApply, obs *observed) (outcome, error) {
	controlPlane, granted, live, tmplKey := obs.controlPlane, obs.grants, obs.workspaces, obs.templateKey
	missing, err := r.missingSecrets(ctx, apply)
	var notLocal notLocalError
	if errors.As(err, &notLocal) {
		return refusal(nil, infrastructurev1beta1.ReasonRenderFailed, notLocal.Error()), nil
	}
	if err != nil || len(missing) > 0 {
		return waiting(infrastructurev1beta1.ReasonWaitingForSecrets, "waiting for secrets: "+strings.Join(missing, ", ")), err
	}
	if notReady := unreadyWorkspaces(apply, obs.waitFor); len(notReady) > 0 {
		return waiting(infrastructurev1beta1.ReasonWaitingForWorkspaces, "waiting for workspaces rendered for namespace "+apply.Namespace+" to be Ready: "+strings.Join(notReady, ", ")), nil
	}

	// A refusal leaves the apply's own Workspace as it is, and the status
	// keeps naming it.
	kept := live.boundTo(apply)
	if live.cluster == nil && live.namespaced == nil && missingWorkspace(controlPlane) {
		return refusal(nil, infrastructurev1beta1.ReasonWorkspaceMissing, fmt.Sprintf(
			"control plane %s/%s has the endpoint %s, so its cluster exists, and its Workspace %s is gone: a new one would be a new Terraform run, "+
				"which creates a second cluster unless the Terraform state came with it (a remote backend, or the state Secret moved: docs/move.md); "+
				"restore the Workspace, or annotate the control plane %s=true to render it",
			controlPlane.Namespace, controlPlane.Name, controlPlane.Spec.ControlPlaneEndpoint.Host, apply.WorkspaceName(),
			controlplanev1beta1.AnnotationRenderMissingWorkspace)), nil
	}

	tmpl := obs.template
	if tmplKey.Namespace != apply.Namespace && (tmpl == nil || !slices.Contains(tmpl.Spec.SharedWithNamespaces, apply.Namespace)) {
		// One answer whether the template exists or not: another
		// namespace's objects are not a tenant's to probe.
		return refusal(kept, infrastructurev1beta1.ReasonTemplateNotShared, fmt.Sprintf(
			"WorkspaceTemplate %s is not shared with namespace %s (its spec.sharedWithNamespaces)", tmplKey, apply.Namespace)), nil
	}
	if tmpl == nil {
		return refusal(kept, infrastructurev1beta1.ReasonTemplateNotFound, fmt.Sprintf("WorkspaceTemplate %s not found", tmplKey)), nil
	}
	namespaced := r.rendersNamespaced(tmpl, apply, live)
	if !namespaced && !granted.ClusterScopeAllowed() {
		return refusal(kept, infrastructurev1beta1.ReasonClusterScopeNotAllowed, fmt.Sprintf(
			"namespace %s renders namespaced Workspaces only (its label %s=%s), and WorkspaceTemplate %s renders a cluster-scoped one: set its spec.workspaceScope to %s",
			apply.Namespace, infrastructurev1beta1.LabelWorkspaceScope, infrastructurev1beta1.WorkspaceScopeNamespaced, tmplKey, infrastructurev1beta1.WorkspaceScopeNamespaced)), nil
	}
	kind, kindServed := providerterraform.ClusterScopedWorkspace, r.clusterScoped
	if namespaced {
		kind, kindServed = providerterraform.NamespacedWorkspace, r.namespaced
	}
	if !kindServed {
		return refusal(kept, infrastructurev1beta1.ReasonWorkspaceKindNotServed, fmt.Sprintf(
			"%s is not served: install provider-terraform (the kind is rendered once its CRD is established)", kind)), nil
	}
	tree, err := render(tmpl, apply, namespaced)
	if isTemplateError(err) {
		return refusal(kept, infrastructurev1beta1.ReasonRenderFailed, err.Error()), nil
	}
	if err != nil {
		return outcome{}, err
	}
	served := r.served
	if namespaced {
		served = r.servedNamespaced
	}
	if refused := unserved(kept, served, tree); refused != nil {
		return *refused, nil
	}
	refused, err := notGranted(kept, granted, tree, namespaced)
	if err != nil {
		return outcome{}, err
	}
	if refused != nil {
		return *refused, nil
	}
	if namespaced {
		return r.applyNamespaced(ctx, apply, tree, live.namespaced)
	}
	return r.applyClusterScoped(ctx, apply, tree, live.cluster)
}

// missingWorkspace reports whether the apply's control plane (nil when
// none) has an endpoint, so that its cluster exists, and has not said to
// render a new Workspace: a move that left the Workspace and its state
// behind, say.
func missingWorkspace(cp *controlplanev1beta1.CAPTControlPlane) bool {
	return cp != nil && cp.Spec.ControlPlaneEndpoint.Host != "" &&
		cp.Annotations[controlplanev1beta1.AnnotationRenderMissingWorkspace] != "true"
}

// isTemplateError reports whether a render failed on the template's
// content, which only a change of the template or apply repairs.
func isTemplateError(err error) bool {
	return errors.As(err, new(errUnknownVariables)) || errors.As(err, new(errNotLocal)) || errors.As(err, new(errConflictingPolicies))
}

// liveWorkspaces are the Workspaces of the apply's name: the cluster-scoped
// one and, where served, the namespaced one in the apply's namespace; nil
// when absent. Either may be another apply's.
type liveWorkspaces struct {
	cluster    *tfv1beta1.Workspace
	namespaced *tfmv1beta1.Workspace
}

// boundTo is the one of them apply rendered; nil when neither.
func (l liveWorkspaces) boundTo(apply *infrastructurev1beta1.WorkspaceTemplateApply) tfv1beta1.AnyWorkspace {
	switch {
	case l.cluster != nil && ownership.BoundTo(l.cluster, apply):
		return l.cluster
	case l.namespaced != nil && ownership.BoundTo(l.namespaced, apply):
		return l.namespaced
	}
	return nil
}

// rendersNamespaced decides the kind of the apply's Workspace. A Workspace
// is a Terraform run: an apply keeps the kind it has, and only a new one
// (nothing of its own rendered yet) takes the template's workspaceScope,
// by default the namespaced kind where it is served. An apply whose status
// says it rendered a Workspace keeps that kind even while it is gone.
func (r *Reconciler) rendersNamespaced(tmpl *infrastructurev1beta1.WorkspaceTemplate, apply *infrastructurev1beta1.WorkspaceTemplateApply, live liveWorkspaces) bool {
	switch ws := live.boundTo(apply); {
	case ws != nil:
		return ws.GetNamespace() != ""
	case apply.Status.WorkspaceName != "":
		return apply.Status.WorkspaceNamespace != ""
	}
	switch tmpl.Spec.WorkspaceScope {
	case infrastructurev1beta1.WorkspaceScopeCluster:
		return false
	case infrastructurev1beta1.WorkspaceScopeNamespaced:
		return true
	}
	return r.namespaced
}

// applyClusterScoped applies the cluster-scoped Workspace when it differs
// from what FieldManager owns.
func (r *Reconciler) applyClusterScoped(ctx context.Context, apply *infrastructurev1beta1.WorkspaceTemplateApply,
	tree map[string]any, live *tfv1beta1.Workspace) (outcome, error) {
	name := apply.WorkspaceName()
	if live != nil && !ownership.BoundTo(live, apply) {
		// Never adopted: another apply's, or one this manager did not
		// render (an admin's, say). Not changed and never deleted.
		message := fmt.Sprintf("workspace %s was not rendered by this WorkspaceTemplateApply", name)
		if owner, ok := ownership.ApplyOf(live); ok && owner != client.ObjectKeyFromObject(apply) {
			message = fmt.Sprintf("workspace %s belongs to WorkspaceTemplateApply %s", name, owner)
		}
		return refusal(nil, infrastructurev1beta1.ReasonWorkspaceNameConflict, message), nil
	}
	spec, err := decodeSpec[tfac.WorkspaceSpecApplyConfiguration](tree)
	if err != nil {
		return outcome{}, err
	}
	desired := tfac.Workspace(name).WithLabels(workspaceLabels(apply)).WithSpec(spec)
	rendered := &tfv1beta1.Workspace{ObjectMeta: metav1.ObjectMeta{Name: name}}
	if live == nil {
		return r.sendWorkspace(ctx, desired, nil, nil, rendered)
	}
	owned, err := tfac.ExtractWorkspaceFrom(live, FieldManager, "")
	if err != nil {
		return outcome{}, err
	}
	return r.sendWorkspace(ctx, desired, owned, live, rendered)
}

// applyNamespaced applies the namespaced Workspace, in the apply's
// namespace and controlled by it, when it differs from what FieldManager
// owns.
func (r *Reconciler) applyNamespaced(ctx context.Context, apply *infrastructurev1beta1.WorkspaceTemplateApply,
	tree map[string]any, live *tfmv1beta1.Workspace) (outcome, error) {
	name := apply.WorkspaceName()
	if live != nil && !ownership.BoundTo(live, apply) {
		return refusal(nil, infrastructurev1beta1.ReasonWorkspaceNameConflict,
			fmt.Sprintf("workspace %s/%s is not controlled by this WorkspaceTemplateApply", apply.Namespace, name)), nil
	}
	spec, err := decodeSpec[tfmac.WorkspaceSpecApplyConfiguration](tree)
	if err != nil {
		return outcome{}, err
	}
	desired := tfmac.Workspace(name, apply.Namespace).WithLabels(workspaceLabels(apply)).
		WithOwnerReferences(ssa.ControllerReference(infrastructurev1beta1.GroupVersion.String(), "WorkspaceTemplateApply", apply)).
		WithSpec(spec)
	rendered := &tfmv1beta1.Workspace{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: apply.Namespace}}
	if live == nil {
		return r.sendWorkspace(ctx, desired, nil, nil, rendered)
	}
	owned, err := tfmac.ExtractWorkspaceFrom(live, FieldManager, "")
	if err != nil {
		return outcome{}, err
	}
	return r.sendWorkspace(ctx, desired, owned, live, rendered)
}

// sendWorkspace applies a Workspace of either kind when desired differs
// from what FieldManager owns in the live one (owned and live nil when
// there is none), removals included: a field or list item dropped from the
// template is a change. The outcome names live, or rendered once the first
// apply created it.
func (r *Reconciler) sendWorkspace(ctx context.Context, desired, owned runtime.ApplyConfiguration, live, rendered tfv1beta1.AnyWorkspace) (outcome, error) {
	out := outcome{workspace: live}
	applied, err := ssa.ApplyIfChanged(ctx, r.Client, FieldManager, desired, owned)
	if err != nil {
		return outcome{}, fmt.Errorf("workspace %s: %w", tfv1beta1.NameOf(rendered), err)
	}
	if applied {
		now := metav1.Now()
		out.appliedAt = &now
		if out.workspace == nil {
			out.workspace = rendered
		}
	}
	return out, nil
}

// unserved refuses a rendered spec with a field the served CRD (read by
// served) lacks; nil when there is none. When the schema cannot be read
// (an API server without an OpenAPI v3 document) nothing is refused, as
// before this check.
func unserved(kept tfv1beta1.AnyWorkspace, served *providerterraform.Discoverer, tree map[string]any) *outcome {
	if served == nil {
		return nil
	}
	s, err := served.Schema()
	if err != nil {
		return nil // unknown schema: render as before
	}
	if paths := s.Unserved(tree); len(paths) > 0 {
		refused := refusal(kept, infrastructurev1beta1.ReasonFieldNotServed, providerterraform.UnservedMessage(served.GVK, paths))
		return &refused
	}
	return nil
}

// notGranted refuses a rendered spec whose cluster-scoped provider
// configuration no grant allows the apply's namespace; nil when allowed.
// kept, the apply's own Workspace, may keep the configuration it had from
// before grants (grants.View.Allows).
func notGranted(kept tfv1beta1.AnyWorkspace, granted *grants.View, tree map[string]any, namespaced bool) (*outcome, error) {
	// The reference alone decides; the rest of the spec is decoded once,
	// when it is sent.
	ref := map[string]any{"providerConfigRef": tree["providerConfigRef"]}
	var desired tfv1beta1.AnyWorkspace
	if namespaced {
		spec, err := decodeSpec[tfmv1beta1.WorkspaceSpec](ref)
		if err != nil {
			return nil, err
		}
		desired = &tfmv1beta1.Workspace{Spec: *spec}
	} else {
		spec, err := decodeSpec[tfv1beta1.WorkspaceSpec](ref)
		if err != nil {
			return nil, err
		}
		desired = &tfv1beta1.Workspace{Spec: *spec}
	}
	cfg, needsGrant := grants.ConfigOf(desired)
	if !needsGrant {
		return nil, nil
	}
	if err := granted.Allows(cfg, kept); err != nil {
		refused := refusal(kept, infrastructurev1beta1.ReasonProviderConfigNotGranted, err.Error())
		return &refused, nil
	}
	return nil, nil
}

func waiting(reason, message string) outcome {
	return outcome{
		synced:  &tfv1beta1.Condition{Type: tfv1beta1.TypeSynced, Status: metav1.ConditionFalse, Reason: reason, Message: message},
		requeue: waitingRequeue,
	}
}

// refusal reports an input error in the Synced condition and, when that is
// sent, an Event; the apply is retried when its inputs change (they are
// watched), not in a loop. kept is the apply's own Workspace, left as it is
// (nil when none).
func refusal(kept tfv1beta1.AnyWorkspace, reason, message string) outcome {
	return outcome{refused: true, workspace: kept, synced: &tfv1beta1.Condition{Type: tfv1beta1.TypeSynced, Status: metav1.ConditionFalse, Reason: reason, Message: message}}
}

// missingSecrets lists the Secrets of spec.waitForSecrets that do not
// exist yet. Each is in the apply's namespace: one naming another is an
// error that says so before anything is read, so that a tenant learns
// nothing of what exists elsewhere.
func (r *Reconciler) missingSecrets(ctx context.Context, apply *infrastructurev1beta1.WorkspaceTemplateApply) ([]string, error) {
	var missing []string
	for _, ref := range apply.Spec.WaitForSecrets {
		key := types.NamespacedName{Namespace: ref.Namespace, Name: ref.Name}
		if key.Namespace == "" {
			key.Namespace = apply.Namespace
		}
		if key.Namespace != apply.Namespace {
			return nil, notLocalError{field: "spec.waitForSecrets", namespace: key.Namespace, apply: apply.Namespace}
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

// notLocalError is a reference of an apply to another namespace than its
// own; its words do not depend on what exists there.
type notLocalError struct{ field, namespace, apply string }

func (e notLocalError) Error() string {
	return fmt.Sprintf("%s names namespace %s: an apply refers to objects of its own namespace (%s) only", e.field, e.namespace, e.apply)
}

// unreadyWorkspaces lists the Workspaces of spec.waitForWorkspaces that are
// not Ready, from waitFor (Observe's reads, by name). Only Workspaces
// rendered for an apply of the same namespace count (their
// LabelApplyNamespace): any other — another team's, the platform's — is
// reported as not Ready, in the same words as a missing one, so that a
// tenant learns nothing of it.
func unreadyWorkspaces(apply *infrastructurev1beta1.WorkspaceTemplateApply, waitFor map[string]*tfv1beta1.Workspace) []string {
	var notReady []string
	for _, ref := range apply.Spec.WaitForWorkspaces {
		ws := waitFor[ref.Name]
		local := ws != nil && ws.Labels[infrastructurev1beta1.LabelApplyNamespace] == apply.Namespace
		if !local {
			notReady = append(notReady, ref.Name)
			continue
		}
		if c := tfv1beta1.FindCondition(ws.Status.Conditions, tfv1beta1.TypeReady); c == nil || c.Status != metav1.ConditionTrue {
			notReady = append(notReady, ref.Name)
		}
	}
	return notReady
}

// workspaceLabels link the Workspace to its apply and, through the labels
// the control plane controller puts on the apply, to its control plane.
func workspaceLabels(apply *infrastructurev1beta1.WorkspaceTemplateApply) map[string]string {
	labels := map[string]string{
		infrastructurev1beta1.LabelApplyNamespace: apply.Namespace,
		infrastructurev1beta1.LabelApplyName:      apply.Name,
		infrastructurev1beta1.LabelApplyUID:       string(apply.UID),
	}
	if owner, ok := controlplanev1beta1.ControlPlaneIn(apply.Namespace, apply.Labels); ok {
		labels[controlplanev1beta1.LabelControlPlaneNamespace] = owner.Namespace
		labels[controlplanev1beta1.LabelControlPlaneName] = owner.Name
	}
	return labels
}

// applyFinalizer applies the apply's main resource under FieldManager: with
// the finalizer, or with nothing, which removes it (done, too, when the
// apply is already gone). It reports whether it sent the apply.
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
	if !keep && (apierrors.IsConflict(err) || apierrors.IsNotFound(err)) {
		return false, nil // already gone (clusterctl move takes finalizers away itself)
	}
	if err != nil {
		return false, fmt.Errorf("the finalizer of %s/%s: %w", apply.Namespace, apply.Name, err)
	}
	return sent, nil
}

func (r *Reconciler) log(ctx context.Context) logr.Logger {
	return ctrl.LoggerFrom(ctx).WithName(ControllerName)
}
