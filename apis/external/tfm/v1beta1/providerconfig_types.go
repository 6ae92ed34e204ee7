package v1beta1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	tfv1beta1 "github.com/capt-controlplane/capt-controlplane/apis/external/tf/v1beta1"
)

// ProviderConfig configures provider-terraform for the Workspaces of its
// namespace; the slice the project reads is the credentials, the same as
// the cluster-scoped ProviderConfig's.
//
// +kubebuilder:object:root=true
// +kubebuilder:resource:path=providerconfigs,scope=Namespaced
type ProviderConfig struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec tfv1beta1.ProviderConfigSpec `json:"spec"`
}

// ProviderConfigList is a list of ProviderConfigs.
//
// +kubebuilder:object:root=true
type ProviderConfigList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []ProviderConfig `json:"items"`
}

// ClusterProviderConfig configures provider-terraform for namespaced
// Workspaces of any namespace: what a platform team shares.
//
// +kubebuilder:object:root=true
// +kubebuilder:resource:path=clusterproviderconfigs,scope=Cluster
type ClusterProviderConfig struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec tfv1beta1.ProviderConfigSpec `json:"spec"`
}

// ClusterProviderConfigList is a list of ClusterProviderConfigs.
//
// +kubebuilder:object:root=true
type ClusterProviderConfigList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []ClusterProviderConfig `json:"items"`
}

func init() {
	objectTypes = append(objectTypes, &ProviderConfig{}, &ProviderConfigList{}, &ClusterProviderConfig{}, &ClusterProviderConfigList{})
}
