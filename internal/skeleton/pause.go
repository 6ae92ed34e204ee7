package skeleton

import (
	"fmt"
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
	return PausedBy(cluster, objects...) != ""
}

// PausedBy is Paused saying what pauses, as Cluster API's Paused condition
// message does: the Cluster's spec.paused, else the first of objects with
// the annotation; "" when nothing does.
func PausedBy(cluster *clusterv1.Cluster, objects ...client.Object) string {
	if cluster != nil && ptr.Deref(cluster.Spec.Paused, false) {
		return fmt.Sprintf("Cluster %s/%s has spec.paused", cluster.Namespace, cluster.Name)
	}
	for _, o := range objects {
		if absentObject(o) {
			continue
		}
		if _, ok := o.GetAnnotations()[clusterv1.PausedAnnotation]; ok {
			return fmt.Sprintf("%s %s/%s has the annotation %s", kindOf(o), o.GetNamespace(), o.GetName(), clusterv1.PausedAnnotation)
		}
	}
	return ""
}

// kindOf is obj's kind: its TypeMeta's, else its Go type's name (typed
// objects from the cache carry no TypeMeta).
func kindOf(obj client.Object) string {
	if kind := obj.GetObjectKind().GroupVersionKind().Kind; kind != "" {
		return kind
	}
	return reflect.TypeOf(obj).Elem().Name()
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
