// Package v1beta1 holds our own Go types for the slice of Crossplane
// provider-terraform's tf.upbound.io/v1beta1 Workspace and ProviderConfig
// that this project reads and writes, written from the provider's own API
// (both generations: v0.x, github.com/upbound/provider-terraform, and v1.x,
// github.com/crossplane-contrib/provider-terraform). No CRD is generated
// from them: the tests, the demo and production all install the provider's
// own CRDs (`make provider-terraform-crds`), and the manager renders only
// fields the served CRD has (internal/providerterraform).
//
// +kubebuilder:object:generate=true
// +kubebuilder:ac:generate=true
// +kubebuilder:ac:output:package=../../../../applyconfig/tf
// +groupName=tf.upbound.io
package v1beta1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

var (
	// GroupVersion is the group and version of this API.
	GroupVersion = schema.GroupVersion{Group: "tf.upbound.io", Version: "v1beta1"}

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
