package controlplane

import (
	"bytes"
	"maps"
	"slices"

	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/predicate"

	controlplanev1beta1 "github.com/capt-controlplane/capt-controlplane/apis/controlplane/v1beta1"
	tfv1beta1 "github.com/capt-controlplane/capt-controlplane/apis/external/tf/v1beta1"
	"github.com/capt-controlplane/capt-controlplane/internal/kubeconfigs"
	"github.com/capt-controlplane/capt-controlplane/internal/ownership"
)

// readOutputs are the Terraform outputs this controller reads; the rest of
// atProvider is the workspacestatus controller's to mirror.
var readOutputs = []string{kubeconfigs.OutputEndpoint, kubeconfigs.OutputName, kubeconfigs.OutputCA, outputClusterVersion}

// controlPlaneChanged passes on every control-plane event but an update that
// changed only status.workspaceStatus (and its manager's entry): the mirror
// is no input of this controller, and every Workspace change would otherwise
// reconcile it twice. A resync (same resourceVersion) passes.
var controlPlaneChanged = predicate.Funcs{UpdateFunc: func(e event.UpdateEvent) bool {
	old, ok := e.ObjectOld.(*controlplanev1beta1.CAPTControlPlane)
	cur, ok2 := e.ObjectNew.(*controlplanev1beta1.CAPTControlPlane)
	if !ok || !ok2 || old.ResourceVersion == cur.ResourceVersion {
		return true
	}
	return !equality.Semantic.DeepEqual(withoutMirror(old), withoutMirror(cur))
}}

// withoutMirror is a shallow copy of cp without what only the mirror
// changes: the resourceVersion, status.workspaceStatus and the entries of
// its field manager.
func withoutMirror(cp *controlplanev1beta1.CAPTControlPlane) controlplanev1beta1.CAPTControlPlane {
	c := *cp
	c.ResourceVersion = ""
	c.Status.WorkspaceStatus = nil
	c.ManagedFields = slices.DeleteFunc(slices.Clone(cp.ManagedFields), func(e metav1.ManagedFieldsEntry) bool {
		return e.Manager == ownership.WorkspaceStatus
	})
	return c
}

// workspaceChanged passes on a Workspace update only when something this
// controller reads changed: its labels, its deletion, its Ready and Synced
// conditions, or the outputs it reads. Resyncs of Workspaces are dropped:
// the control plane's own resync covers them.
var workspaceChanged = predicate.Funcs{UpdateFunc: func(e event.UpdateEvent) bool {
	old, ok := e.ObjectOld.(tfv1beta1.AnyWorkspace)
	cur, ok2 := e.ObjectNew.(tfv1beta1.AnyWorkspace)
	if !ok || !ok2 {
		return true
	}
	if !maps.Equal(old.GetLabels(), cur.GetLabels()) || !old.GetDeletionTimestamp().Equal(cur.GetDeletionTimestamp()) ||
		!tfv1beta1.SameConditions(old.Observed().Conditions, cur.Observed().Conditions) {
		return true
	}
	for _, name := range readOutputs {
		if !bytes.Equal(tfv1beta1.ObservationOf(old.Observed().AtProvider).Output(name), tfv1beta1.ObservationOf(cur.Observed().AtProvider).Output(name)) {
			return true
		}
	}
	return false
}}
