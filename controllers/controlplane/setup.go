package controlplane

import (
	"context"

	corev1 "k8s.io/api/core/v1"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	controlplanev1beta1 "github.com/capt-controlplane/capt-controlplane/apis/controlplane/v1beta1"
	tfv1beta1 "github.com/capt-controlplane/capt-controlplane/apis/external/tf/v1beta1"
	tfmv1beta1 "github.com/capt-controlplane/capt-controlplane/apis/external/tfm/v1beta1"
	infrastructurev1beta1 "github.com/capt-controlplane/capt-controlplane/apis/infrastructure/v1beta1"
	"github.com/capt-controlplane/capt-controlplane/internal/clusterapi"
	"github.com/capt-controlplane/capt-controlplane/internal/mapping"
	"github.com/capt-controlplane/capt-controlplane/internal/providerterraform"
)

// SetupWithManager registers the watches: control planes, the applies and
// kubeconfig Secrets they own, their Workspaces (by label) and, when Cluster API is installed, their
// Clusters (for spec.paused).
func (r *Reconciler) SetupWithManager(ctx context.Context, mgr ctrl.Manager, options controller.Options) error {
	if r.Client == nil {
		r.Client = mgr.GetClient()
	}
	if r.Recorder == nil {
		r.Recorder = mgr.GetEventRecorder(FieldManager)
	}
	if r.APIReader == nil {
		r.APIReader = mgr.GetAPIReader()
	}
	if err := mgr.GetFieldIndexer().IndexField(ctx, &controlplanev1beta1.CAPTControlPlane{}, indexOwnerCluster, ownerClusterOf); err != nil {
		return err
	}
	b := ctrl.NewControllerManagedBy(mgr).
		Named(ControllerName).
		For(&controlplanev1beta1.CAPTControlPlane{}, builder.WithPredicates(controlPlaneChanged)).
		Watches(&infrastructurev1beta1.WorkspaceTemplateApply{}, handler.EnqueueRequestsFromMapFunc(mapping.ToControlPlane)).
		// The kubeconfig Secret: deleted or edited, it is applied again.
		Watches(&corev1.Secret{}, handler.EnqueueRequestsFromMapFunc(mapping.ToControlPlane)).
		WithOptions(options)
	r.clusterAPI = clusterapi.Discover(mgr.GetRESTMapper())
	if providerterraform.ClusterScopedServed(mgr.GetRESTMapper()) {
		b = b.Watches(&tfv1beta1.Workspace{}, handler.EnqueueRequestsFromMapFunc(controlPlaneForWorkspace), builder.WithPredicates(workspaceChanged))
	}
	if providerterraform.NamespacedServed(mgr.GetRESTMapper()) {
		b = b.Watches(&tfmv1beta1.Workspace{}, handler.EnqueueRequestsFromMapFunc(controlPlaneForWorkspace), builder.WithPredicates(workspaceChanged))
	}
	switch {
	case r.clusterAPI.Served:
		b = b.Watches(&clusterv1.Cluster{}, handler.EnqueueRequestsFromMapFunc(r.controlPlanesForCluster))
	case r.clusterAPI.Unsupported():
		mgr.GetLogger().Info("refusing to act on control planes: " + r.clusterAPI.Message())
	default:
		mgr.GetLogger().Info("Cluster API's Cluster kind is not installed; control planes stand alone")
	}
	return b.Complete(r)
}

func controlPlaneForWorkspace(_ context.Context, obj client.Object) []reconcile.Request {
	owner, ok := controlplanev1beta1.ControlPlaneOf(obj.GetLabels())
	if !ok {
		return nil
	}
	return []reconcile.Request{{NamespacedName: owner}}
}

// indexOwnerCluster indexes control planes by the name of their owner
// Cluster: Cluster API writes Clusters often, and each event would
// otherwise look at every control plane of the namespace.
const indexOwnerCluster = "controlplane.ownerCluster"

func ownerClusterOf(obj client.Object) []string {
	if name := controlplanev1beta1.OwnerClusterName(obj.(*controlplanev1beta1.CAPTControlPlane)); name != "" {
		return []string{name}
	}
	return nil
}

// controlPlanesForCluster maps a Cluster to the control planes it owns.
func (r *Reconciler) controlPlanesForCluster(ctx context.Context, obj client.Object) []reconcile.Request {
	requests, err := mapping.ListRequests(ctx, r.Client, &controlplanev1beta1.CAPTControlPlaneList{},
		client.InNamespace(obj.GetNamespace()), client.MatchingFields{indexOwnerCluster: obj.GetName()})
	if err != nil {
		r.log(ctx).Error(err, "listing control planes of a Cluster", "cluster", client.ObjectKeyFromObject(obj))
	}
	return requests
}
