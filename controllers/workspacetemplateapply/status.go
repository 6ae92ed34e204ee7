package workspacetemplateapply

import (
	"context"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	tfv1beta1 "github.com/capt-controlplane/capt-controlplane/apis/external/tf/v1beta1"
	infrastructurev1beta1 "github.com/capt-controlplane/capt-controlplane/apis/infrastructure/v1beta1"
	infraac "github.com/capt-controlplane/capt-controlplane/applyconfig/infrastructure/infrastructure/v1beta1"
	"github.com/capt-controlplane/capt-controlplane/internal/ssa"
)

// applyStatus applies the apply's status when it differs from what
// FieldManager owns: the Workspace name, whether it was applied and when,
// the generation it was rendered from, and Ready and Synced conditions. It
// reports whether it sent it.
func (r *Reconciler) applyStatus(ctx context.Context, apply *infrastructurev1beta1.WorkspaceTemplateApply, out outcome) (bool, error) {
	status := infraac.WorkspaceTemplateApplyStatus().WithApplied(out.workspace != nil)
	if out.workspace != nil {
		status.WithWorkspaceName(out.workspace.GetName())
		if ns := out.workspace.GetNamespace(); ns != "" {
			status.WithWorkspaceNamespace(ns)
		}
	}
	switch {
	case out.workspace != nil && !out.refused:
		status.WithObservedGeneration(apply.Generation)
	case apply.Status.ObservedGeneration != 0:
		status.WithObservedGeneration(apply.Status.ObservedGeneration)
	}
	switch {
	case out.appliedAt != nil:
		status.WithLastAppliedTime(*out.appliedAt)
	case apply.Status.LastAppliedTime != nil:
		status.WithLastAppliedTime(*apply.Status.LastAppliedTime)
	}

	ready := &tfv1beta1.Condition{Type: tfv1beta1.TypeReady, Status: metav1.ConditionFalse, Reason: tfv1beta1.ReasonCreating}
	synced := out.synced
	if out.workspace != nil {
		if c := tfv1beta1.FindCondition(out.workspace.Observed().Conditions, tfv1beta1.TypeReady); c != nil {
			ready = c
		}
		if synced == nil {
			synced = tfv1beta1.FindCondition(out.workspace.Observed().Conditions, tfv1beta1.TypeSynced)
		}
		if synced == nil {
			synced = &tfv1beta1.Condition{Type: tfv1beta1.TypeSynced, Status: metav1.ConditionTrue, Reason: infrastructurev1beta1.ReasonWorkspaceApplied}
		}
	}
	for _, c := range []*tfv1beta1.Condition{ready, synced} {
		if c != nil {
			status.WithConditions(conditionApply(*c, apply.Status.Conditions))
		}
	}

	return ssa.ApplyStatusOf(ctx, r.Client, FieldManager, "WorkspaceTemplateApply", apply,
		infraac.WorkspaceTemplateApply(apply.Name, apply.Namespace).WithStatus(status), infraac.ExtractWorkspaceTemplateApplyStatus)
}

// conditionApply builds a condition whose lastTransitionTime moves only
// when its status changes from the one in live.
func conditionApply(c tfv1beta1.Condition, live []tfv1beta1.Condition) tfv1beta1.Condition {
	if prev := tfv1beta1.FindCondition(live, c.Type); prev != nil && prev.Status == c.Status {
		c.LastTransitionTime = prev.LastTransitionTime
	}
	if c.LastTransitionTime.IsZero() {
		c.LastTransitionTime = metav1.Now().Rfc3339Copy()
	}
	c.ObservedGeneration = 0
	return c
}
