package v1beta1

import (
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// ModuleSource says where a Workspace's Terraform module comes from.
// Flux is provider-terraform v1's only.
// +kubebuilder:validation:Enum=Remote;Inline;Flux
type ModuleSource string

// Module sources.
const (
	ModuleSourceRemote ModuleSource = "Remote"
	ModuleSourceInline ModuleSource = "Inline"
	ModuleSourceFlux   ModuleSource = "Flux"
)

// RemotePullPolicy says when provider-terraform v1 pulls a Remote module
// again.
// +kubebuilder:validation:Enum=Always;IfNotPresent
type RemotePullPolicy string

// WorkspaceParameters are the Terraform inputs of a Workspace.
type WorkspaceParameters struct {
	// Module is the module URL (Remote) or the module text (Inline).
	Module string `json:"module"`

	// InlineFormat is the format of an Inline module's text.
	// +optional
	InlineFormat FileFormat `json:"inlineFormat,omitempty"`

	// Source says how to read Module.
	Source ModuleSource `json:"source"`

	// Entrypoint is the path of the root module inside a remote module.
	// +optional
	Entrypoint string `json:"entrypoint,omitempty"`

	// RemotePullPolicy says when a Remote module is pulled again
	// (provider-terraform v1 only; it defaults to Always).
	// +optional
	RemotePullPolicy RemotePullPolicy `json:"remotePullPolicy,omitempty"`

	// Vars are Terraform input variables.
	// +optional
	Vars []Var `json:"vars,omitempty"`

	// VarMap is a free-form map of Terraform input variables.
	// +optional
	// +kubebuilder:pruning:PreserveUnknownFields
	// +kubebuilder:validation:Type=object
	VarMap *apiextensionsv1.JSON `json:"varmap,omitempty"`

	// VarFiles are files of Terraform variables.
	// +optional
	VarFiles []VarFile `json:"varFiles,omitempty"`

	// Env are environment variables for Terraform.
	// +optional
	Env []EnvVar `json:"env,omitempty"`

	// InitArgs are extra arguments of terraform init.
	// +optional
	InitArgs []string `json:"initArgs,omitempty"`

	// PlanArgs are extra arguments of terraform plan.
	// +optional
	PlanArgs []string `json:"planArgs,omitempty"`

	// ApplyArgs are extra arguments of terraform apply.
	// +optional
	ApplyArgs []string `json:"applyArgs,omitempty"`

	// DestroyArgs are extra arguments of terraform destroy.
	// +optional
	DestroyArgs []string `json:"destroyArgs,omitempty"`

	// EnableTerraformCLILogging logs Terraform's command output in the
	// provider.
	// +optional
	EnableTerraformCLILogging bool `json:"enableTerraformCLILogging,omitempty"`
}

// Var is a Terraform input variable.
type Var struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// VarFileSource says where a variable file comes from.
// +kubebuilder:validation:Enum=ConfigMapKey;SecretKey
type VarFileSource string

// FileFormat is the format of a variable file or of inline module text.
// +kubebuilder:validation:Enum=HCL;JSON
type FileFormat string

// VarFile is a file of Terraform variables read from a ConfigMap or Secret.
type VarFile struct {
	Source VarFileSource `json:"source"`

	// +optional
	// +kubebuilder:default=HCL
	Format FileFormat `json:"format,omitempty"`

	// +optional
	ConfigMapKeyReference *KeyReference `json:"configMapKeyRef,omitempty"`

	// +optional
	SecretKeyReference *KeyReference `json:"secretKeyRef,omitempty"`
}

// KeyReference names a key of a ConfigMap or Secret.
type KeyReference struct {
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
	Key       string `json:"key"`
}

// EnvVar is an environment variable for Terraform.
type EnvVar struct {
	Name string `json:"name"`

	// +optional
	Value string `json:"value,omitempty"`

	// +optional
	ConfigMapKeyReference *KeyReference `json:"configMapKeyRef,omitempty"`

	// +optional
	SecretKeyReference *KeyReference `json:"secretKeyRef,omitempty"`
}

// ProviderConfigReference names a provider configuration.
type ProviderConfigReference struct {
	Name string `json:"name"`

	// Kind is for a template whose Workspaces are namespaced (provider-
	// terraform v1's tf.m.upbound.io): ProviderConfig, the one of the
	// Workspace's namespace, or ClusterProviderConfig (the default). A
	// cluster-scoped Workspace has no kind: it is left out there.
	// +optional
	// +kubebuilder:validation:Enum=ProviderConfig;ClusterProviderConfig
	Kind string `json:"kind,omitempty"`

	// Policy says how the reference is resolved.
	// +optional
	Policy *ReferencePolicy `json:"policy,omitempty"`
}

// ReferencePolicy is Crossplane's resolution policy of a reference.
type ReferencePolicy struct {
	// Resolution says whether the reference must resolve.
	// +optional
	// +kubebuilder:default=Required
	// +kubebuilder:validation:Enum=Required;Optional
	Resolution string `json:"resolution,omitempty"`

	// Resolve says when the reference is resolved.
	// +optional
	// +kubebuilder:validation:Enum=Always;IfNotPresent
	Resolve string `json:"resolve,omitempty"`
}

// PublishConnectionDetailsTo names a Crossplane secret store entry for the
// connection details.
type PublishConnectionDetailsTo struct {
	Name string `json:"name"`

	// ConfigRef names the StoreConfig.
	// +optional
	// +kubebuilder:default={"name": "default"}
	ConfigRef *ProviderConfigReference `json:"configRef,omitempty"`

	// Metadata of the published secret.
	// +optional
	Metadata *ConnectionSecretMetadata `json:"metadata,omitempty"`
}

// ConnectionSecretMetadata is the metadata of a published connection secret.
type ConnectionSecretMetadata struct {
	// +optional
	Labels map[string]string `json:"labels,omitempty"`
	// +optional
	Annotations map[string]string `json:"annotations,omitempty"`
	// +optional
	Type string `json:"type,omitempty"`
}

// ManagementAction is one thing a provider may do to an external resource.
// +kubebuilder:validation:Enum=Observe;Create;Update;Delete;LateInitialize;*
type ManagementAction string

// ManagementPoliciesWithoutDelete let the provider do everything but
// destroy: what deletionPolicy Orphan was before crossplane-runtime v2
// (which namespaced Workspaces follow) removed deletionPolicy.
func ManagementPoliciesWithoutDelete() []ManagementAction {
	return []ManagementAction{"Observe", "Create", "Update", "LateInitialize"}
}

// SecretReference names a Secret.
type SecretReference struct {
	Name      string `json:"name"`
	Namespace string `json:"namespace"`
}

// DeletionPolicy says what happens to external resources on deletion.
// +kubebuilder:validation:Enum=Orphan;Delete
type DeletionPolicy string

// WorkspaceSpec is the desired state of a Workspace.
type WorkspaceSpec struct {
	// ForProvider holds the Terraform inputs.
	ForProvider WorkspaceParameters `json:"forProvider"`

	// ProviderConfigReference names the provider configuration.
	// +optional
	// +kubebuilder:default={"name": "default"}
	ProviderConfigReference *ProviderConfigReference `json:"providerConfigRef,omitempty"`

	// PublishConnectionDetailsTo names a secret store entry for the
	// connection details (provider-terraform v0 only: crossplane-runtime
	// v2 removed it).
	// +optional
	PublishConnectionDetailsTo *PublishConnectionDetailsTo `json:"publishConnectionDetailsTo,omitempty"`

	// WriteConnectionSecretToReference names the Secret that receives the
	// Terraform outputs.
	// +optional
	WriteConnectionSecretToReference *SecretReference `json:"writeConnectionSecretToRef,omitempty"`

	// DeletionPolicy says whether terraform destroy runs on deletion.
	// +optional
	// +kubebuilder:default=Delete
	DeletionPolicy DeletionPolicy `json:"deletionPolicy,omitempty"`

	// ManagementPolicies limit what the provider may do.
	// +optional
	// +kubebuilder:default={"*"}
	ManagementPolicies []ManagementAction `json:"managementPolicies,omitempty"`
}

// WorkspaceStatus is the observed state of a Workspace.
type WorkspaceStatus struct {
	// AtProvider is what the provider observed, kept exactly as it wrote
	// it: every field, of this provider generation or a later one. The
	// manager decodes only what it reads (observation.go).
	// +optional
	// +kubebuilder:pruning:PreserveUnknownFields
	// +kubebuilder:validation:Schemaless
	// +kubebuilder:validation:Type=object
	AtProvider *runtime.RawExtension `json:"atProvider,omitempty"`

	// Conditions are Crossplane conditions: Ready and Synced.
	// +optional
	// +listType=map
	// +listMapKey=type
	Conditions []Condition `json:"conditions,omitempty"`
}

// Workspace is a Terraform workspace run by Crossplane's
// provider-terraform. It is cluster-scoped: links to it from namespaced
// objects go by name and labels.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:path=workspaces,scope=Cluster,categories=crossplane;managed;tf
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=='Ready')].status`
// +kubebuilder:printcolumn:name="Synced",type=string,JSONPath=`.status.conditions[?(@.type=='Synced')].status`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type Workspace struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   WorkspaceSpec   `json:"spec"`
	Status WorkspaceStatus `json:"status,omitempty"`
}

// WorkspaceList is a list of Workspaces.
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
