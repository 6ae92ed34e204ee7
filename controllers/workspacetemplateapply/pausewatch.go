package workspacetemplateapply

import (
	"context"

	"k8s.io/apimachinery/pkg/types"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	controlplanev1beta1 "github.com/capt-controlplane/capt-controlplane/apis/controlplane/v1beta1"
	infrastructurev1beta1 "github.com/capt-controlplane/capt-controlplane/apis/infrastructure/v1beta1"
	"github.com/capt-controlplane/capt-controlplane/internal/mapping"
)

// The control plane and the Cluster are watched for their pause alone
// (skeleton.PauseChanged); these map them to the applies they pause.

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
