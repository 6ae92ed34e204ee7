// Package v1beta1 holds our own Go types for the slice of Crossplane
// provider-terraform's tf.upbound.io/v1beta1 Workspace that this project
// reads and writes. In production Crossplane installs the real CRD; the CRD
// generated from these types serves the tests and the demo and agrees with
// the real one on every field we touch.
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
