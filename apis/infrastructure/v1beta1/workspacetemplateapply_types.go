package v1beta1

import (
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	tfv1beta1 "github.com/capt-controlplane/capt-controlplane/apis/external/tf/v1beta1"
)

// WorkspaceTemplateReference names a WorkspaceTemplate.
type WorkspaceTemplateReference struct {
	// +kubebuilder:validation:MinLength=1
	Name string `json:"name"`

	// +optional
	Namespace string `json:"namespace,omitempty"`
}

// ObjectReference names a namespaced object.
type ObjectReference struct {
	Name string `json:"name"`

	// +optional
	Namespace string `json:"namespace,omitempty"`
}

// WorkspaceTemplateApplySpec asks for one Workspace rendered from a template.
type WorkspaceTemplateApplySpec struct {
	// TemplateRef names the WorkspaceTemplate to render.
	TemplateRef WorkspaceTemplateReference `json:"templateRef"`

	// WriteConnectionSecretToRef overrides the template's connection Secret.
	// +optional
	WriteConnectionSecretToRef *SecretReference `json:"writeConnectionSecretToRef,omitempty"`

	// Variables fill the template's placeholders (a variable's name in
	// braces after a dollar sign).
	// +optional
	Variables map[string]string `json:"variables,omitempty"`

	// WaitForSecrets are Secrets that must exist before the Workspace is
	// rendered.
	// +optional
	WaitForSecrets []SecretReference `json:"waitForSecrets,omitempty"`

	// WaitForWorkspaces are Workspaces that must be Ready before this one
	// is rendered.
	// +optional
	WaitForWorkspaces []ObjectReference `json:"waitForWorkspaces,omitempty"`

	// RetainWorkspaceOnDelete keeps the Workspace when the apply is deleted.
	// +optional
	RetainWorkspaceOnDelete bool `json:"retainWorkspaceOnDelete,omitempty"`
}

// WorkspaceTemplateApplyStatus is the observed state of an apply.
type WorkspaceTemplateApplyStatus struct {
	// WorkspaceName is the name of the rendered Workspace.
	// +optional
	WorkspaceName string `json:"workspaceName,omitempty"`

	// WorkspaceNamespace is the namespace of the rendered Workspace when it
	// is provider-terraform v1's namespaced kind (tf.m.upbound.io, the
	// apply's own namespace); empty for the cluster-scoped tf.upbound.io
	// kind.
	// +optional
	WorkspaceNamespace string `json:"workspaceNamespace,omitempty"`

	// Applied is true once the Workspace was rendered. Not omitted when
	// false: the apply controller sends false too (design rule 2), and
	// reads back what it sent.
	// +optional
	Applied bool `json:"applied"`

	// LastAppliedTime is when the Workspace was last rendered.
	// +optional
	LastAppliedTime *metav1.Time `json:"lastAppliedTime,omitempty"`

	// ObservedGeneration is the generation of this apply whose spec the
	// Workspace holds: it moves only when the Workspace was rendered from
	// it (not when it was refused). With the Workspace's own Synced
	// condition for its generation, it tells what Terraform applied.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// Conditions mirror the Workspace's Ready and Synced conditions.
	// +optional
	// +listType=map
	// +listMapKey=type
	Conditions []tfv1beta1.Condition `json:"conditions,omitempty"`
}

// WorkspaceTemplateApply renders one Workspace from a WorkspaceTemplate.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:path=workspacetemplateapplies,scope=Namespaced,shortName=wtapply,categories=cluster-api;capt;terraform
// +kubebuilder:metadata:labels="cluster.x-k8s.io/provider=control-plane-capt"
// +kubebuilder:metadata:labels="cluster.x-k8s.io/v1beta1=v1beta1"
// +kubebuilder:printcolumn:name="Workspace",type=string,JSONPath=`.status.workspaceName`
// +kubebuilder:printcolumn:name="Applied",type=boolean,JSONPath=`.status.applied`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
// +kubebuilder:validation:XValidation:rule="self.metadata.name.size() <= 63",message="the name is a label value on the Workspace it renders: at most 63 characters"
type WorkspaceTemplateApply struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   WorkspaceTemplateApplySpec   `json:"spec,omitempty"`
	Status WorkspaceTemplateApplyStatus `json:"status,omitempty"`
}

// WorkspaceTemplateApplyList is a list of WorkspaceTemplateApplies.
//
// +kubebuilder:object:root=true
type WorkspaceTemplateApplyList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []WorkspaceTemplateApply `json:"items"`
}

func init() {
	objectTypes = append(objectTypes, &WorkspaceTemplateApply{}, &WorkspaceTemplateApplyList{})
}

// Labels the WorkspaceTemplateApply controller puts on the Workspaces it
// renders: a namespaced apply cannot own a cluster-scoped Workspace, so the
// link goes by labels, and a Workspace whose labels name another apply is
// never adopted. A namespaced Workspace carries them too, besides its
// controller ownerReference to the apply.
const (
	LabelApplyName      = "infrastructure.cluster.x-k8s.io/workspacetemplateapply-name"
	LabelApplyNamespace = "infrastructure.cluster.x-k8s.io/workspacetemplateapply-namespace"
	// LabelApplyUID binds a cluster-scoped Workspace to the one apply that
	// rendered it: names can be reused, a UID cannot, and a tenant cannot
	// write cluster-scoped Workspaces to forge it (ownership.BoundTo).
	LabelApplyUID = "infrastructure.cluster.x-k8s.io/workspacetemplateapply-uid"
)

// AnnotationHeldManagementPolicies is on a Workspace its apply holds for a
// paused Cluster: the management policies the apply gave it before the
// hold (comma-separated; empty for none), which the release restores. The
// hold takes Delete out of them, so that a Workspace deleted while held is
// never destroyed, even when its crossplane.io/paused is gone: clusterctl
// move replaces every annotation of a source object just before deleting
// it.
const AnnotationHeldManagementPolicies = "infrastructure.cluster.x-k8s.io/held-management-policies"

// LabelWorkspaceScope is the Namespace label an admin sets to
// WorkspaceScopeNamespaced so that its applies render namespaced
// Workspaces only: cluster-scoped Workspace names are global, and a tenant that may
// render them can take the name of another team's future Workspace.
// Namespaces are cluster-scoped, so a tenant cannot unset it.
const LabelWorkspaceScope = "capt.cluster.x-k8s.io/workspace-scope"

// WorkspaceTemplateApplyFinalizer lets the controller delete the Workspace
// before the apply goes away.
const WorkspaceTemplateApplyFinalizer = "infrastructure.cluster.x-k8s.io/workspacetemplateapply"

// Condition types and reasons an apply reports besides the Workspace's own
// Ready and Synced.
const (
	// ReasonWaitingForSecrets: a Secret in spec.waitForSecrets is missing.
	ReasonWaitingForSecrets = "WaitingForSecrets"
	// ReasonWaitingForWorkspaces: a Workspace in spec.waitForWorkspaces is
	// missing or not Ready.
	ReasonWaitingForWorkspaces = "WaitingForWorkspaces"
	// ReasonTemplateNotFound: spec.templateRef names no WorkspaceTemplate.
	ReasonTemplateNotFound = "TemplateNotFound"
	// ReasonTemplateNotShared: spec.templateRef names a WorkspaceTemplate
	// of another namespace that is not shared with the apply's (or none:
	// the refusal does not say which).
	ReasonTemplateNotShared = "TemplateNotShared"
	// ReasonRenderFailed: the template has a placeholder with no value.
	ReasonRenderFailed = "RenderFailed"
	// ReasonFieldNotServed: the rendered Workspace has a field the
	// installed provider-terraform's Workspace CRD does not have (the API
	// server would drop it).
	ReasonFieldNotServed = "FieldNotServed"
	// ReasonWorkspaceNameConflict: the Workspace name belongs to another apply.
	ReasonWorkspaceNameConflict = "WorkspaceNameConflict"
	// ReasonProviderConfigNotGranted: the Workspace would name a
	// cluster-scoped ProviderConfig or ClusterProviderConfig that no
	// ProviderConfigGrant allows the apply's namespace to use.
	ReasonProviderConfigNotGranted = "ProviderConfigNotGranted"
	// ReasonWorkspaceMissing: the apply's control plane has an endpoint
	// (its cluster exists) and its Workspace is gone; nothing is rendered
	// until the control plane says so (AnnotationRenderMissingWorkspace).
	ReasonWorkspaceMissing = "WorkspaceMissing"
	// ReasonClusterScopeNotAllowed: the apply would render a cluster-scoped
	// Workspace in a namespace its admin labelled LabelWorkspaceScope
	// Namespaced.
	ReasonClusterScopeNotAllowed = "ClusterScopeNotAllowed"
	// ReasonWorkspaceKindNotServed: the Workspace kind the apply renders
	// is not served (provider-terraform's CRDs are not installed, or not
	// yet established); it is rendered once it is.
	ReasonWorkspaceKindNotServed = "WorkspaceKindNotServed"
	// ReasonWorkspaceApplied: the Workspace was rendered and applied.
	ReasonWorkspaceApplied = "WorkspaceApplied"
)

// WorkspaceName is the name of the Workspace an apply renders: the apply's
// name without its "-apply" suffix, as existing CAPT names it.
func (a *WorkspaceTemplateApply) WorkspaceName() string {
	return strings.TrimSuffix(a.Name, "-apply")
}
