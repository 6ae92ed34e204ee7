package kubeconfig

import (
	"context"

	controlplanev1beta1 "github.com/capt-controlplane/capt-controlplane/apis/controlplane/v1beta1"
	cpac "github.com/capt-controlplane/capt-controlplane/applyconfig/controlplane/controlplane/v1beta1"
	"github.com/capt-controlplane/capt-controlplane/internal/ssa"
)

// applyCondition applies the control plane's KubeconfigReady condition, the
// one status field FieldManager owns, when it changed, and reports whether
// it sent it.
func (r *Reconciler) applyCondition(ctx context.Context, cp *controlplanev1beta1.CAPTControlPlane, ready bool, reason, message string) (bool, error) {
	return ssa.ApplyStatusOf(ctx, r.Client, FieldManager, "control plane", cp,
		cpac.CAPTControlPlane(cp.Name, cp.Namespace).WithStatus(cpac.CAPTControlPlaneStatus().WithConditions(
			ssa.Condition(controlplanev1beta1.ConditionKubeconfigReady, ready, reason, message, cp.Generation, cp.Status.Conditions, r.now()))),
		cpac.ExtractCAPTControlPlaneStatus)
}
