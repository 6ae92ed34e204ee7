package controlplane

import (
	"context"

	controlplanev1beta1 "github.com/capt-controlplane/capt-controlplane/apis/controlplane/v1beta1"
	"github.com/capt-controlplane/capt-controlplane/internal/ssa"
	"github.com/capt-controlplane/capt-controlplane/internal/upstream"
)

// migrateFromUpstream hands what upstream CAPT's manager owns of the control
// plane's main resource (finalizer, endpoint, apply name) to FieldManager,
// once (internal/upstream). The cache keeps every managedFields entry of
// control planes, so the legacy entries are seen here. It reports whether
// it sent the patch; the watch then brings the migrated object.
func (r *Reconciler) migrateFromUpstream(ctx context.Context, cp *controlplanev1beta1.CAPTControlPlane) (bool, error) {
	sent, err := ssa.Migrate(ctx, r.Client, cp, upstream.ControlPlane())
	if sent {
		r.log(ctx).Info("migrated upstream CAPT's ownership of the control plane")
	}
	return sent, err
}
