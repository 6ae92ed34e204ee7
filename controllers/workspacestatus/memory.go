package workspacestatus

import (
	"encoding/json"

	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	cpac "github.com/capt-controlplane/capt-controlplane/applyconfig/controlplane/controlplane/v1beta1"
)

// The mirror's memory: per control plane, the workspaceStatus this process
// last applied, as sent. Within one process only this process applies as
// FieldManager, so that is the mirror, whatever the object shows: another
// writer may have changed the object (and the migration handed that
// writer's value to FieldManager), and the Workspace may have nothing to
// offer (a gap). The memory is what keeps rule 4 and rule 5 apart from what
// other writers do. plan (mirror.go) is its only reader.

// remember records what this process just applied for key.
func (r *Reconciler) remember(key types.NamespacedName, sent []byte) { r.sent.Store(key, sent) }

// lastSent is what this process last applied for key, as sent and decoded;
// nil when it has applied none (since it started, or since the object was
// gone). The bytes are kept rather than the value: the client decodes an
// apply's response into the value sent.
func (r *Reconciler) lastSent(key types.NamespacedName) ([]byte, *cpac.WorkspaceStatusApplyConfiguration) {
	v, ok := r.sent.Load(key)
	if !ok {
		return nil, nil
	}
	raw := v.([]byte)
	last := &cpac.WorkspaceStatusApplyConfiguration{}
	if err := json.Unmarshal(raw, last); err != nil {
		return nil, nil // cannot happen: the bytes are json.Marshal's
	}
	return raw, last
}

// Forget drops what this process knows of a control plane that is gone
// (skeleton.Reconcile calls it when the control plane's Get finds nothing).
func (r *Reconciler) Forget(key client.ObjectKey) { r.sent.Delete(key) }
