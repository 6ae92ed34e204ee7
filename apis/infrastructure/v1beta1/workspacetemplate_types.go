package v1beta1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	tfv1beta1 "github.com/capt-controlplane/capt-controlplane/apis/external/tf/v1beta1"
)

// WorkspaceTemplateSpec is a reusable Terraform Workspace.
type WorkspaceTemplateSpec struct {
	// Template is the Workspace to render. String values may hold variable
	// placeholders that a WorkspaceTemplateApply fills from its variables.
	Template WorkspaceTemplateDefinition `json:"template"`

	// WriteConnectionSecretToRef names the Secret that receives the
	// Terraform outputs.
	// +optional
	WriteConnectionSecretToRef *SecretReference `json:"writeConnectionSecretToRef,omitempty"`

	// WorkspaceScope is the kind of Workspace a new apply renders:
	// Namespaced (provider-terraform v1's tf.m.upbound.io, in the apply's
	// namespace, owned by the apply) or Cluster (tf.upbound.io, either
	// generation). Unset: Namespaced where provider-terraform v1 is
	// installed, else Cluster. An apply that has a Workspace keeps its kind:
	// another kind would be a second Terraform run.
	// +optional
	WorkspaceScope WorkspaceScope `json:"workspaceScope,omitempty"`

	// SharedWithNamespaces are the other namespaces whose control planes
	// and WorkspaceTemplateApplies may render this template (by a
	// workspaceTemplateRef naming this namespace). Empty: this namespace's
	// only. Those who may write this template grant it.
	// +optional
	// +listType=set
	SharedWithNamespaces []string `json:"sharedWithNamespaces,omitempty"`
}

// WorkspaceScope is the kind of Workspace a template renders.
// +kubebuilder:validation:Enum=Namespaced;Cluster
type WorkspaceScope string

// Workspace scopes.
const (
	WorkspaceScopeNamespaced WorkspaceScope = "Namespaced"
	WorkspaceScopeCluster    WorkspaceScope = "Cluster"
)

// WorkspaceTemplateDefinition is the templated Workspace.
type WorkspaceTemplateDefinition struct {
	// Metadata describes the template.
	// +optional
	Metadata *WorkspaceTemplateMetadata `json:"metadata,omitempty"`

	// Spec is the Workspace spec with variable placeholders (a variable's
	// name in braces after a dollar sign).
	Spec tfv1beta1.WorkspaceSpec `json:"spec"`
}

// WorkspaceTemplateMetadata describes a template.
type WorkspaceTemplateMetadata struct {
	// +optional
	Description string `json:"description,omitempty"`

	// +optional
	Version string `json:"version,omitempty"`

	// +optional
	Tags map[string]string `json:"tags,omitempty"`
}

// SecretReference names a Secret.
type SecretReference struct {
	Name string `json:"name"`

	// +optional
	Namespace string `json:"namespace,omitempty"`
}

// WorkspaceTemplateStatus is the observed state of a WorkspaceTemplate.
type WorkspaceTemplateStatus struct {
	// +optional
	WorkspaceName string `json:"workspaceName,omitempty"`

	// +optional
	// +listType=map
	// +listMapKey=type
	Conditions []tfv1beta1.Condition `json:"conditions,omitempty"`
}

// WorkspaceTemplate is a reusable Terraform Workspace. clusterctl move
// moves every template of the namespaces it moves (no Cluster owns one).
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:path=workspacetemplates,scope=Namespaced,categories=cluster-api
// +kubebuilder:metadata:labels="clusterctl.cluster.x-k8s.io/move="
// +kubebuilder:metadata:labels="cluster.x-k8s.io/provider=control-plane-capt"
// +kubebuilder:metadata:labels="cluster.x-k8s.io/v1beta1=v1beta1"
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type WorkspaceTemplate struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   WorkspaceTemplateSpec   `json:"spec,omitempty"`
	Status WorkspaceTemplateStatus `json:"status,omitempty"`
}

// WorkspaceTemplateList is a list of WorkspaceTemplates.
//
// +kubebuilder:object:root=true
type WorkspaceTemplateList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []WorkspaceTemplate `json:"items"`
}

func init() {
	objectTypes = append(objectTypes, &WorkspaceTemplate{}, &WorkspaceTemplateList{})
}
