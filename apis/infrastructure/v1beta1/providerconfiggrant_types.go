package v1beta1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// ProviderConfigGrantSpec allows the control planes of some namespaces to
// use one cluster-scoped provider configuration: to render their Workspace
// with it and to sign their EKS token with its credentials. The grant is
// cluster-scoped, so that only those who may write cluster-scoped objects
// (the platform team) grant; a namespaced ProviderConfig needs no grant, it
// serves its own namespace only.
type ProviderConfigGrantSpec struct {
	// ProviderConfigRef names the provider configuration granted.
	ProviderConfigRef GrantedProviderConfig `json:"providerConfigRef"`

	// AllowedNamespaces are the namespaces whose control planes may use it,
	// by name and by label selector (either matches). Unset: none. An empty
	// object ({}): every namespace.
	// +optional
	AllowedNamespaces *AllowedNamespaces `json:"allowedNamespaces,omitempty"`
}

// GrantedProviderConfig names a cluster-scoped provider configuration of
// provider-terraform.
type GrantedProviderConfig struct {
	// Kind is ProviderConfig (tf.upbound.io, what cluster-scoped Workspaces
	// name) or ClusterProviderConfig (tf.m.upbound.io, what namespaced
	// Workspaces name unless they name their namespace's ProviderConfig).
	Kind GrantedKind `json:"kind"`

	// Name is the provider configuration's name.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	Name string `json:"name"`
}

// GrantedKind is a kind of cluster-scoped provider configuration.
// +kubebuilder:validation:Enum=ProviderConfig;ClusterProviderConfig
type GrantedKind string

// The kinds a grant may name.
const (
	GrantedProviderConfigKind        GrantedKind = "ProviderConfig"
	GrantedClusterProviderConfigKind GrantedKind = "ClusterProviderConfig"
)

// AllowedNamespaces selects namespaces by name and by label.
type AllowedNamespaces struct {
	// List names namespaces.
	// +optional
	// +listType=set
	List []string `json:"list,omitempty"`

	// Selector selects namespaces by their labels; an empty selector
	// selects none (leave both fields unset to allow every namespace).
	// +optional
	Selector *metav1.LabelSelector `json:"selector,omitempty"`
}

// ProviderConfigGrant allows the control planes of some namespaces to use a
// cluster-scoped ProviderConfig or ClusterProviderConfig. Without a grant
// naming it, such a configuration is used by no control plane (except one
// whose Workspace was rendered before grants were installed: see
// docs/upgrade.md). clusterctl move carries every grant to the target.
//
// +kubebuilder:object:root=true
// +kubebuilder:resource:path=providerconfiggrants,scope=Cluster,categories=cluster-api
// +kubebuilder:metadata:labels="clusterctl.cluster.x-k8s.io/move-hierarchy="
// +kubebuilder:metadata:labels="cluster.x-k8s.io/provider=control-plane-capt"
// +kubebuilder:metadata:labels="cluster.x-k8s.io/v1beta1=v1beta1"
// +kubebuilder:printcolumn:name="Kind",type=string,JSONPath=`.spec.providerConfigRef.kind`
// +kubebuilder:printcolumn:name="ProviderConfig",type=string,JSONPath=`.spec.providerConfigRef.name`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type ProviderConfigGrant struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec ProviderConfigGrantSpec `json:"spec"`
}

// ProviderConfigGrantList is a list of ProviderConfigGrants.
//
// +kubebuilder:object:root=true
type ProviderConfigGrantList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []ProviderConfigGrant `json:"items"`
}

// ProviderConfigGrantCRD is the name of the grants' CustomResourceDefinition,
// whose creation marks when grants were installed.
const ProviderConfigGrantCRD = "providerconfiggrants.infrastructure.cluster.x-k8s.io"

func init() {
	objectTypes = append(objectTypes, &ProviderConfigGrant{}, &ProviderConfigGrantList{})
}
