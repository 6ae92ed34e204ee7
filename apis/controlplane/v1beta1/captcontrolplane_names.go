package v1beta1

// Labels this project puts on the cluster-scoped Workspaces it renders, to
// link each one to its control plane: a namespaced object cannot own a
// cluster-scoped one.
const (
	LabelControlPlaneName      = "controlplane.cluster.x-k8s.io/captcontrolplane-name"
	LabelControlPlaneNamespace = "controlplane.cluster.x-k8s.io/captcontrolplane-namespace"
)

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
