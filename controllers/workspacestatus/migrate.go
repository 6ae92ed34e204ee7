package workspacestatus

import (
	"context"

	"sigs.k8s.io/controller-runtime/pkg/client"

	controlplanev1beta1 "github.com/capt-controlplane/capt-controlplane/apis/controlplane/v1beta1"
	"github.com/capt-controlplane/capt-controlplane/internal/ssa"
)

// migrate hands status fields owned by Update entries — upstream CAPT's, and
// any foreign writer's that co-own status.workspaceStatus — to the apply
// managers by the ownership table: workspaceStatus to FieldManager alone,
// the KubeconfigReady condition to capt-kubeconfig, the rest to
// capt-controlplane (upstream.ControlPlaneStatus). Without it, fields an
// Update entry co-owns would survive the apply that drops them. Observe
// computes the patch; this sends it and returns true when it did.
func (r *Reconciler) migrate(ctx context.Context, cp *controlplanev1beta1.CAPTControlPlane, patch client.Patch) (bool, error) {
	sent, err := ssa.SendMigration(ctx, r.Client, cp, patch)
	if err != nil || !sent {
		return false, err
	}
	migrationsTotal.Inc()
	r.log(ctx).Info("migrated status ownership from Update managers to apply managers")
	return true, nil
}
