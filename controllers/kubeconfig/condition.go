package kubeconfig

import (
	"context"
	"fmt"

	controlplanev1beta1 "github.com/capt-controlplane/capt-controlplane/apis/controlplane/v1beta1"
	cpac "github.com/capt-controlplane/capt-controlplane/applyconfig/controlplane/controlplane/v1beta1"
	"github.com/capt-controlplane/capt-controlplane/controllers/ssa"
)

// applyCondition applies the control plane's KubeconfigReady condition, the
// one status field FieldManager owns, when it changed, and reports whether
// it sent it.
func (r *Reconciler) applyCondition(ctx context.Context, cp *controlplanev1beta1.CAPTControlPlane, ready bool, reason, message string) (bool, error) {
	desired := cpac.CAPTControlPlane(cp.Name, cp.Namespace).WithStatus(cpac.CAPTControlPlaneStatus().WithConditions(
		ssa.Condition(controlplanev1beta1.ConditionKubeconfigReady, ready, reason, message, cp.Generation, cp.Status.Conditions, r.now())))
	owned, err := cpac.ExtractCAPTControlPlaneStatus(cp, FieldManager)
	if err != nil {
		return false, err
	}
	sent, err := ssa.ApplyStatusIfChanged(ctx, r.Client, FieldManager, desired, owned)
	if err != nil {
		return false, fmt.Errorf("control plane %s/%s: %w", cp.Namespace, cp.Name, err)
	}
	return sent, nil
}
