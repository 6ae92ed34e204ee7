package workspacetemplateapply

import (
	"context"

	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	controlplanev1beta1 "github.com/capt-controlplane/capt-controlplane/apis/controlplane/v1beta1"
	tfv1beta1 "github.com/capt-controlplane/capt-controlplane/apis/external/tf/v1beta1"
	tfmv1beta1 "github.com/capt-controlplane/capt-controlplane/apis/external/tfm/v1beta1"
	infrastructurev1beta1 "github.com/capt-controlplane/capt-controlplane/apis/infrastructure/v1beta1"
	"github.com/capt-controlplane/capt-controlplane/internal/clusterapi"
	"github.com/capt-controlplane/capt-controlplane/internal/mapping"
	"github.com/capt-controlplane/capt-controlplane/internal/ownership"
	"github.com/capt-controlplane/capt-controlplane/internal/providerterraform"
	"github.com/capt-controlplane/capt-controlplane/internal/skeleton"
)

// indexTemplate indexes applies by the namespace/name of their template.
const indexTemplate = "capt.workspacetemplateapply/template"

func templateOf(obj client.Object) []string {
	apply := obj.(*infrastructurev1beta1.WorkspaceTemplateApply)
	ns := apply.Spec.TemplateRef.Namespace
	if ns == "" {
		ns = apply.Namespace
	}
	return []string{ns + "/" + apply.Spec.TemplateRef.Name}
}

// SetupWithManager registers the watches: applies, the Workspaces they
// render (found by label) and the templates they use.
func (r *Reconciler) SetupWithManager(ctx context.Context, mgr ctrl.Manager, options controller.Options) error {
	if r.Client == nil {
		r.Client = mgr.GetClient()
	}
	if r.APIReader == nil {
		r.APIReader = mgr.GetAPIReader()
	}
	if r.Recorder == nil {
		r.Recorder = mgr.GetEventRecorder(FieldManager)
	}
	if err := mgr.GetFieldIndexer().IndexField(ctx, &infrastructurev1beta1.WorkspaceTemplateApply{}, indexTemplate, templateOf); err != nil {
		return err
	}
	b := ctrl.NewControllerManagedBy(mgr).
		Named(ControllerName).
		For(&infrastructurev1beta1.WorkspaceTemplateApply{}).
		Watches(&infrastructurev1beta1.WorkspaceTemplate{}, handler.EnqueueRequestsFromMapFunc(r.appliesForTemplate)).
		// Unpausing a control plane or a Cluster resumes its applies; a
		// control plane's word renders a missing Workspace.
		Watches(&controlplanev1beta1.CAPTControlPlane{}, handler.EnqueueRequestsFromMapFunc(applyOfControlPlane),
			builder.WithPredicates(predicate.Or(skeleton.PauseChanged, predicate.AnnotationChangedPredicate{}))).
		// A grant given or taken back decides again for every apply.
		Watches(&infrastructurev1beta1.ProviderConfigGrant{}, handler.EnqueueRequestsFromMapFunc(r.everyApply)).
		WithOptions(options)
	r.clusterAPI = clusterapi.Discover(mgr.GetRESTMapper())
	r.served = &providerterraform.Discoverer{Config: mgr.GetConfig(), GVK: tfv1beta1.GroupVersion.WithKind("Workspace")}
	r.servedNamespaced = &providerterraform.Discoverer{Config: mgr.GetConfig(), GVK: tfmv1beta1.GroupVersion.WithKind("Workspace")}
	if r.clusterScoped = providerterraform.ClusterScopedServed(mgr.GetRESTMapper()); r.clusterScoped {
		b = b.Watches(&tfv1beta1.Workspace{}, handler.EnqueueRequestsFromMapFunc(applyForWorkspace), builder.WithPredicates(workspaceChanged))
	}
	if r.namespaced = providerterraform.NamespacedServed(mgr.GetRESTMapper()); r.namespaced {
		b = b.Watches(&tfmv1beta1.Workspace{}, handler.EnqueueRequestsFromMapFunc(applyForWorkspace), builder.WithPredicates(workspaceChanged))
	}
	if r.clusterAPI.Served {
		b = b.Watches(&clusterv1.Cluster{}, handler.EnqueueRequestsFromMapFunc(r.appliesOfCluster), builder.WithPredicates(skeleton.PauseChanged))
	}
	return b.Complete(r)
}

func applyForWorkspace(_ context.Context, obj client.Object) []reconcile.Request {
	if owner, ok := ownership.ApplyOf(obj); ok {
		return []reconcile.Request{{NamespacedName: owner}}
	}
	return nil
}

func (r *Reconciler) appliesForTemplate(ctx context.Context, obj client.Object) []reconcile.Request {
	requests, err := mapping.ListRequests(ctx, r.Client, &infrastructurev1beta1.WorkspaceTemplateApplyList{},
		client.MatchingFields{indexTemplate: obj.GetNamespace() + "/" + obj.GetName()})
	if err != nil {
		r.log(ctx).Error(err, "listing the applies of a template", "template", client.ObjectKeyFromObject(obj))
	}
	return requests
}

func (r *Reconciler) everyApply(ctx context.Context, _ client.Object) []reconcile.Request {
	requests, err := mapping.ListRequests(ctx, r.Client, &infrastructurev1beta1.WorkspaceTemplateApplyList{})
	if err != nil {
		r.log(ctx).Error(err, "listing the applies for a ProviderConfigGrant")
	}
	return requests
}
