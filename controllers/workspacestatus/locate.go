package workspacestatus

import (
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	controlplanev1beta1 "github.com/capt-controlplane/capt-controlplane/apis/controlplane/v1beta1"
	tfv1beta1 "github.com/capt-controlplane/capt-controlplane/apis/external/tf/v1beta1"
	infrastructurev1beta1 "github.com/capt-controlplane/capt-controlplane/apis/infrastructure/v1beta1"
	"github.com/capt-controlplane/capt-controlplane/internal/mapping"
)

// Cache indexes that link the three kinds.
const (
	// indexApplyName indexes CAPTControlPlanes by the name of their
	// WorkspaceTemplateApply.
	indexApplyName = "capt.workspacestatus/applyName"
	// indexWorkspaceName indexes WorkspaceTemplateApplies by the Workspace
	// they rendered.
	indexWorkspaceName = "capt.workspacestatus/workspaceName"
	// indexOwner indexes Workspaces by the control plane their labels name.
	indexOwner = "capt.workspacestatus/owner"
)

func ownerOf(obj client.Object) []string {
	if owner, ok := controlplanev1beta1.ControlPlaneOf(obj.GetLabels()); ok {
		return []string{owner.String()}
	}
	return nil
}

func applyNameOf(obj client.Object) []string {
	return []string{obj.(*controlplanev1beta1.CAPTControlPlane).EffectiveWorkspaceTemplateApplyName()}
}

func workspaceNameOf(obj client.Object) []string {
	if name := obj.(*infrastructurev1beta1.WorkspaceTemplateApply).Status.WorkspaceName; name != "" {
		return []string{name}
	}
	return nil
}

// errForeignWorkspace: the Workspace found by name carries labels that name
// another control plane (two namespaces picked the same cluster-scoped name).
type errForeignWorkspace struct{ workspace, owner string }

func (e errForeignWorkspace) Error() string {
	return fmt.Sprintf("workspace %s belongs to control plane %s", e.workspace, e.owner)
}

// workspaceFor finds the control plane's Workspace the way existing CAPT
// does (spec.workspaceTemplateApplyName → that apply's status.workspaceName),
// and else by the labels this project puts on the Workspaces it renders.
// It returns a nil Workspace when there is none (yet, or any more), and the
// apply it went through (nil for none): both are inputs of the decision.
func (r *Reconciler) workspaceFor(ctx context.Context, cp *controlplanev1beta1.CAPTControlPlane) (*tfv1beta1.Workspace, *infrastructurev1beta1.WorkspaceTemplateApply, error) {
	apply := &infrastructurev1beta1.WorkspaceTemplateApply{}
	err := r.Client.Get(ctx, types.NamespacedName{Namespace: cp.Namespace, Name: cp.EffectiveWorkspaceTemplateApplyName()}, apply)
	switch {
	case apierrors.IsNotFound(err):
		apply = nil
	case err != nil:
		return nil, nil, err
	case apply.Status.WorkspaceName != "":
		ws := &tfv1beta1.Workspace{}
		err := r.Client.Get(ctx, types.NamespacedName{Name: apply.Status.WorkspaceName}, ws)
		if apierrors.IsNotFound(err) {
			return nil, apply, nil
		}
		if err != nil {
			return nil, nil, err
		}
		if owner, ok := controlplanev1beta1.ControlPlaneOf(ws.Labels); ok && owner != client.ObjectKeyFromObject(cp) {
			return nil, nil, errForeignWorkspace{workspace: ws.Name, owner: owner.String()}
		}
		return ws, apply, nil
	}

	list := &tfv1beta1.WorkspaceList{}
	if err := r.Client.List(ctx, list, client.MatchingFields{indexOwner: client.ObjectKeyFromObject(cp).String()}); err != nil {
		return nil, nil, err
	}
	switch len(list.Items) {
	case 0:
		return nil, apply, nil
	case 1:
		return &list.Items[0], apply, nil
	default:
		return nil, nil, fmt.Errorf("%d workspaces carry the labels of control plane %s/%s", len(list.Items), cp.Namespace, cp.Name)
	}
}

// controlPlanesForWorkspace maps a Workspace event to its control planes: by
// label, and through the WorkspaceTemplateApplies that rendered it.
func (r *Reconciler) controlPlanesForWorkspace(ctx context.Context, obj client.Object) []reconcile.Request {
	var requests []reconcile.Request
	if owner, ok := controlplanev1beta1.ControlPlaneOf(obj.GetLabels()); ok && r.watches(owner.Namespace) {
		requests = append(requests, reconcile.Request{NamespacedName: owner})
	}
	applies := &infrastructurev1beta1.WorkspaceTemplateApplyList{}
	if err := r.Client.List(ctx, applies, client.MatchingFields{indexWorkspaceName: obj.GetName()}, client.InNamespace(r.Namespace)); err != nil {
		r.log(ctx).Error(err, "listing WorkspaceTemplateApplies of a workspace", "workspace", obj.GetName())
		return requests
	}
	for i := range applies.Items {
		requests = append(requests, r.controlPlanesForApply(ctx, &applies.Items[i])...)
	}
	return requests
}

// controlPlanesForApply maps a WorkspaceTemplateApply event to the control
// planes that use it.
func (r *Reconciler) controlPlanesForApply(ctx context.Context, obj client.Object) []reconcile.Request {
	requests, err := mapping.ListRequests(ctx, r.Client, &controlplanev1beta1.CAPTControlPlaneList{},
		client.InNamespace(obj.GetNamespace()), client.MatchingFields{indexApplyName: obj.GetName()})
	if err != nil {
		r.log(ctx).Error(err, "listing control planes of a WorkspaceTemplateApply", "workspaceTemplateApply", client.ObjectKeyFromObject(obj))
	}
	return requests
}

// watches reports whether control planes in namespace are this
// controller's: Workspaces are cluster-scoped and may name any namespace.
func (r *Reconciler) watches(namespace string) bool {
	return r.Namespace == "" || r.Namespace == namespace
}
