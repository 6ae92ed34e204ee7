package v1beta1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// CAPTControlPlaneTemplateSpec holds the template of a control plane.
type CAPTControlPlaneTemplateSpec struct {
	// Template is the control plane a ClusterClass stamps out.
	Template CAPTControlPlaneTemplateResource `json:"template"`
}

// CAPTControlPlaneTemplateResource is the templated part of a control plane.
type CAPTControlPlaneTemplateResource struct {
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

// CAPTControlPlaneTemplate is a CAPTControlPlane template for ClusterClass.
// Cluster API names the control plane a topology creates by dropping
// "Template" from the template's kind, so the kind is the control plane's
// plus "Template". Upstream CAPT spelled it CaptControlPlaneTemplate, which
// no topology could use; docs/upgrade.md migrates those objects.
//
// +kubebuilder:object:root=true
// +kubebuilder:resource:path=captcontrolplanetemplates,scope=Namespaced,categories=cluster-api
// +kubebuilder:metadata:labels="cluster.x-k8s.io/provider=control-plane-capt"
// +kubebuilder:metadata:labels="cluster.x-k8s.io/v1beta1=v1beta1"
// +kubebuilder:metadata:labels="cluster.x-k8s.io/v1beta2=v1beta1"
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type CAPTControlPlaneTemplate struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec CAPTControlPlaneTemplateSpec `json:"spec,omitempty"`
}

// CAPTControlPlaneTemplateList is a list of CAPTControlPlaneTemplates.
//
// +kubebuilder:object:root=true
type CAPTControlPlaneTemplateList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []CAPTControlPlaneTemplate `json:"items"`
}

func init() {
	objectTypes = append(objectTypes, &CAPTControlPlaneTemplate{}, &CAPTControlPlaneTemplateList{})
}
