package kubeconfig

import (
	"context"

	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	controlplanev1beta1 "github.com/capt-controlplane/capt-controlplane/apis/controlplane/v1beta1"
	infrastructurev1beta1 "github.com/capt-controlplane/capt-controlplane/apis/infrastructure/v1beta1"
	"github.com/capt-controlplane/capt-controlplane/internal/clusterapi"
	"github.com/capt-controlplane/capt-controlplane/internal/mapping"
	"github.com/capt-controlplane/capt-controlplane/internal/skeleton"
)

// SetupWithManager registers the watches: control planes (only changes of
// what the kubeconfig is made from), the Secrets they own (a deleted or
// edited kubeconfig is written again) and their Clusters' pause.
func (r *Reconciler) SetupWithManager(_ context.Context, mgr ctrl.Manager, options controller.Options) error {
	if r.Client == nil {
		r.Client = mgr.GetClient()
	}
	if r.APIReader == nil {
		r.APIReader = mgr.GetAPIReader()
	}
	if r.Recorder == nil {
		r.Recorder = mgr.GetEventRecorder(FieldManager)
	}
	b := ctrl.NewControllerManagedBy(mgr).
		Named(ControllerName).
		For(&controlplanev1beta1.CAPTControlPlane{}, builder.WithPredicates(inputsChanged)).
		Watches(&corev1.Secret{}, handler.EnqueueRequestsFromMapFunc(mapping.ToControlPlane)).
		// A grant given back signs at once what waited for it.
		Watches(&infrastructurev1beta1.ProviderConfigGrant{}, handler.EnqueueRequestsFromMapFunc(r.everyControlPlane)).
		WithOptions(options)
	r.clusterAPI = clusterapi.Discover(mgr.GetRESTMapper())
	if r.clusterAPI.Served {
		// Its pause: the Cluster names its control plane.
		b = b.Watches(&clusterv1.Cluster{}, handler.EnqueueRequestsFromMapFunc(controlPlaneOfCluster), builder.WithPredicates(skeleton.PauseChanged))
	}
	return b.Complete(r)
}

// controlPlaneOfCluster maps a Cluster to the CAPTControlPlane its
// spec.controlPlaneRef names.
func controlPlaneOfCluster(_ context.Context, obj client.Object) []reconcile.Request {
	ref := obj.(*clusterv1.Cluster).Spec.ControlPlaneRef
	if ref.APIGroup != controlplanev1beta1.GroupVersion.Group || ref.Kind != "CAPTControlPlane" || ref.Name == "" {
		return nil
	}
	return []reconcile.Request{{NamespacedName: types.NamespacedName{Namespace: obj.GetNamespace(), Name: ref.Name}}}
}

// inputsChanged passes a control plane's update only when something the
// kubeconfig is made from changed; the mirror's other outputs, for one, do
// not wake this controller.
var inputsChanged = predicate.Funcs{UpdateFunc: func(e event.UpdateEvent) bool {
	old, ok := e.ObjectOld.(*controlplanev1beta1.CAPTControlPlane)
	cur, ok2 := e.ObjectNew.(*controlplanev1beta1.CAPTControlPlane)
	return !ok || !ok2 || inputs(old) != inputs(cur)
}}

func (r *Reconciler) everyControlPlane(ctx context.Context, _ client.Object) []reconcile.Request {
	requests, err := mapping.ListRequests(ctx, r.Client, &controlplanev1beta1.CAPTControlPlaneList{})
	if err != nil {
		r.log(ctx).Error(err, "listing the control planes for a ProviderConfigGrant")
	}
	return requests
}
