package skeleton

import (
	"reflect"

	"k8s.io/utils/ptr"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
)

// Paused is the one pause policy: Cluster API's (its annotations.IsPaused:
// the owner Cluster's spec.paused, nil when there is none, or the
// cluster.x-k8s.io/paused annotation on the object), widened to the
// annotation on any of objects — the object reconciled and the objects it
// belongs to (an apply is paused with its control plane).
func Paused(cluster *clusterv1.Cluster, objects ...client.Object) bool {
	if cluster != nil && ptr.Deref(cluster.Spec.Paused, false) {
		return true
	}
	for _, o := range objects {
		if absentObject(o) {
			continue
		}
		if _, ok := o.GetAnnotations()[clusterv1.PausedAnnotation]; ok {
			return true
		}
	}
	return false
}

// PauseChanged passes an update only when the object's pause changed: the
// cluster.x-k8s.io/paused annotation, or a Cluster's spec.paused. For the
// watches of objects whose other changes do not concern a controller.
var PauseChanged = predicate.Funcs{UpdateFunc: func(e event.UpdateEvent) bool {
	_, was := e.ObjectOld.GetAnnotations()[clusterv1.PausedAnnotation]
	_, is := e.ObjectNew.GetAnnotations()[clusterv1.PausedAnnotation]
	if was != is {
		return true
	}
	old, ok := e.ObjectOld.(*clusterv1.Cluster)
	cur, ok2 := e.ObjectNew.(*clusterv1.Cluster)
	return ok && ok2 && ptr.Deref(old.Spec.Paused, false) != ptr.Deref(cur.Spec.Paused, false)
}}

// absentObject reports whether obj is nil, typed or not.
func absentObject(obj client.Object) bool {
	return obj == nil || reflect.ValueOf(obj).IsNil()
}
