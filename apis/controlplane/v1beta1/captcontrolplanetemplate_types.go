package v1beta1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// CaptControlPlaneTemplateSpec holds the template of a control plane.
type CaptControlPlaneTemplateSpec struct {
	// Template is the control plane a ClusterClass stamps out.
	Template CaptControlPlaneTemplateResource `json:"template"`
}

// CaptControlPlaneTemplateResource is the templated part of a control plane.
type CaptControlPlaneTemplateResource struct {
	// Metadata of the control planes made from this template.
	// +optional
	Metadata TemplateObjectMeta `json:"metadata,omitempty,omitzero"`

	// Spec of the control planes made from this template.
	Spec CAPTControlPlaneSpec `json:"spec"`
}

// TemplateObjectMeta is the metadata a template gives the objects made from
// it: Cluster API's ObjectMeta shape.
type TemplateObjectMeta struct {
	// +optional
	Labels map[string]string `json:"labels,omitempty"`
	// +optional
	Annotations map[string]string `json:"annotations,omitempty"`
}

// CaptControlPlaneTemplate is a CAPTControlPlane template for ClusterClass.
// The kind keeps the spelling existing installations use.
//
// +kubebuilder:object:root=true
// +kubebuilder:resource:path=captcontrolplanetemplates,scope=Namespaced,categories=cluster-api
// +kubebuilder:metadata:labels="cluster.x-k8s.io/provider=control-plane-capt"
// +kubebuilder:metadata:labels="cluster.x-k8s.io/v1beta1=v1beta1"
// +kubebuilder:metadata:labels="cluster.x-k8s.io/v1beta2=v1beta1"
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type CaptControlPlaneTemplate struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec CaptControlPlaneTemplateSpec `json:"spec,omitempty"`
}

// CaptControlPlaneTemplateList is a list of CaptControlPlaneTemplates.
//
// +kubebuilder:object:root=true
type CaptControlPlaneTemplateList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []CaptControlPlaneTemplate `json:"items"`
}

func init() {
	objectTypes = append(objectTypes, &CaptControlPlaneTemplate{}, &CaptControlPlaneTemplateList{})
}
