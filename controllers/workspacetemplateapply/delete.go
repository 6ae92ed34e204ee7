package workspacetemplateapply

import (
	"context"
	"fmt"

	"sigs.k8s.io/controller-runtime/pkg/client"

	tfv1beta1 "github.com/capt-controlplane/capt-controlplane/apis/external/tf/v1beta1"
	infrastructurev1beta1 "github.com/capt-controlplane/capt-controlplane/apis/infrastructure/v1beta1"
	"github.com/capt-controlplane/capt-controlplane/internal/ownership"
)

// reconcileDelete deletes the rendered Workspace, of either kind, unless it
// is retained, waits until it is gone, and then drops the finalizer. A
// Workspace of the apply's name that the apply did not render
// (ownership.BoundTo) is never deleted. The pause this controller carried
// to the Workspace goes first: a paused managed resource is never
// finalized by its provider, and a retained one would stay paused.
func (r *Reconciler) reconcileDelete(ctx context.Context, apply *infrastructurev1beta1.WorkspaceTemplateApply, live liveWorkspaces) error {
	if _, err := r.holdWorkspace(ctx, apply, live.boundTo(apply), false, nil); err != nil {
		return err
	}
	if !apply.Spec.RetainWorkspaceOnDelete {
		var own []client.Object
		if live.cluster != nil && ownership.BoundTo(live.cluster, apply) {
			own = append(own, live.cluster)
		}
		if live.namespaced != nil && ownership.BoundTo(live.namespaced, apply) {
			own = append(own, live.namespaced)
		}
		for _, ws := range own {
			if ws.GetDeletionTimestamp().IsZero() {
				if err := r.Client.Delete(ctx, ws); client.IgnoreNotFound(err) != nil {
					return fmt.Errorf("deleting workspace %s: %w", tfv1beta1.NameOf(ws), err)
				}
				r.log(ctx).Info("deleted workspace", "workspace", tfv1beta1.NameOf(ws))
			}
		}
		if len(own) > 0 {
			return nil // the Workspace watch brings us back when it is gone
		}
	}
	_, err := r.applyFinalizer(ctx, apply, false)
	return err
}
