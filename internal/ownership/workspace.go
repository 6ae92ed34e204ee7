package ownership

import (
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
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
// exist (yet, or any more). A Workspace whose labels name another control
// plane (two namespaces picked the same cluster-scoped name) is a
// ForeignWorkspaceError, returned with the apply.
func WorkspaceOf(ctx context.Context, c client.Reader, cp *controlplanev1beta1.CAPTControlPlane) (*infrastructurev1beta1.WorkspaceTemplateApply, tfv1beta1.AnyWorkspace, error) {
	apply := &infrastructurev1beta1.WorkspaceTemplateApply{}
	switch err := c.Get(ctx, types.NamespacedName{Namespace: cp.Namespace, Name: cp.EffectiveWorkspaceTemplateApplyName()}, apply); {
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
	case apierrors.IsNotFound(err):
		return apply, nil, nil
	case err != nil:
		return nil, nil, err
	}
	if owner, ok := controlplanev1beta1.ControlPlaneOf(ws.GetLabels()); ok && owner != client.ObjectKeyFromObject(cp) {
		return apply, nil, ForeignWorkspaceError{Workspace: tfv1beta1.NameOf(ws), Owner: owner}
	}
	return apply, ws, nil
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

// ForeignWorkspaceError says that the control plane's Workspace, found by
// name, carries labels that name another control plane.
type ForeignWorkspaceError struct {
	Workspace string
	Owner     types.NamespacedName
}

func (e ForeignWorkspaceError) Error() string {
	return fmt.Sprintf("workspace %s belongs to control plane %s", e.Workspace, e.Owner)
}
