// Package upstream is the one-time migration of what upstream CAPT
// (appthrust/capt) leaves in managedFields when this manager replaces it in
// place. Upstream wrote with Update under the default field manager name
// "manager"; people edited status with kubectl. Every field those entries
// own that one of our apply managers owns now is handed to that manager
// (the ownership table, internal/ownership), so that its next apply keeps
// what it sends and removes what nobody sends any more. Fields that are not
// ours (Cluster API's owner reference and labels, which Cluster API v1.8
// also wrote as "manager") stay where they are.
//
// Each migration is guarded by the legacy entries themselves: once handed
// over, nothing is left to hand and it never runs again.
//
// Delete this package, and its call sites (search for
// "upstream."), when no installation upgrades from upstream CAPT any more:
// after the release whose upgrade guide (docs/upgrade.md) is the last to
// start from upstream.
package upstream

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/structured-merge-diff/v6/fieldpath"
	"sigs.k8s.io/structured-merge-diff/v6/value"

	"github.com/capt-controlplane/capt-controlplane/internal/ownership"
	"github.com/capt-controlplane/capt-controlplane/internal/ssa"
)

// Managers are the field managers of upstream CAPT's writes
// (ownership.UpstreamManagers).
var Managers = ownership.UpstreamManagers

// ApplyFinalizer is the finalizer upstream put on WorkspaceTemplateApplies.
// Handed to our apply manager, whose apply does not send it, it is removed;
// left alone, it would block every deletion.
const ApplyFinalizer = "infrastructure.cluster.x-k8s.io/finalizer"

var workspaceStatus = fieldpath.MakePathOrDie("status", "workspaceStatus")

func legacy(manager string, _ *fieldpath.Set) bool { return Managers.Has(manager) }

// Left says whether obj has a managedFields entry of one of upstream's
// managers: only then has a migration anything to hand over.
func Left(obj metav1.Object) bool {
	for _, e := range obj.GetManagedFields() {
		if Managers.Has(e.Manager) {
			return true
		}
	}
	return false
}

// ControlPlaneStatus hands the control plane's status by the ownership
// table: workspaceStatus to the mirror's manager alone (atProvider as one
// value, as its apply owns it), the KubeconfigReady condition to
// capt-kubeconfig, the rest to capt-controlplane. It also takes
// status.workspaceStatus back from any other Update writer (a foreign full
// status update), which is the mirror's repair of ownership, not only the
// upgrade.
func ControlPlaneStatus() ssa.Migration {
	return ssa.Migration{
		Fields: ownership.ControlPlaneStatus,
		Migrates: func(manager string, fields *fieldpath.Set) bool {
			return Managers.Has(manager) || ssa.OwnsUnder(fields, workspaceStatus)
		},
	}
}

// ControlPlane hands what capt-controlplane applies on the control plane's
// main resource: its finalizer, the endpoint and the apply's name.
func ControlPlane() ssa.Migration {
	return ssa.Migration{Fields: ownership.ControlPlaneMain, Migrates: legacy}
}

// Apply hands the WorkspaceTemplateApply's main resource: upstream's
// finalizer, and ours, to capt-workspacetemplateapply (whose apply then
// removes upstream's), our labels, owner reference and spec to
// capt-controlplane, which creates the apply (its next apply removes
// upstream's extra variables).
func Apply() ssa.Migration {
	fields := ownership.ApplyMain
	fields.Owners = append([]ownership.Field{{Manager: ownership.WorkspaceTemplateApply,
		Path: fieldpath.MakePathOrDie("metadata", "finalizers", value.NewValueInterface(ApplyFinalizer)), Leaf: true}},
		fields.Owners...)
	return ssa.Migration{Fields: fields, Migrates: legacy}
}

// ApplyStatus hands the WorkspaceTemplateApply's status to
// capt-workspacetemplateapply.
func ApplyStatus() ssa.Migration {
	return ssa.Migration{Fields: ownership.ApplyStatus, Migrates: legacy}
}

// Workspace hands the Workspace upstream rendered to
// capt-workspacetemplateapply, which renders it now: its next apply removes
// what upstream's rendering had and ours has not.
func Workspace() ssa.Migration {
	return ssa.Migration{Fields: ownership.WorkspaceMain, Migrates: legacy}
}

// KubeconfigSecret hands the Cluster API kubeconfig Secret upstream wrote
// to capt-kubeconfig, which writes it now: its next apply replaces
// upstream's kubeconfig and removes what it does not send.
func KubeconfigSecret() ssa.Migration {
	return ssa.Migration{Fields: ownership.KubeconfigSecret, Migrates: legacy}
}
