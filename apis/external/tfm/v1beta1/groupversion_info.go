// Package v1beta1 holds our own Go types for the slice of provider-terraform
// v1's namespaced API, tf.m.upbound.io/v1beta1 (Crossplane v2's model for
// teams sharing a cluster): the Workspace, whose status is the same as the
// cluster-scoped one's, and the namespaced ProviderConfig and cluster-scoped
// ClusterProviderConfig it names. Written from the provider's own API; no
// CRD is generated from them (the provider's own are installed).
//
// +kubebuilder:object:generate=true
// +kubebuilder:ac:generate=true
// +kubebuilder:ac:output:package=../../../../applyconfig/tfm
// +groupName=tf.m.upbound.io
package v1beta1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

var (
	// GroupVersion is the group and version of this API.
	GroupVersion = schema.GroupVersion{Group: "tf.m.upbound.io", Version: "v1beta1"}

	// SchemeGroupVersion is GroupVersion under the name the generated apply
	// configurations refer to.
	SchemeGroupVersion = GroupVersion

	// SchemeBuilder registers the types of this package.
	SchemeBuilder = runtime.NewSchemeBuilder(addKnownTypes)

	// AddToScheme adds the types of this package to a scheme.
	AddToScheme = SchemeBuilder.AddToScheme

	// objectTypes are the kinds of this package; each types file adds its own.
	objectTypes []runtime.Object
)

func addKnownTypes(s *runtime.Scheme) error {
	s.AddKnownTypes(GroupVersion, objectTypes...)
	metav1.AddToGroupVersion(s, GroupVersion)
	return nil
}
