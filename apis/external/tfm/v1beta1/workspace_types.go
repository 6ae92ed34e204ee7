package v1beta1

import (
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	tfv1beta1 "github.com/capt-controlplane/capt-controlplane/apis/external/tf/v1beta1"
)

// WorkspaceParameters are the Terraform inputs of a namespaced Workspace:
// those of the cluster-scoped one, with every ConfigMap and Secret in the
// Workspace's own namespace.
type WorkspaceParameters struct {
	// Module is the module URL (Remote) or the module text (Inline).
	Module string `json:"module"`

	// +optional
	InlineFormat tfv1beta1.FileFormat `json:"inlineFormat,omitempty"`

	// Source says how to read Module.
	Source tfv1beta1.ModuleSource `json:"source"`

	// +optional
	Entrypoint string `json:"entrypoint,omitempty"`

	// +optional
	RemotePullPolicy tfv1beta1.RemotePullPolicy `json:"remotePullPolicy,omitempty"`

	// +optional
	Vars []tfv1beta1.Var `json:"vars,omitempty"`

	// +optional
	// +kubebuilder:pruning:PreserveUnknownFields
	// +kubebuilder:validation:Type=object
	VarMap *apiextensionsv1.JSON `json:"varmap,omitempty"`

	// +optional
	VarFiles []VarFile `json:"varFiles,omitempty"`

	// +optional
	Env []EnvVar `json:"env,omitempty"`

	// +optional
	InitArgs []string `json:"initArgs,omitempty"`
	// +optional
	PlanArgs []string `json:"planArgs,omitempty"`
	// +optional
	ApplyArgs []string `json:"applyArgs,omitempty"`
	// +optional
	DestroyArgs []string `json:"destroyArgs,omitempty"`

	// +optional
	EnableTerraformCLILogging bool `json:"enableTerraformCLILogging,omitempty"`
}

// LocalKeyReference names a key of a ConfigMap or Secret in the
// Workspace's namespace.
type LocalKeyReference struct {
	Name string `json:"name"`
	Key  string `json:"key"`
}

// VarFile is a file of Terraform variables read from a ConfigMap or Secret.
type VarFile struct {
	Source tfv1beta1.VarFileSource `json:"source"`

	// +optional
	Format tfv1beta1.FileFormat `json:"format,omitempty"`

	// +optional
	ConfigMapKeyReference *LocalKeyReference `json:"configMapKeyRef,omitempty"`

	// +optional
	SecretKeyReference *LocalKeyReference `json:"secretKeyRef,omitempty"`
}

// EnvVar is an environment variable for Terraform.
type EnvVar struct {
	Name string `json:"name"`

	// +optional
	Value string `json:"value,omitempty"`

	// +optional
	ConfigMapKeyReference *LocalKeyReference `json:"configMapKeyRef,omitempty"`

	// +optional
	SecretKeyReference *LocalKeyReference `json:"secretKeyRef,omitempty"`
}

// Kinds a namespaced Workspace's providerConfigRef names.
const (
	// KindProviderConfig is a ProviderConfig in the Workspace's namespace.
	KindProviderConfig = "ProviderConfig"
	// KindClusterProviderConfig is a cluster-scoped ClusterProviderConfig.
	KindClusterProviderConfig = "ClusterProviderConfig"
)

// ProviderConfigReference names a ProviderConfig (in the Workspace's
// namespace) or a ClusterProviderConfig.
type ProviderConfigReference struct {
	Kind string `json:"kind"`
	Name string `json:"name"`
}

// LocalSecretReference names a Secret in the Workspace's namespace.
type LocalSecretReference struct {
	Name string `json:"name"`
}

// WorkspaceSpec is the desired state of a namespaced Workspace.
type WorkspaceSpec struct {
	ForProvider WorkspaceParameters `json:"forProvider"`

	// +optional
	ProviderConfigReference *ProviderConfigReference `json:"providerConfigRef,omitempty"`

	// +optional
	WriteConnectionSecretToReference *LocalSecretReference `json:"writeConnectionSecretToRef,omitempty"`

	// +optional
	ManagementPolicies []tfv1beta1.ManagementAction `json:"managementPolicies,omitempty"`
}

// Workspace is a namespaced Terraform workspace run by provider-terraform
// v1. Its status is the cluster-scoped Workspace's.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:path=workspaces,scope=Namespaced
type Workspace struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   WorkspaceSpec             `json:"spec"`
	Status tfv1beta1.WorkspaceStatus `json:"status,omitempty"`
}

// WorkspaceList is a list of namespaced Workspaces.
//
// +kubebuilder:object:root=true
type WorkspaceList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []Workspace `json:"items"`
}

func init() {
	objectTypes = append(objectTypes, &Workspace{}, &WorkspaceList{})
}
