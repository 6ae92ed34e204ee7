package workspacestatus

import (
	"context"

	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/predicate"

	controlplanev1beta1 "github.com/capt-controlplane/capt-controlplane/apis/controlplane/v1beta1"
	tfv1beta1 "github.com/capt-controlplane/capt-controlplane/apis/external/tf/v1beta1"
	tfmv1beta1 "github.com/capt-controlplane/capt-controlplane/apis/external/tfm/v1beta1"
	infrastructurev1beta1 "github.com/capt-controlplane/capt-controlplane/apis/infrastructure/v1beta1"
	"github.com/capt-controlplane/capt-controlplane/internal/providerterraform"
)

// SetupWithManager registers the cache indexes and watches: control planes
// themselves (so that a foreign write to workspaceStatus is seen and
// repaired), their Workspaces and their WorkspaceTemplateApplies.
func (r *Reconciler) SetupWithManager(ctx context.Context, mgr ctrl.Manager, options controller.Options) error {
	if r.Client == nil {
		r.Client = mgr.GetClient()
	}
	if r.Recorder == nil {
		r.Recorder = mgr.GetEventRecorder(FieldManager)
	}
	indexer := mgr.GetFieldIndexer()
	if err := indexer.IndexField(ctx, &controlplanev1beta1.CAPTControlPlane{}, indexApplyName, applyNameOf); err != nil {
		return err
	}
	if err := indexer.IndexField(ctx, &infrastructurev1beta1.WorkspaceTemplateApply{}, indexWorkspaceName, recordedWorkspaceName); err != nil {
		return err
	}
	b := ctrl.NewControllerManagedBy(mgr).
		Named(ControllerName).
		For(&controlplanev1beta1.CAPTControlPlane{}, builder.WithPredicates(predicate.Funcs{UpdateFunc: r.settled.NotOwnEcho})).
		// A resync of a Workspace or an apply (same resourceVersion) would
		// only queue its control plane a second and third time in the same
		// period: the control plane's own resync re-checks it.
		Watches(&infrastructurev1beta1.WorkspaceTemplateApply{}, handler.EnqueueRequestsFromMapFunc(r.controlPlanesForApply),
			builder.WithPredicates(predicate.ResourceVersionChangedPredicate{})).
		WithOptions(options)
	if providerterraform.ClusterScopedServed(mgr.GetRESTMapper()) {
		b = b.Watches(&tfv1beta1.Workspace{}, handler.EnqueueRequestsFromMapFunc(r.controlPlanesForWorkspace),
			builder.WithPredicates(predicate.ResourceVersionChangedPredicate{}))
	}
	if providerterraform.NamespacedServed(mgr.GetRESTMapper()) {
		b = b.Watches(&tfmv1beta1.Workspace{}, handler.EnqueueRequestsFromMapFunc(r.controlPlanesForWorkspace),
			builder.WithPredicates(predicate.ResourceVersionChangedPredicate{}))
	}
	return b.Complete(r)
}
