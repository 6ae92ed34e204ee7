package ownership

import (
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/sets"
	"sigs.k8s.io/controller-runtime/pkg/client"

	controlplanev1beta1 "github.com/capt-controlplane/capt-controlplane/apis/controlplane/v1beta1"
	tfv1beta1 "github.com/capt-controlplane/capt-controlplane/apis/external/tf/v1beta1"
	tfmv1beta1 "github.com/capt-controlplane/capt-controlplane/apis/external/tfm/v1beta1"
	infrastructurev1beta1 "github.com/capt-controlplane/capt-controlplane/apis/infrastructure/v1beta1"
)

// WorkspaceOf finds a control plane's WorkspaceTemplateApply and Workspace,
// for every controller that starts from a control plane (the mirror, the
// control plane and the kubeconfig controllers; the apply controller reads
// the Workspaces of the name it renders). The apply is the one the control
// plane names (spec.workspaceTemplateApplyName, else its default name); the
// Workspace is the one the apply recorded (status.workspaceName and, for
// the namespaced kind, status.workspaceNamespace), else the one it renders,
// as existing CAPT names them: the namespaced one (provider-terraform v1's
// tf.m.upbound.io) in the control plane's namespace when the apply recorded
// that kind, else the cluster-scoped one. Either is nil when it does not
// exist (yet, or any more). A Workspace of that name that the apply did not
// render (BoundTo; with the apply gone, one whose labels do not name it) is
// a ForeignWorkspaceError, returned with the apply: it is never mirrored
// and gives no endpoint and no kubeconfig.
func WorkspaceOf(ctx context.Context, c client.Reader, cp *controlplanev1beta1.CAPTControlPlane) (*infrastructurev1beta1.WorkspaceTemplateApply, tfv1beta1.AnyWorkspace, error) {
	applyKey := types.NamespacedName{Namespace: cp.Namespace, Name: cp.EffectiveWorkspaceTemplateApplyName()}
	apply := &infrastructurev1beta1.WorkspaceTemplateApply{}
	switch err := c.Get(ctx, applyKey, apply); {
	case apierrors.IsNotFound(err):
		apply = nil
	case err != nil:
		return nil, nil, err
	}

	var ws tfv1beta1.AnyWorkspace = &tfv1beta1.Workspace{}
	key := types.NamespacedName{Name: WorkspaceName(cp, apply)}
	if apply != nil && apply.Status.WorkspaceNamespace != "" {
		ws, key.Namespace = &tfmv1beta1.Workspace{}, apply.Status.WorkspaceNamespace
	}
	switch err := c.Get(ctx, key, ws); {
	case Absent(err):
		return apply, nil, nil
	case err != nil:
		return nil, nil, err
	}
	bound := apply != nil && BoundTo(ws, apply)
	if apply == nil {
		// Deleting: the apply went first; its Workspace still names it.
		owner, labelled := ApplyOf(ws)
		bound = labelled && owner == applyKey
	}
	if !bound {
		return apply, nil, ForeignWorkspaceError{Workspace: tfv1beta1.NameOf(ws), Apply: applyKey}
	}
	return apply, ws, nil
}

// BoundTo reports whether apply rendered ws. A namespaced Workspace is
// controlled by it. A cluster-scoped one carries its UID (LabelApplyUID).
// One without that label is this project's earlier release's, bound when
// its labels name the apply and the apply controller holds an apply entry
// on it; or, with no labels of ours, upstream CAPT's, bound only while
// renderedByUpstream proves it (the upgrade migration hands it over once,
// after which our apply entry binds it until our labels do). Neither is
// older than the apply. A Workspace anyone else created — with kubectl
// apply, server-side or not, too — even one of the name the apply
// renders, is not bound: never changed, mirrored or deleted.
func BoundTo(ws tfv1beta1.AnyWorkspace, apply *infrastructurev1beta1.WorkspaceTemplateApply) bool {
	if ws.GetNamespace() != "" {
		return metav1.IsControlledBy(ws, apply)
	}
	if uid, ok := ws.GetLabels()[infrastructurev1beta1.LabelApplyUID]; ok {
		return uid == string(apply.UID)
	}
	ours := hasEntryOf(ws, func(e metav1.ManagedFieldsEntry) bool {
		return e.Manager == WorkspaceTemplateApply && e.Operation == metav1.ManagedFieldsOperationApply && e.Subresource == ""
	})
	if owner, labelled := ApplyOf(ws); labelled {
		return ours && owner == client.ObjectKeyFromObject(apply)
	}
	created, applied := ws.GetCreationTimestamp(), apply.GetCreationTimestamp()
	return (ours || renderedByUpstream(ws, apply)) && !created.Before(&applied)
}

// renderedByUpstream reports whether upstream CAPT's manager rendered ws
// for apply, as far as it can be proven: its manager created the Workspace
// with an Update of the main resource, and the same manager recorded that
// Workspace's name in the apply's status (a status a tenant cannot write).
// Once the upgrade migration hands the apply's status to this manager,
// that record is gone: the migration hands the Workspace over first.
func renderedByUpstream(ws metav1.Object, apply *infrastructurev1beta1.WorkspaceTemplateApply) bool {
	wrote := hasEntryOf(ws, func(e metav1.ManagedFieldsEntry) bool {
		return e.Manager == UpstreamManager && e.Operation == metav1.ManagedFieldsOperationUpdate && e.Subresource == ""
	})
	recorded := apply.Status.WorkspaceName == ws.GetName() && hasEntryOf(apply, func(e metav1.ManagedFieldsEntry) bool {
		return e.Manager == UpstreamManager && e.Operation == metav1.ManagedFieldsOperationUpdate && e.Subresource == "status"
	})
	return wrote && recorded
}

// UpstreamManager is the field manager of upstream CAPT's manager
// (controller-runtime's default name).
const UpstreamManager = "manager"

// UpstreamManagers are the field managers of upstream CAPT's writes: its
// manager and kubectl's hand edits. Their entries are handed over by the
// upgrade migration (internal/upstream); only UpstreamManager's prove that
// upstream rendered a Workspace.
var UpstreamManagers = sets.New(UpstreamManager, "kubectl-client-side-apply", "kubectl-edit", "kubectl")

// ApplyOf is the apply a Workspace's labels name; false unless both
// labels are set.
func ApplyOf(ws metav1.Object) (types.NamespacedName, bool) {
	ns, okNS := ws.GetLabels()[infrastructurev1beta1.LabelApplyNamespace]
	name, okName := ws.GetLabels()[infrastructurev1beta1.LabelApplyName]
	return types.NamespacedName{Namespace: ns, Name: name}, okNS && okName
}

// hasEntryOf reports whether one of obj's managedFields entries matches.
func hasEntryOf(obj metav1.Object, match func(metav1.ManagedFieldsEntry) bool) bool {
	for _, e := range obj.GetManagedFields() {
		if match(e) {
			return true
		}
	}
	return false
}

// WorkspaceName is the name of the control plane's Workspace: the one its
// apply recorded (status.workspaceName), else the one that apply renders.
func WorkspaceName(cp *controlplanev1beta1.CAPTControlPlane, apply *infrastructurev1beta1.WorkspaceTemplateApply) string {
	if apply != nil && apply.Status.WorkspaceName != "" {
		return apply.Status.WorkspaceName
	}
	named := &infrastructurev1beta1.WorkspaceTemplateApply{}
	named.Name = cp.EffectiveWorkspaceTemplateApplyName()
	return named.WorkspaceName()
}

// ForeignWorkspaceError says that the Workspace of the name a control
// plane's apply renders was not rendered by that apply.
type ForeignWorkspaceError struct {
	Workspace string
	Apply     types.NamespacedName
}

func (e ForeignWorkspaceError) Error() string {
	return fmt.Sprintf("workspace %s was not rendered by WorkspaceTemplateApply %s", e.Workspace, e.Apply)
}
