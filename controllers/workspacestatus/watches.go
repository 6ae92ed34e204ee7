package workspacestatus

import (
	"context"

	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	controlplanev1beta1 "github.com/capt-controlplane/capt-controlplane/apis/controlplane/v1beta1"
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
)

func applyNameOf(obj client.Object) []string {
	return []string{obj.(*controlplanev1beta1.CAPTControlPlane).EffectiveWorkspaceTemplateApplyName()}
}

func recordedWorkspaceName(obj client.Object) []string {
	if name := obj.(*infrastructurev1beta1.WorkspaceTemplateApply).Status.WorkspaceName; name != "" {
		return []string{name}
	}
	return nil
}

// controlPlanesForWorkspace maps a Workspace event to its control planes: by
// label, and through the WorkspaceTemplateApplies that rendered it.
func (r *Reconciler) controlPlanesForWorkspace(ctx context.Context, obj client.Object) []reconcile.Request {
	var requests []reconcile.Request
	if owner, ok := controlplanev1beta1.ControlPlaneOf(obj.GetLabels()); ok && r.watches(owner.Namespace) {
		requests = append(requests, reconcile.Request{NamespacedName: owner})
	}
	applies := &infrastructurev1beta1.WorkspaceTemplateApplyList{}
	// A namespaced Workspace's apply is in its namespace; a cluster-scoped
	// one's in any.
	namespace := r.Namespace
	if obj.GetNamespace() != "" {
		namespace = obj.GetNamespace()
	}
	// The cache's own applies, not copies: only their names are read.
	if err := r.Client.List(ctx, applies, client.MatchingFields{indexWorkspaceName: obj.GetName()}, client.InNamespace(namespace), client.UnsafeDisableDeepCopy); err != nil {
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
