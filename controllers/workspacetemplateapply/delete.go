package workspacetemplateapply

import (
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	tfv1beta1 "github.com/capt-controlplane/capt-controlplane/apis/external/tf/v1beta1"
	infrastructurev1beta1 "github.com/capt-controlplane/capt-controlplane/apis/infrastructure/v1beta1"
)

// reconcileDelete deletes the rendered Workspace unless it is retained,
// waits until it is gone, and then drops the finalizer.
func (r *Reconciler) reconcileDelete(ctx context.Context, apply *infrastructurev1beta1.WorkspaceTemplateApply) (ctrl.Result, error) {
	if !apply.Spec.RetainWorkspaceOnDelete {
		ws := &tfv1beta1.Workspace{}
		err := r.Client.Get(ctx, types.NamespacedName{Name: apply.WorkspaceName()}, ws)
		switch {
		case apierrors.IsNotFound(err):
		case err != nil:
			return ctrl.Result{}, err
		default:
			if owner, ok := applyOwner(ws); ok && owner != client.ObjectKeyFromObject(apply) {
				break // another apply's Workspace: never delete it
			}
			if ws.DeletionTimestamp.IsZero() {
				if err := r.Client.Delete(ctx, ws); client.IgnoreNotFound(err) != nil {
					return ctrl.Result{}, fmt.Errorf("deleting workspace %s: %w", ws.Name, err)
				}
				r.log(ctx).Info("deleted workspace", "workspace", ws.Name)
			}
			return ctrl.Result{}, nil // the Workspace watch brings us back when it is gone
		}
	}
	_, err := r.applyFinalizer(ctx, apply, false)
	return ctrl.Result{}, err
}
