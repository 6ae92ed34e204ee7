package v1beta1

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
)

// Labels this project puts on the cluster-scoped Workspaces it renders, to
// link each one to its control plane: a namespaced object cannot own a
// cluster-scoped one.
const (
	LabelControlPlaneName      = "controlplane.cluster.x-k8s.io/captcontrolplane-name"
	LabelControlPlaneNamespace = "controlplane.cluster.x-k8s.io/captcontrolplane-namespace"
)

// AnnotationTokenExpires is the annotation of Cluster API's kubeconfig
// Secret that says when its token expires (RFC 3339).
const AnnotationTokenExpires = "controlplane.cluster.x-k8s.io/token-expires"

// AnnotationRenderMissingWorkspace set to "true" on a control plane whose
// endpoint is set (its cluster exists) and whose Workspace is gone, lets the
// manager render a new Workspace: a new Terraform run, which creates a
// second cluster unless the Terraform state came along (docs/move.md).
// Without it nothing is rendered; remove it once the Workspace exists.
const AnnotationRenderMissingWorkspace = "controlplane.cluster.x-k8s.io/render-missing-workspace"

// Names of the kubeconfig Secrets of a cluster: Cluster API's (a bearer
// token) and the people's (aws eks get-token).
const (
	KubeconfigSecretSuffix     = "-kubeconfig"
	UserKubeconfigSecretSuffix = "-user-kubeconfig"
)

// ControlPlaneOf returns the control plane that a Workspace's labels name;
// false unless both labels are set.
func ControlPlaneOf(labels map[string]string) (types.NamespacedName, bool) {
	ns, okNS := labels[LabelControlPlaneNamespace]
	name, okName := labels[LabelControlPlaneName]
	return types.NamespacedName{Namespace: ns, Name: name}, okNS && okName
}

// ControlPlaneIn is ControlPlaneOf for an object of namespace, whose
// control plane is in the same namespace: labels naming another
// namespace's control plane (anyone who writes the object can write them)
// name none.
func ControlPlaneIn(namespace string, labels map[string]string) (types.NamespacedName, bool) {
	owner, ok := ControlPlaneOf(labels)
	return owner, ok && owner.Namespace == namespace
}

// workspaceTemplateApplySuffix makes the default WorkspaceTemplateApply name,
// as existing CAPT does.
const workspaceTemplateApplySuffix = "-eks-controlplane-apply"

// maxLabelValue is the longest label value: the apply's name is one on
// the Workspace it renders.
const maxLabelValue = 63

// EffectiveWorkspaceTemplateApplyName is spec.workspaceTemplateApplyName, or
// the default "<name>-eks-controlplane-apply" while it is not yet set. A
// default that would be longer than a label value keeps the start of the
// name and a hash of all of it, as Cluster API's generated names do:
// "<start>-<8 hex digits>-eks-controlplane-apply", 63 characters, the same
// for the same name.
func (c *CAPTControlPlane) EffectiveWorkspaceTemplateApplyName() string {
	if c.Spec.WorkspaceTemplateApplyName != "" {
		return c.Spec.WorkspaceTemplateApplyName
	}
	if len(c.Name)+len(workspaceTemplateApplySuffix) <= maxLabelValue {
		return c.Name + workspaceTemplateApplySuffix
	}
	sum := sha256.Sum256([]byte(c.Name))
	hash := hex.EncodeToString(sum[:])[:8]
	start := c.Name[:maxLabelValue-len(workspaceTemplateApplySuffix)-len(hash)-1]
	// A label value ends with a letter or digit.
	start = strings.TrimRight(start, "-.")
	return start + "-" + hash + workspaceTemplateApplySuffix
}

// OwnerClusterName is the name of the Cluster API Cluster that owns the
// control plane, from its owner reference or Cluster API's cluster-name
// label; "" when none.
func OwnerClusterName(cp *CAPTControlPlane) string {
	for _, ref := range cp.OwnerReferences {
		if gv, err := schema.ParseGroupVersion(ref.APIVersion); err == nil && ref.Kind == "Cluster" && gv.Group == clusterGroup {
			return ref.Name
		}
	}
	return cp.Labels[clusterNameLabel]
}

// Cluster API's group and cluster-name label (its API module is not
// imported by the API types).
const (
	clusterGroup     = "cluster.x-k8s.io"
	clusterNameLabel = "cluster.x-k8s.io/cluster-name"
)

// Hostname is the endpoint's host without the scheme upstream CAPT
// recorded with it ("https://host").
func (e APIEndpoint) Hostname() string { return strings.TrimPrefix(e.Host, "https://") }

// Server is the endpoint as a kubeconfig's server URL.
func (e APIEndpoint) Server() string { return fmt.Sprintf("https://%s:%d", e.Hostname(), e.Port) }
