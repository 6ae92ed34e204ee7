package workspacestatus

import (
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/structured-merge-diff/v6/fieldpath"

	controlplanev1beta1 "github.com/capt-controlplane/capt-controlplane/apis/controlplane/v1beta1"
	"github.com/capt-controlplane/capt-controlplane/controllers/ssa"
	"github.com/capt-controlplane/capt-controlplane/internal/ownership"
)

var workspaceStatusPath = fieldpath.MakePathOrDie("status", "workspaceStatus")

// migrate hands status fields owned by Update entries that co-own
// status.workspaceStatus (older CAPT wrote its whole status with
// Status().Update) to the apply managers: workspaceStatus to FieldManager
// alone, the rest to capt-controlplane. Without it, fields an Update entry
// co-owns would survive the apply that drops them. It returns true when it
// sent the patch.
func (r *Reconciler) migrate(ctx context.Context, cp *controlplanev1beta1.CAPTControlPlane) (bool, error) {
	patch, err := ssa.MigrationPatch(cp, "status", workspaceStatusPath, []ssa.Handover{
		{Manager: FieldManager, Prefix: workspaceStatusPath},
		{Manager: ownership.ControlPlane},
	})
	if err != nil || patch == nil {
		return false, err
	}
	// The one write that is not an apply (docs/design.md, rule 6): a JSON patch of
	// managedFields, guarded by the resourceVersion it was computed from. It
	// goes to the main resource: the status endpoint ignores metadata.
	if err := r.Client.Patch(ctx, cp.DeepCopy(), patch); err != nil {
		if apierrors.IsConflict(err) {
			return true, nil // a newer version is on its way through the watch
		}
		return false, fmt.Errorf("migrating managedFields of %s/%s: %w", cp.Namespace, cp.Name, err)
	}
	migrationsTotal.WithLabelValues(ControllerName).Inc()
	r.log(ctx).Info("migrated status ownership from Update managers to apply managers")
	return true, nil
}
