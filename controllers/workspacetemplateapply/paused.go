package workspacetemplateapply

import (
	"context"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/types"
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
func (r *Reconciler) paused(ctx context.Context, apply *infrastructurev1beta1.WorkspaceTemplateApply) (bool, error) {
	if _, ok := apply.Annotations[clusterv1.PausedAnnotation]; ok {
		return true, nil
	}
	if owner, ok := controlplanev1beta1.ControlPlaneOf(apply.Labels); ok {
		cp := &controlplanev1beta1.CAPTControlPlane{}
		switch err := r.Client.Get(ctx, owner, cp); {
		case err == nil:
			if _, ok := cp.Annotations[clusterv1.PausedAnnotation]; ok {
				return true, nil
			}
		case !apierrors.IsNotFound(err):
			return false, err
		}
	}
	name, ok := apply.Labels[clusterv1.ClusterNameLabel]
	if !ok {
		return false, nil
	}
	cluster := &clusterv1.Cluster{}
	switch err := r.Client.Get(ctx, types.NamespacedName{Namespace: apply.Namespace, Name: name}, cluster); {
	case err == nil:
		return cluster.Spec.Paused != nil && *cluster.Spec.Paused, nil
	case apierrors.IsNotFound(err) || meta.IsNoMatchError(err):
		return false, nil
	default:
		return false, err
	}
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
	return ok && ok2 && (old.Spec.Paused != nil && *old.Spec.Paused) != (cur.Spec.Paused != nil && *cur.Spec.Paused)
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
