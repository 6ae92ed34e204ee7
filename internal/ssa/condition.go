package ssa

import (
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	metav1ac "k8s.io/client-go/applyconfigurations/meta/v1"
)

// Condition builds a condition to apply whose lastTransitionTime moves only
// when its status changes from the one in live: an unchanged condition
// applies as the value already owned, so nothing is sent.
func Condition(t string, isTrue bool, reason, message string, generation int64, live []metav1.Condition, now time.Time) *metav1ac.ConditionApplyConfiguration {
	status := metav1.ConditionFalse
	if isTrue {
		status = metav1.ConditionTrue
	}
	transition := metav1.NewTime(now.Truncate(time.Second))
	if prev := meta.FindStatusCondition(live, t); prev != nil && prev.Status == status {
		transition = prev.LastTransitionTime
	}
	return metav1ac.Condition().WithType(t).WithStatus(status).WithReason(reason).WithMessage(message).
		WithObservedGeneration(generation).WithLastTransitionTime(transition)
}
