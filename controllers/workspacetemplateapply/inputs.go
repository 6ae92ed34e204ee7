package workspacetemplateapply

import (
	"context"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/types"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	"sigs.k8s.io/controller-runtime/pkg/client"

	controlplanev1beta1 "github.com/capt-controlplane/capt-controlplane/apis/controlplane/v1beta1"
	tfv1beta1 "github.com/capt-controlplane/capt-controlplane/apis/external/tf/v1beta1"
	infrastructurev1beta1 "github.com/capt-controlplane/capt-controlplane/apis/infrastructure/v1beta1"
	"github.com/capt-controlplane/capt-controlplane/controllers/ssa"
)

// read is one cached object a reconcile decides from.
type read struct {
	name string
	key  types.NamespacedName
	obj  client.Object
}

// inputs are the versions of every cached object a reconcile of apply
// decides from: the apply, its template, its Workspace, the Workspaces it
// waits for, and the control plane and Cluster whose pause holds it. ok is
// false when the decision also depends on something read live (Secrets it
// waits for), which no version captures.
func (r *Reconciler) inputs(ctx context.Context, apply *infrastructurev1beta1.WorkspaceTemplateApply) (in ssa.Inputs, ok bool, err error) {
	in.Add("apply", apply)
	tmplKey := types.NamespacedName{Namespace: apply.Spec.TemplateRef.Namespace, Name: apply.Spec.TemplateRef.Name}
	if tmplKey.Namespace == "" {
		tmplKey.Namespace = apply.Namespace
	}
	reads := []read{
		{"template", tmplKey, &infrastructurev1beta1.WorkspaceTemplate{}},
		{"workspace", types.NamespacedName{Name: apply.WorkspaceName()}, &tfv1beta1.Workspace{}},
	}
	if owner, isOwned := controlplanev1beta1.ControlPlaneOf(apply.Labels); isOwned {
		reads = append(reads, read{"controlplane", owner, &controlplanev1beta1.CAPTControlPlane{}})
	}
	if cluster, isLabelled := apply.Labels[clusterv1.ClusterNameLabel]; isLabelled {
		reads = append(reads, read{"cluster", types.NamespacedName{Namespace: apply.Namespace, Name: cluster}, &clusterv1.Cluster{}})
	}
	for _, ref := range apply.Spec.WaitForWorkspaces {
		reads = append(reads, read{"waitfor", types.NamespacedName{Name: ref.Name}, &tfv1beta1.Workspace{}})
	}
	for _, rd := range reads {
		switch err := r.Client.Get(ctx, rd.key, rd.obj); {
		case err == nil:
			in.Add(rd.name, rd.obj)
		case apierrors.IsNotFound(err) || meta.IsNoMatchError(err):
			in.Add(rd.name, nil)
		default:
			return in, false, err
		}
	}
	return in, len(apply.Spec.WaitForSecrets) == 0, nil
}
