package workspacestatus

import (
	"context"

	controlplanev1beta1 "github.com/capt-controlplane/capt-controlplane/apis/controlplane/v1beta1"
	"github.com/capt-controlplane/capt-controlplane/controllers/ssa"
	"github.com/capt-controlplane/capt-controlplane/internal/upstream"
)

// migrate hands status fields owned by Update entries — upstream CAPT's, and
// any foreign writer's that co-own status.workspaceStatus — to the apply
// managers by the ownership table: workspaceStatus to FieldManager alone,
// the KubeconfigReady condition to capt-kubeconfig, the rest to
// capt-controlplane (upstream.ControlPlaneStatus). Without it, fields an
// Update entry co-owns would survive the apply that drops them. It returns
// true when it sent the patch.
func (r *Reconciler) migrate(ctx context.Context, cp *controlplanev1beta1.CAPTControlPlane) (bool, error) {
	sent, err := ssa.Migrate(ctx, r.Client, cp, upstream.ControlPlaneStatus())
	if err != nil || !sent {
		return false, err
	}
	migrationsTotal.Inc()
	r.log(ctx).Info("migrated status ownership from Update managers to apply managers")
	return true, nil
}
