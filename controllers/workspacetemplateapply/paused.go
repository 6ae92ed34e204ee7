package workspacetemplateapply

import (
	"context"

	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	controlplanev1beta1 "github.com/capt-controlplane/capt-controlplane/apis/controlplane/v1beta1"
	infrastructurev1beta1 "github.com/capt-controlplane/capt-controlplane/apis/infrastructure/v1beta1"
	"github.com/capt-controlplane/capt-controlplane/internal/mapping"
)

// paused reports whether Cluster API pauses the apply: its own
// cluster.x-k8s.io/paused annotation, its control plane's, or its Cluster's
// spec.paused. A paused apply gets no action, not even on deletion: it is
// what stands between a paused cluster and terraform destroy.
func paused(apply *infrastructurev1beta1.WorkspaceTemplateApply, obs *observed) bool {
	if _, ok := apply.Annotations[clusterv1.PausedAnnotation]; ok {
		return true
	}
	if obs.controlPlane != nil {
		if _, ok := obs.controlPlane.Annotations[clusterv1.PausedAnnotation]; ok {
			return true
		}
	}
	return obs.cluster != nil && ptr.Deref(obs.cluster.Spec.Paused, false)
}

// pauseChanged passes on an update only when the object's pause changed:
// the cluster.x-k8s.io/paused annotation, or a Cluster's spec.paused.
var pauseChanged = predicate.Funcs{UpdateFunc: func(e event.UpdateEvent) bool {
	_, was := e.ObjectOld.GetAnnotations()[clusterv1.PausedAnnotation]
	_, is := e.ObjectNew.GetAnnotations()[clusterv1.PausedAnnotation]
	if was != is {
		return true
	}
	old, ok := e.ObjectOld.(*clusterv1.Cluster)
	cur, ok2 := e.ObjectNew.(*clusterv1.Cluster)
	return ok && ok2 && ptr.Deref(old.Spec.Paused, false) != ptr.Deref(cur.Spec.Paused, false)
}}

// applyOfControlPlane maps a control plane to the apply it uses.
func applyOfControlPlane(_ context.Context, obj client.Object) []reconcile.Request {
	cp := obj.(*controlplanev1beta1.CAPTControlPlane)
	return []reconcile.Request{{NamespacedName: types.NamespacedName{Namespace: cp.Namespace, Name: cp.EffectiveWorkspaceTemplateApplyName()}}}
}

// appliesOfCluster maps a Cluster to the applies labelled with its name.
func (r *Reconciler) appliesOfCluster(ctx context.Context, obj client.Object) []reconcile.Request {
	requests, err := mapping.ListRequests(ctx, r.Client, &infrastructurev1beta1.WorkspaceTemplateApplyList{},
		client.InNamespace(obj.GetNamespace()), client.MatchingLabels{clusterv1.ClusterNameLabel: obj.GetName()})
	if err != nil {
		r.log(ctx).Error(err, "listing the applies of a Cluster", "cluster", client.ObjectKeyFromObject(obj))
	}
	return requests
}
