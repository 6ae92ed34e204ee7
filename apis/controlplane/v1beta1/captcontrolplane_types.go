package v1beta1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// CAPTControlPlaneFinalizer lets the controller delete the Terraform
// workspace before the control plane object goes away.
const CAPTControlPlaneFinalizer = "controlplane.cluster.x-k8s.io/captcontrolplane"

// Phase is the coarse lifecycle state of a control plane.
// +kubebuilder:validation:Enum=Creating;Ready;Degraded;Failed
type Phase string

// Phases of a control plane.
const (
	PhaseCreating Phase = "Creating"
	PhaseReady    Phase = "Ready"
	// PhaseDegraded: initialized once, not ready now (its Workspace is not).
	PhaseDegraded Phase = "Degraded"
	PhaseFailed   Phase = "Failed"
)

// Condition types set on a CAPTControlPlane.
const (
	ConditionReady       = "Ready"
	ConditionInitialized = "Initialized"
	ConditionFailed      = "Failed"
	ConditionCreating    = "Creating"
	// ConditionPaused is Cluster API's v1beta2 Paused condition.
	ConditionPaused = "Paused"
	// ConditionAvailable is Cluster API's v1beta2 Available condition,
	// mirrored into the Cluster's ControlPlaneAvailable: the EKS control
	// plane can take requests now.
	ConditionAvailable = "Available"
	// ConditionEndpointChanged is True while the Terraform output
	// cluster_endpoint differs from spec.controlPlaneEndpoint, which Cluster
	// API treats as fixed once set and which is therefore kept.
	ConditionEndpointChanged = "EndpointChanged"
	// ConditionRollingOut is Cluster API's v1beta2 RollingOut: True while
	// EKS does not yet run spec.version (status.version keeps the version
	// it runs until Terraform applied the new one).
	ConditionRollingOut = "RollingOut"
	// ConditionClusterAPICompatible is False where Cluster API is installed
	// but does not serve the v1beta2 Cluster: the manager cannot see
	// Cluster.spec.paused and takes no action. Absent without Cluster API.
	ConditionClusterAPICompatible = "ClusterAPICompatible"
	// ConditionKubeconfigReady is True while Cluster API's kubeconfig
	// Secret holds a token signed with working credentials.
	ConditionKubeconfigReady = "KubeconfigReady"
)

// Condition reasons of upstream CAPT that this manager never sets: they are
// kept so that code written against upstream's API, reading conditions its
// manager left on existing objects, still compiles and matches.
const (
	ReasonFailed          = "Failed"
	ReasonWaitingForVPC   = "WaitingForVPC"
	ReasonVPCReadyTimeout = "VPCReadyTimeout"
	ReasonDeleting        = "Deleting"
)

// Condition reasons set on a CAPTControlPlane.
const (
	ReasonCreating             = "Creating"
	ReasonReady                = "Ready"
	ReasonControlPlaneTimeout  = "ControlPlaneTimeout"
	ReasonWorkspaceError       = "WorkspaceError"
	ReasonEndpointUpdateFailed = "EndpointUpdateFailed"
	ReasonPaused               = "Paused"
	ReasonNotPaused            = "NotPaused"
	ReasonTemplateNotFound     = "TemplateNotFound"
	ReasonAvailable            = "Available"
	ReasonWorkspaceNotReady    = "WorkspaceNotReady"
	ReasonEndpointChanged      = "EndpointChanged"
	ReasonEndpointUnchanged    = "EndpointUnchanged"
	ReasonRollingOut           = "RollingOut"
	ReasonNotRollingOut        = "NotRollingOut"
	// ReasonVersionChangeRefused: spec.version is older than the version
	// EKS runs, or skips minor versions; the running one is kept.
	ReasonVersionChangeRefused   = "VersionChangeRefused"
	ReasonWaitingForCluster      = "WaitingForCluster"
	ReasonClusterAPIServed       = "ClusterAPIServed"
	ReasonClusterAPIUnsupported  = "ClusterAPIUnsupported"
	ReasonTokenIssued            = "TokenIssued"
	ReasonCredentialsUnavailable = "CredentialsUnavailable"
	// ReasonProviderConfigNotGranted: the token would be signed with a
	// cluster-scoped provider configuration no ProviderConfigGrant allows
	// the control plane's namespace to use.
	ReasonProviderConfigNotGranted = "ProviderConfigNotGranted"
	// ReasonSecretNameTaken: a Secret of the name the kubeconfig is
	// written to exists and was not created by this manager (or, before
	// the upgrade, by upstream CAPT's) for this control plane; it is left
	// as it is.
	ReasonSecretNameTaken = "SecretNameTaken"
)

// CAPTControlPlaneSpec is the desired state of an EKS control plane.
type CAPTControlPlaneSpec struct {
	// Version is the Kubernetes version of the control plane: "1.31" as
	// EKS spells it or "v1.31.0" as Cluster API does (a ClusterClass
	// topology sends that). A WorkspaceTemplate reads it as the variables
	// kubernetes_version ("1.31") and kubernetes_version_full ("v1.31.0").
	// Required on a control plane; a CAPTControlPlaneTemplate leaves it to
	// the topology.
	// +optional
	// +kubebuilder:validation:Pattern=`^v?[0-9]+\.[0-9]+(\.[0-9]+)?([-+][0-9A-Za-z.+-]+)?$`
	Version string `json:"version,omitempty"`

	// WorkspaceTemplateRef names the WorkspaceTemplate that renders the
	// Terraform workspace of this control plane.
	WorkspaceTemplateRef WorkspaceTemplateReference `json:"workspaceTemplateRef"`

	// ControlPlaneConfig holds the EKS settings of the control plane.
	// +optional
	ControlPlaneConfig *ControlPlaneConfig `json:"controlPlaneConfig,omitempty"`

	// AdditionalTags are AWS tags added to every resource Terraform creates.
	// +optional
	AdditionalTags map[string]string `json:"additionalTags,omitempty"`

	// CredentialsSecretRef names a key of a Secret holding an AWS ini
	// (profile default) to sign the EKS tokens of Cluster API's kubeconfig
	// with. When unset, the credentials of the ProviderConfig that the
	// WorkspaceTemplate names are used.
	// +optional
	CredentialsSecretRef *SecretKeyReference `json:"credentialsSecretRef,omitempty"`

	// ControlPlaneEndpoint is the endpoint of the API server. The controller
	// sets it from the Terraform output cluster_endpoint.
	// +optional
	ControlPlaneEndpoint APIEndpoint `json:"controlPlaneEndpoint,omitempty,omitzero"`

	// WorkspaceTemplateApplyName names the WorkspaceTemplateApply of this
	// control plane. The controller sets it; the default is
	// "<name>-eks-controlplane-apply". It is a label value on the
	// Workspace: at most 63 characters.
	// +optional
	// +kubebuilder:validation:MaxLength=63
	WorkspaceTemplateApplyName string `json:"workspaceTemplateApplyName,omitempty"`
}

// WorkspaceTemplateReference names a WorkspaceTemplate.
type WorkspaceTemplateReference struct {
	// Name of the WorkspaceTemplate.
	// +kubebuilder:validation:MinLength=1
	Name string `json:"name"`

	// Namespace of the WorkspaceTemplate; the control plane's when empty.
	// +optional
	Namespace string `json:"namespace,omitempty"`
}

// SecretKeyReference names a key of a Secret.
type SecretKeyReference struct {
	// Name of the Secret.
	// +kubebuilder:validation:MinLength=1
	Name string `json:"name"`

	// Namespace of the Secret: the control plane's, the only one allowed
	// (another is refused with KubeconfigReady=False); kept for
	// compatibility with upstream CAPT.
	// +optional
	Namespace string `json:"namespace,omitempty"`

	// Key in the Secret; "credentials" when empty.
	// +optional
	Key string `json:"key,omitempty"`
}

// ControlPlaneConfig holds the EKS settings of a control plane.
type ControlPlaneConfig struct {
	// Region is the AWS region, such as "ap-northeast-1".
	// +kubebuilder:validation:Pattern=`^[a-z]{2}-[a-z]+-[0-9]$`
	Region string `json:"region"`

	// EndpointAccess controls who can reach the API server endpoint.
	// +optional
	EndpointAccess *EndpointAccess `json:"endpointAccess,omitempty"`

	// Addons are EKS add-ons to install.
	// +optional
	Addons []Addon `json:"addons,omitempty"`

	// Timeouts bound how long creation may take.
	// +optional
	Timeouts *Timeouts `json:"timeouts,omitempty"`
}

// EndpointAccess controls who can reach the API server endpoint.
type EndpointAccess struct {
	// Public enables the public endpoint.
	// +optional
	Public bool `json:"public,omitempty"`

	// Private enables the private endpoint.
	// +optional
	Private bool `json:"private,omitempty"`

	// PublicCIDRs limits the public endpoint to these CIDR blocks.
	// +optional
	PublicCIDRs []string `json:"publicCIDRs,omitempty"`
}

// Addon is an EKS add-on.
type Addon struct {
	// Name of the add-on, such as "coredns".
	Name string `json:"name"`

	// Version of the add-on.
	// +optional
	Version string `json:"version,omitempty"`

	// ConfigurationValues is the add-on configuration as a JSON string.
	// +optional
	ConfigurationValues string `json:"configurationValues,omitempty"`
}

// Timeouts bound how long creation may take, in minutes.
type Timeouts struct {
	// ControlPlaneTimeout is how long the control plane may take to become
	// ready before it is marked Failed.
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:default=30
	// +optional
	ControlPlaneTimeout int `json:"controlPlaneTimeout,omitempty"`

	// VPCReadyTimeout is how long the VPC may take to become ready.
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:default=15
	// +optional
	VPCReadyTimeout int `json:"vpcReadyTimeout,omitempty"`
}

// APIEndpoint is a Cluster API endpoint: where the API server is reached.
type APIEndpoint struct {
	// Host is the hostname of the API server.
	// +optional
	Host string `json:"host,omitempty"`

	// Port is the port of the API server.
	// +optional
	Port int32 `json:"port,omitempty"`
}

// CAPTControlPlaneStatus is the observed state of an EKS control plane.
//
// Fields are written by two field managers with server-side apply:
// capt-workspace-status owns workspaceStatus and nothing else;
// capt-controlplane owns every other field.
type CAPTControlPlaneStatus struct {
	// Ready is true when the control plane can take requests.
	// +optional
	Ready bool `json:"ready"`

	// Initialized is true once the control plane has been created.
	// +optional
	Initialized bool `json:"initialized"`

	// SecretsReady is true once the connection secrets exist.
	// +optional
	// +kubebuilder:default=false
	SecretsReady bool `json:"secretsReady"`

	// WorkspaceTemplateStatus summarises the WorkspaceTemplateApply.
	// +optional
	WorkspaceTemplateStatus *WorkspaceTemplateStatus `json:"workspaceTemplateStatus,omitempty"`

	// WorkspaceStatus mirrors the Terraform Workspace of this control plane.
	// +optional
	WorkspaceStatus *WorkspaceStatus `json:"workspaceStatus,omitempty"`

	// FailureReason is a short machine-readable reason for a failure.
	// +optional
	FailureReason string `json:"failureReason,omitempty"`

	// FailureMessage explains a failure to a person.
	// +optional
	FailureMessage string `json:"failureMessage,omitempty"`

	// Phase is the coarse lifecycle state.
	// +optional
	Phase Phase `json:"phase,omitempty"`

	// Initialization reports the Cluster API v1beta2 contract's
	// initialization; initialized above is its v1beta1 form.
	// +optional
	Initialization *Initialization `json:"initialization,omitempty"`

	// Version is the Kubernetes version the control plane runs, once ready,
	// as spec.version spells it (Cluster API's v1beta1 contract).
	// +optional
	Version string `json:"version,omitempty"`

	// Versions are the Kubernetes versions the control plane runs, as
	// semantic versions ("v1.31.0"), older first (Cluster API's v1beta2
	// contract; the Cluster copies them into status.controlPlane.versions).
	// An EKS control plane runs one.
	// +optional
	// +listType=map
	// +listMapKey=version
	// +kubebuilder:validation:MaxItems=100
	Versions []StatusVersion `json:"versions,omitempty"`

	// ExternalManagedControlPlane tells Cluster API that the control plane
	// has no Machines: EKS runs it.
	// +optional
	ExternalManagedControlPlane *bool `json:"externalManagedControlPlane,omitempty"`

	// ObservedGeneration is the generation the status was computed for.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// Conditions of the control plane. Each type is owned by the manager
	// that sets it, so the list merges by type.
	// +optional
	// +listType=map
	// +listMapKey=type
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}

// StatusVersion is one Kubernetes version a control plane runs, in the
// shape of Cluster API's v1beta2 StatusVersion.
type StatusVersion struct {
	// Version is a semantic version with the v prefix.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=256
	Version string `json:"version"`

	// Replicas at that version; an EKS control plane has none to count.
	// +optional
	Replicas int32 `json:"replicas,omitempty"`
}

// Initialization reports when the control plane can take requests.
type Initialization struct {
	// ControlPlaneInitialized is true once the API server can take requests.
	// +optional
	ControlPlaneInitialized *bool `json:"controlPlaneInitialized,omitempty"`
}

// WorkspaceTemplateStatus summarises the WorkspaceTemplateApply of a
// control plane.
type WorkspaceTemplateStatus struct {
	// Ready is true when the Workspace is ready.
	// +optional
	Ready bool `json:"ready"`

	// State is the Workspace's Ready reason, such as "Available".
	// +optional
	State string `json:"state,omitempty"`

	// LastAppliedRevision is the last template revision applied.
	// +optional
	LastAppliedRevision string `json:"lastAppliedRevision,omitempty"`

	// Outputs are the Terraform outputs as strings.
	// +optional
	Outputs map[string]string `json:"outputs,omitempty"`

	// LastFailedRevision is the last template revision that failed.
	// +optional
	LastFailedRevision string `json:"lastFailedRevision,omitempty"`

	// LastFailureMessage explains the last failure.
	// +optional
	LastFailureMessage string `json:"lastFailureMessage,omitempty"`

	// WorkspaceName is the name of the Workspace.
	// +optional
	WorkspaceName string `json:"workspaceName,omitempty"`
}

// WorkspaceStatus mirrors the observed state of the Terraform Workspace.
// The field manager capt-workspace-status owns it alone.
type WorkspaceStatus struct {
	// Ready is true when the Workspace's Ready condition is True.
	// +optional
	Ready bool `json:"ready"`

	// State is the reason of the Workspace's Ready condition, such as
	// "Available" or "Creating".
	// +optional
	State string `json:"state,omitempty"`

	// AtProvider is a verbatim copy of the Workspace's status.atProvider:
	// the Terraform checksum and outputs.
	//
	// It is atomic for server-side apply: one value owned as a whole. The
	// mirror is a copy, not a merge, so an output removed from the Workspace
	// must disappear here; with per-key ownership a key that another manager
	// (an older Update writer) co-owns would survive the owner's apply, and a
	// second manager could add keys without a conflict. Atomic also keeps
	// managedFields small however many outputs there are.
	// +optional
	// +kubebuilder:validation:Type=object
	// +kubebuilder:pruning:PreserveUnknownFields
	// +mapType=atomic
	AtProvider *runtime.RawExtension `json:"atProvider,omitempty"`
}

// CAPTControlPlane is a Cluster API control plane backed by an EKS cluster
// that Terraform creates through a Crossplane Workspace.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:path=captcontrolplanes,scope=Namespaced,categories=cluster-api
// +kubebuilder:metadata:labels="cluster.x-k8s.io/provider=control-plane-capt"
// +kubebuilder:metadata:labels="cluster.x-k8s.io/v1beta1=v1beta1"
// +kubebuilder:metadata:labels="cluster.x-k8s.io/v1beta2=v1beta1"
// +kubebuilder:printcolumn:name="Ready",type=boolean,JSONPath=`.status.ready`
// +kubebuilder:printcolumn:name="Phase",type=string,JSONPath=`.status.phase`
// +kubebuilder:printcolumn:name="Version",type=string,JSONPath=`.spec.version`
// +kubebuilder:printcolumn:name="Endpoint",type=string,JSONPath=`.spec.controlPlaneEndpoint.host`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
// +kubebuilder:validation:XValidation:rule="has(self.spec) && has(self.spec.version)",message="spec.version is required"
// +kubebuilder:validation:XValidation:rule="self.metadata.name.size() <= 63",message="the name is a label value on the control plane's WorkspaceTemplateApply and Workspace: at most 63 characters"
type CAPTControlPlane struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   CAPTControlPlaneSpec   `json:"spec,omitempty"`
	Status CAPTControlPlaneStatus `json:"status,omitempty"`
}

// CAPTControlPlaneList is a list of CAPTControlPlanes.
//
// +kubebuilder:object:root=true
type CAPTControlPlaneList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []CAPTControlPlane `json:"items"`
}

func init() {
	objectTypes = append(objectTypes, &CAPTControlPlane{}, &CAPTControlPlaneList{})
}
