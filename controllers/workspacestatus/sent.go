package workspacestatus

import (
	"encoding/json"

	"k8s.io/apimachinery/pkg/types"

	controlplanev1beta1 "github.com/capt-controlplane/capt-controlplane/apis/controlplane/v1beta1"
	cpac "github.com/capt-controlplane/capt-controlplane/applyconfig/controlplane/controlplane/v1beta1"
	"github.com/capt-controlplane/capt-controlplane/internal/ssa"
)

// The mirror's memory. Within one process only this process applies as
// FieldManager, so what it sent last is the mirror, whatever the object
// shows: another writer may have changed the object (and the migration
// handed that writer's value to FieldManager), and the Workspace may have
// nothing to offer (a gap). The memory is what keeps rule 4 and rule 5
// apart from what other writers do.

// remember records what this process just applied for key.
func (r *Reconciler) remember(key types.NamespacedName, sent []byte) { r.sent.Store(key, sent) }

// lastSent is the workspaceStatus this process last applied for key, nil
// when it has applied none (since it started, or since the object was gone).
func (r *Reconciler) lastSent(key types.NamespacedName) *cpac.WorkspaceStatusApplyConfiguration {
	v, ok := r.sent.Load(key)
	if !ok {
		return nil
	}
	last := &cpac.WorkspaceStatusApplyConfiguration{}
	if err := json.Unmarshal(v.([]byte), last); err != nil {
		return nil // cannot happen: the bytes are json.Marshal's
	}
	return last
}

// mirrored is what the mirror held before this reconcile: the owned fields,
// with the atProvider this process last sent whenever there is one (the
// owned one may be another writer's, migrated to FieldManager).
func mirrored(owned, last *cpac.WorkspaceStatusApplyConfiguration) *cpac.WorkspaceStatusApplyConfiguration {
	switch {
	case owned == nil:
		return last
	case last != nil && last.AtProvider != nil:
		merged := *owned
		merged.AtProvider = last.AtProvider
		return &merged
	default:
		return owned
	}
}

// damaged reports whether the object differs from the mirror because
// another writer changed or removed it, rather than because the Workspace
// changed: either this process applied exactly the desired value before, or
// a field FieldManager always sends
// is no longer owned by it.
func damaged(cp *controlplanev1beta1.CAPTControlPlane, owned, desired, last *cpac.WorkspaceStatusApplyConfiguration) (bool, error) {
	if last != nil {
		if same, err := ssa.JSONEqual(desired, last); err != nil || same {
			return same, err
		}
	}
	if owned == nil || owned.Ready == nil {
		_, had := ssa.AppliedEntry(cp, FieldManager, "status")
		return had, nil
	}
	liveAtProvider := cp.Status.WorkspaceStatus != nil && cp.Status.WorkspaceStatus.AtProvider != nil
	return owned.AtProvider == nil && liveAtProvider, nil
}

// knownOnlyFromObject reports whether the atProvider to send comes from the
// object itself: neither the Workspace (fromWorkspace) nor this process's
// memory has one (a gap, or a refused observation, in a process that has
// not applied yet).
func knownOnlyFromObject(fromWorkspace bool, desired, owned, last *cpac.WorkspaceStatusApplyConfiguration) bool {
	// Without the Workspace and without memory, mirrored() gives the owned
	// atProvider, so that is what desired carries.
	return !fromWorkspace && desired.AtProvider != nil && owned != nil && owned.AtProvider != nil &&
		(last == nil || last.AtProvider == nil)
}
