package testenv

import (
	"context"
	"encoding/json"
	"os"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	tfv1beta1 "github.com/capt-controlplane/capt-controlplane/apis/external/tf/v1beta1"
	tfmv1beta1 "github.com/capt-controlplane/capt-controlplane/apis/external/tfm/v1beta1"
	infrastructurev1beta1 "github.com/capt-controlplane/capt-controlplane/apis/infrastructure/v1beta1"
)

// WorkspaceScope is the scope of the Workspaces the tests' templates ask
// for: CAPT_TEST_WORKSPACE_SCOPE (Namespaced or Cluster), by default
// Namespaced with provider-terraform v1 and Cluster with v0 (which serves
// no other). make test runs the suites of both.
func WorkspaceScope() infrastructurev1beta1.WorkspaceScope {
	if scope := os.Getenv("CAPT_TEST_WORKSPACE_SCOPE"); scope != "" {
		return infrastructurev1beta1.WorkspaceScope(scope)
	}
	if ProviderTerraformGeneration() == "v0" {
		return infrastructurev1beta1.WorkspaceScopeCluster
	}
	return infrastructurev1beta1.WorkspaceScopeNamespaced
}

// WorkspaceKey is the key of the Workspace called name that a control
// plane in namespace has, in the tests' scope: namespaced in namespace, or
// cluster-scoped.
func WorkspaceKey(namespace, name string) types.NamespacedName {
	if WorkspaceScope() == infrastructurev1beta1.WorkspaceScopeNamespaced {
		return types.NamespacedName{Namespace: namespace, Name: name}
	}
	return types.NamespacedName{Name: name}
}

// NewWorkspace is an empty Workspace of the kind key names: namespaced
// when key has a namespace.
func NewWorkspace(key types.NamespacedName) tfv1beta1.AnyWorkspace {
	if key.Namespace != "" {
		return &tfmv1beta1.Workspace{}
	}
	return &tfv1beta1.Workspace{}
}

// NewWorkspaceList is an empty list of the Workspaces of scope.
func NewWorkspaceList(scope infrastructurev1beta1.WorkspaceScope) client.ObjectList {
	if scope == infrastructurev1beta1.WorkspaceScopeNamespaced {
		return &tfmv1beta1.WorkspaceList{}
	}
	return &tfv1beta1.WorkspaceList{}
}

// GetWorkspace reads the Workspace at key, of the kind key names.
func GetWorkspace(ctx context.Context, c client.Reader, key types.NamespacedName) (tfv1beta1.AnyWorkspace, error) {
	ws := NewWorkspace(key)
	if err := c.Get(ctx, key, ws); err != nil {
		return nil, err
	}
	return ws, nil
}

// DefaultWorkspaceResource is the resource (for kubectl) of the Workspace a
// template without workspaceScope renders, such as config/samples': the
// namespaced kind with provider-terraform v1, the cluster-scoped one with
// v0.
func DefaultWorkspaceResource() string {
	if ProviderTerraformGeneration() == "v0" {
		return "workspaces.tf.upbound.io"
	}
	return "workspaces.tf.m.upbound.io"
}

// WorkspaceObject is a Workspace to create at key, of the kind key names,
// with labels and a Remote module: what a test creates in place of the
// manager.
func WorkspaceObject(key types.NamespacedName, labels map[string]string) tfv1beta1.AnyWorkspace {
	meta := metav1.ObjectMeta{Name: key.Name, Namespace: key.Namespace, Labels: labels}
	if key.Namespace != "" {
		return &tfmv1beta1.Workspace{ObjectMeta: meta, Spec: tfmv1beta1.WorkspaceSpec{ForProvider: tfmv1beta1.WorkspaceParameters{
			Module: "git::https://example.com/eks.git", Source: tfv1beta1.ModuleSourceRemote}}}
	}
	return &tfv1beta1.Workspace{ObjectMeta: meta, Spec: tfv1beta1.WorkspaceSpec{ForProvider: tfv1beta1.WorkspaceParameters{
		Module: "git::https://example.com/eks.git", Source: tfv1beta1.ModuleSourceRemote}}}
}

// WorkspaceCRD is the name of the CRD of the Workspace kind key names.
func WorkspaceCRD(key types.NamespacedName) string {
	if key.Namespace != "" {
		return "workspaces.tf.m.upbound.io"
	}
	return "workspaces.tf.upbound.io"
}

// BindToApply marks ws as apply's Workspace, as the apply controller
// renders it (ownership.BoundTo): a namespaced Workspace gets the apply as
// its controller, a cluster-scoped one the apply's labels and UID. For
// tests that play the apply controller.
func BindToApply(ws tfv1beta1.AnyWorkspace, apply *infrastructurev1beta1.WorkspaceTemplateApply) tfv1beta1.AnyWorkspace {
	labels := ws.GetLabels()
	if labels == nil {
		labels = map[string]string{}
	}
	labels[infrastructurev1beta1.LabelApplyNamespace] = apply.Namespace
	labels[infrastructurev1beta1.LabelApplyName] = apply.Name
	labels[infrastructurev1beta1.LabelApplyUID] = string(apply.UID)
	ws.SetLabels(labels)
	if ws.GetNamespace() != "" {
		controller := true
		ws.SetOwnerReferences([]metav1.OwnerReference{{
			APIVersion: infrastructurev1beta1.GroupVersion.String(), Kind: "WorkspaceTemplateApply",
			Name: apply.Name, UID: apply.UID, Controller: &controller,
		}})
	}
	return ws
}

// WithUnservedField sets in spec the one field the installed generation of
// provider-terraform (ProviderTerraformGeneration) does not serve —
// publishConnectionDetailsTo on v1, forProvider.remotePullPolicy on v0 —
// and returns its path, as a FieldNotServed refusal names it.
func WithUnservedField(spec *tfv1beta1.WorkspaceSpec) string {
	if ProviderTerraformGeneration() == "v0" {
		spec.ForProvider.RemotePullPolicy = "IfNotPresent"
		return "spec.forProvider.remotePullPolicy"
	}
	spec.PublishConnectionDetailsTo = &tfv1beta1.PublishConnectionDetailsTo{Name: "${WORKSPACE_NAME}"}
	return "spec.publishConnectionDetailsTo"
}

// VarsOf is a Workspace's spec.forProvider.vars by key, of either kind.
func VarsOf(ws any) map[string]string {
	raw, err := json.Marshal(ws)
	if err != nil {
		return nil
	}
	var rendered struct {
		Spec struct {
			ForProvider struct{ Vars []tfv1beta1.Var } `json:"forProvider"`
		} `json:"spec"`
	}
	if json.Unmarshal(raw, &rendered) != nil {
		return nil
	}
	vars := map[string]string{}
	for _, v := range rendered.Spec.ForProvider.Vars {
		vars[v.Key] = v.Value
	}
	return vars
}
