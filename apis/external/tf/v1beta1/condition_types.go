package v1beta1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// ConditionType is the type of a Crossplane condition.
type ConditionType string

// Condition types Crossplane managed resources report.
const (
	TypeReady  ConditionType = "Ready"
	TypeSynced ConditionType = "Synced"
)

// Reasons of the Ready condition.
const (
	ReasonAvailable   = "Available"
	ReasonUnavailable = "Unavailable"
	ReasonCreating    = "Creating"
	ReasonDeleting    = "Deleting"
)

// Condition is a Crossplane condition: the shape provider-terraform writes.
type Condition struct {
	// Type of the condition, such as Ready or Synced.
	Type ConditionType `json:"type"`

	// Status of the condition: True, False or Unknown.
	Status metav1.ConditionStatus `json:"status"`

	// LastTransitionTime is when the status last changed.
	LastTransitionTime metav1.Time `json:"lastTransitionTime"`

	// Reason is a short CamelCase reason for the status.
	Reason string `json:"reason"`

	// Message explains the status to a person.
	// +optional
	Message string `json:"message,omitempty"`

	// ObservedGeneration is the generation the condition was set for.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`
}

// FindCondition returns the condition of the given type, or nil.
func FindCondition(conditions []Condition, t ConditionType) *Condition {
	for i := range conditions {
		if conditions[i].Type == t {
			return &conditions[i]
		}
	}
	return nil
}

// SameConditions reports whether a and b hold the same conditions by type,
// status, reason, message and observed generation (the generation
// Terraform last ran, which the control plane's version follows), in any
// order: their times aside, what a reader of the conditions decides from.
func SameConditions(a, b []Condition) bool {
	if len(a) != len(b) {
		return false
	}
	for _, c := range a {
		o := FindCondition(b, c.Type)
		if o == nil || o.Status != c.Status || o.Reason != c.Reason || o.Message != c.Message || o.ObservedGeneration != c.ObservedGeneration {
			return false
		}
	}
	return true
}

// AnnotationPaused stops Crossplane's reconciliation of a managed resource
// (deletion included) while it is "true".
const AnnotationPaused = "crossplane.io/paused"
