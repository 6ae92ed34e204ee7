package workspacetemplateapply

import (
	"maps"

	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/predicate"

	tfv1beta1 "github.com/capt-controlplane/capt-controlplane/apis/external/tf/v1beta1"
)

// workspaceChanged passes on a Workspace update only when something this
// controller reads changed: its labels, Crossplane's pause, its deletion, its spec (the
// generation) or the Ready and Synced conditions the apply reports. A new
// atProvider alone is the workspacestatus controller's. Resyncs of
// Workspaces are dropped: the apply's own resync covers them.
var workspaceChanged = predicate.Funcs{UpdateFunc: func(e event.UpdateEvent) bool {
	old, ok := e.ObjectOld.(tfv1beta1.AnyWorkspace)
	cur, ok2 := e.ObjectNew.(tfv1beta1.AnyWorkspace)
	if !ok || !ok2 {
		return true
	}
	return old.GetGeneration() != cur.GetGeneration() || !maps.Equal(old.GetLabels(), cur.GetLabels()) ||
		old.GetAnnotations()[tfv1beta1.AnnotationPaused] != cur.GetAnnotations()[tfv1beta1.AnnotationPaused] ||
		!old.GetDeletionTimestamp().Equal(cur.GetDeletionTimestamp()) ||
		!tfv1beta1.SameConditions(old.Observed().Conditions, cur.Observed().Conditions)
}}
