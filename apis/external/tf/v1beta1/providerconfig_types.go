package v1beta1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// CredentialsSourceSecret is the credentials source that names a Secret key.
const CredentialsSourceSecret = "Secret"

// ProviderCredentials is one credentials file provider-terraform writes for
// Terraform; for AWS, an ini with the access keys.
type ProviderCredentials struct {
	// Filename Terraform reads the credentials from.
	Filename string `json:"filename"`

	// Source of the credentials: Secret, Environment, Filesystem or None.
	Source string `json:"source"`

	// SecretRef names the Secret key holding the credentials.
	// +optional
	SecretRef *KeyReference `json:"secretRef,omitempty"`
}

// ProviderConfigSpec is the slice of provider-terraform's ProviderConfig
// this project reads: the credentials.
type ProviderConfigSpec struct {
	// +optional
	Credentials []ProviderCredentials `json:"credentials,omitempty"`
}

// ProviderConfig configures provider-terraform; a WorkspaceTemplate's
// providerConfigRef names one. The kubeconfig controller reads the AWS
// credentials it names to sign EKS tokens. This is the slice of
// provider-terraform's type the project reads; its CRD is provider-terraform's.
//
// +kubebuilder:object:root=true
// +kubebuilder:resource:path=providerconfigs,scope=Cluster,categories=crossplane
type ProviderConfig struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec ProviderConfigSpec `json:"spec"`
}

// ProviderConfigList is a list of ProviderConfigs.
//
// +kubebuilder:object:root=true
type ProviderConfigList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []ProviderConfig `json:"items"`
}

func init() {
	objectTypes = append(objectTypes, &ProviderConfig{}, &ProviderConfigList{})
}
