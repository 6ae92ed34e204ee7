package workspacestatus

import (
	"encoding/json"
	"fmt"

	"sigs.k8s.io/controller-runtime/pkg/client"

	controlplanev1beta1 "github.com/capt-controlplane/capt-controlplane/apis/controlplane/v1beta1"
	tfv1beta1 "github.com/capt-controlplane/capt-controlplane/apis/external/tf/v1beta1"
	cpac "github.com/capt-controlplane/capt-controlplane/applyconfig/controlplane/controlplane/v1beta1"
	"github.com/capt-controlplane/capt-controlplane/internal/ssa"
)

// mirror is one reconcile's decision about status.workspaceStatus: what the
// mirror held, what it should hold and how to send it. plan computes it
// once, from what Observe read and the memory; Act and apply only read it.
type mirror struct {
	cp *controlplanev1beta1.CAPTControlPlane
	ws tfv1beta1.AnyWorkspace // nil when deleted

	// owned is what FieldManager owns in cp; last what this process
	// applied before (nil for none), and lastRaw that as sent.
	owned, last *cpac.WorkspaceStatusApplyConfiguration
	lastRaw     []byte

	// desired is the workspaceStatus to hold, nil for none yet; encoded is
	// it as sent. refused says why the Workspace's atProvider is not in it.
	desired *cpac.WorkspaceStatusApplyConfiguration
	encoded []byte
	refused *refusedAtProvider

	// current: cp already holds desired for FieldManager; nothing to send.
	current bool
	// restoring: cp differs from the mirror because another writer changed
	// or removed it, not because the Workspace changed.
	restoring bool
	// precondition sends cp's resourceVersion with the apply: the value
	// comes from the object alone, which could be another writer's in a
	// cache that lags, so it may go only onto that very version.
	precondition bool
}

// plan decides the mirror of cp's Workspace ws.
func (r *Reconciler) plan(cp *controlplanev1beta1.CAPTControlPlane, ws tfv1beta1.AnyWorkspace) (mirror, error) {
	m := mirror{cp: cp, ws: ws}
	var err error
	if m.owned, err = ownedWorkspaceStatus(cp); err != nil {
		return m, err
	}
	m.lastRaw, m.last = r.lastSent(client.ObjectKeyFromObject(cp))
	var fromWorkspace bool
	m.desired, fromWorkspace, m.refused = desiredWorkspaceStatus(ws, mirrored(m.owned, m.last), r.MaxAtProviderBytes)
	if m.desired == nil {
		m.current = true
		return m, nil
	}
	if m.current, err = ssa.JSONEqual(m.desired, m.owned); err != nil || m.current {
		return m, err
	}
	// Encoded now: the client decodes the apply's response into desired.
	if m.encoded, err = json.Marshal(m.desired); err != nil {
		return m, fmt.Errorf("encoding the mirror: %w", err)
	}
	if m.restoring, err = m.damaged(); err != nil {
		return m, err
	}
	m.precondition = knownOnlyFromObject(fromWorkspace, m.desired, m.owned, m.last)
	return m, nil
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

// damaged reports a repair: either this process applied exactly the
// desired value before, or a field FieldManager always sends is no longer
// owned by it.
func (m mirror) damaged() (bool, error) {
	if m.lastRaw != nil {
		if same, err := ssa.JSONEqual(json.RawMessage(m.encoded), json.RawMessage(m.lastRaw)); err != nil || same {
			return same, err
		}
	}
	if m.owned == nil || m.owned.Ready == nil {
		_, had := ssa.AppliedEntry(m.cp, FieldManager, "status")
		return had, nil
	}
	live := m.cp.Status.WorkspaceStatus
	return m.owned.AtProvider == nil && live != nil && live.AtProvider != nil, nil
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
