package v1beta1

import "k8s.io/apimachinery/pkg/types"

// Labels this project puts on the cluster-scoped Workspaces it renders, to
// link each one to its control plane: a namespaced object cannot own a
// cluster-scoped one.
const (
	LabelControlPlaneName      = "controlplane.cluster.x-k8s.io/captcontrolplane-name"
	LabelControlPlaneNamespace = "controlplane.cluster.x-k8s.io/captcontrolplane-namespace"
)

// ControlPlaneOf returns the control plane that a Workspace's labels name;
// false unless both labels are set.
func ControlPlaneOf(labels map[string]string) (types.NamespacedName, bool) {
	ns, okNS := labels[LabelControlPlaneNamespace]
	name, okName := labels[LabelControlPlaneName]
	return types.NamespacedName{Namespace: ns, Name: name}, okNS && okName
}

// workspaceTemplateApplySuffix makes the default WorkspaceTemplateApply name,
// as existing CAPT does.
const workspaceTemplateApplySuffix = "-eks-controlplane-apply"

// EffectiveWorkspaceTemplateApplyName is spec.workspaceTemplateApplyName, or
// the default "<name>-eks-controlplane-apply" while it is not yet set.
func (c *CAPTControlPlane) EffectiveWorkspaceTemplateApplyName() string {
	if c.Spec.WorkspaceTemplateApplyName != "" {
		return c.Spec.WorkspaceTemplateApplyName
	}
	return c.Name + workspaceTemplateApplySuffix
}
