package kubeconfig

import (
	"context"

	corev1 "k8s.io/api/core/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/predicate"

	controlplanev1beta1 "github.com/capt-controlplane/capt-controlplane/apis/controlplane/v1beta1"
	"github.com/capt-controlplane/capt-controlplane/internal/mapping"
)

// SetupWithManager registers the watches: control planes (only changes of
// what the kubeconfig is made from) and the Secrets they own (a deleted or
// edited kubeconfig is written again).
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
	return ctrl.NewControllerManagedBy(mgr).
		Named(ControllerName).
		For(&controlplanev1beta1.CAPTControlPlane{}, builder.WithPredicates(inputsChanged)).
		Watches(&corev1.Secret{}, handler.EnqueueRequestsFromMapFunc(mapping.ToControlPlane)).
		WithOptions(options).
		Complete(r)
}

// inputsChanged passes a control plane's update only when something the
// kubeconfig is made from changed; the mirror's other outputs, for one, do
// not wake this controller.
var inputsChanged = predicate.Funcs{UpdateFunc: func(e event.UpdateEvent) bool {
	old, ok := e.ObjectOld.(*controlplanev1beta1.CAPTControlPlane)
	cur, ok2 := e.ObjectNew.(*controlplanev1beta1.CAPTControlPlane)
	return !ok || !ok2 || inputs(old) != inputs(cur)
}}
