package workspacetemplateapply

import (
	"context"

	"k8s.io/apimachinery/pkg/types"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	"sigs.k8s.io/controller-runtime/pkg/client"

	controlplanev1beta1 "github.com/capt-controlplane/capt-controlplane/apis/controlplane/v1beta1"
	tfv1beta1 "github.com/capt-controlplane/capt-controlplane/apis/external/tf/v1beta1"
	tfmv1beta1 "github.com/capt-controlplane/capt-controlplane/apis/external/tfm/v1beta1"
	infrastructurev1beta1 "github.com/capt-controlplane/capt-controlplane/apis/infrastructure/v1beta1"
	"github.com/capt-controlplane/capt-controlplane/internal/grants"
	"github.com/capt-controlplane/capt-controlplane/internal/ownership"
	"github.com/capt-controlplane/capt-controlplane/internal/skeleton"
)

// read is one cached object a reconcile decides from.
type read struct {
	name string
	key  types.NamespacedName
	obj  client.Object
}

// observed is what a reconcile of an apply read before deciding.
type observed struct {
	// settleable is false when the decision also depends on something read
	// live (Secrets it waits for), which no version captures.
	settleable   bool
	controlPlane *controlplanev1beta1.CAPTControlPlane // nil when none
	cluster      *clusterv1.Cluster                    // nil when none
	grants       *grants.View
	// templateKey names the apply's template; template is it, nil when
	// there is none.
	templateKey types.NamespacedName
	template    *infrastructurev1beta1.WorkspaceTemplate
	// workspaces are the Workspaces of the name the apply renders, of
	// either kind.
	workspaces liveWorkspaces
	// waitFor are the cluster-scoped Workspaces spec.waitForWorkspaces
	// names, by name; a missing one is not there.
	waitFor map[string]*tfv1beta1.Workspace
}

// Observe reads, once each, the cached objects a reconcile of apply
// decides from, records their versions in in and hands them to Act: its
// template, its Workspace of either kind, the Workspaces it waits for, and
// the control plane and Cluster whose pause holds it.
func (r *Reconciler) Observe(ctx context.Context, apply *infrastructurev1beta1.WorkspaceTemplateApply, in *skeleton.Inputs) (*observed, skeleton.PauseSources, error) {
	obs := &observed{settleable: len(apply.Spec.WaitForSecrets) == 0, waitFor: map[string]*tfv1beta1.Workspace{}}
	obs.templateKey = types.NamespacedName{Namespace: apply.Spec.TemplateRef.Namespace, Name: apply.Spec.TemplateRef.Name}
	if obs.templateKey.Namespace == "" {
		obs.templateKey.Namespace = apply.Namespace
	}
	reads := []read{
		{"template", obs.templateKey, &infrastructurev1beta1.WorkspaceTemplate{}},
		{"workspace", types.NamespacedName{Name: apply.WorkspaceName()}, &tfv1beta1.Workspace{}},
	}
	if owner, isOwned := controlplanev1beta1.ControlPlaneIn(apply.Namespace, apply.Labels); isOwned {
		reads = append(reads, read{"controlplane", owner, &controlplanev1beta1.CAPTControlPlane{}})
	}
	if cluster, isLabelled := apply.Labels[clusterv1.ClusterNameLabel]; isLabelled {
		reads = append(reads, read{"cluster", types.NamespacedName{Namespace: apply.Namespace, Name: cluster}, &clusterv1.Cluster{}})
	}
	if r.namespaced {
		reads = append(reads, read{"namespacedworkspace", types.NamespacedName{Namespace: apply.Namespace, Name: apply.WorkspaceName()}, &tfmv1beta1.Workspace{}})
	}
	for _, ref := range apply.Spec.WaitForWorkspaces {
		reads = append(reads, read{"waitfor", types.NamespacedName{Name: ref.Name}, &tfv1beta1.Workspace{}})
	}
	for _, rd := range reads {
		switch err := r.Client.Get(ctx, rd.key, rd.obj); {
		case err == nil:
			in.Add(rd.name, rd.obj)
			obs.keep(rd)
		case ownership.Absent(err):
			in.Add(rd.name, nil)
		default:
			return nil, skeleton.PauseSources{}, err
		}
	}
	view, err := grants.Read(ctx, r.Client, apply.Namespace, r.GrantsInstalled, in)
	if err != nil {
		return nil, skeleton.PauseSources{}, err
	}
	obs.grants = view
	// The apply is paused with its control plane: its own annotation, the
	// control plane's, or the Cluster's spec.paused.
	sources := skeleton.PauseSources{Cluster: obs.cluster, HeldBy: r.clusterAPI.HeldBy()}
	if obs.controlPlane != nil {
		sources.Objects = []client.Object{obs.controlPlane}
	}
	return obs, sources, nil
}

// keep hands what rd read to Act.
func (obs *observed) keep(rd read) {
	switch rd.name {
	case "template":
		obs.template = rd.obj.(*infrastructurev1beta1.WorkspaceTemplate)
	case "workspace":
		obs.workspaces.cluster = rd.obj.(*tfv1beta1.Workspace)
	case "namespacedworkspace":
		obs.workspaces.namespaced = rd.obj.(*tfmv1beta1.Workspace)
	case "waitfor":
		obs.waitFor[rd.key.Name] = rd.obj.(*tfv1beta1.Workspace)
	case "controlplane":
		obs.controlPlane = rd.obj.(*controlplanev1beta1.CAPTControlPlane)
	case "cluster":
		obs.cluster = rd.obj.(*clusterv1.Cluster)
	}
}
