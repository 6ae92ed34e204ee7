package controlplane

import (
	"context"
	"fmt"

	controlplanev1beta1 "github.com/capt-controlplane/capt-controlplane/apis/controlplane/v1beta1"
	cpac "github.com/capt-controlplane/capt-controlplane/applyconfig/controlplane/controlplane/v1beta1"
	"github.com/capt-controlplane/capt-controlplane/internal/ssa"
)

// applySpec applies what FieldManager owns of the main resource: the
// finalizer (when keepFinalizer), spec.workspaceTemplateApplyName and
// spec.controlPlaneEndpoint. A missing endpoint keeps the one set before:
// the endpoint never goes backwards on a gap in the Terraform outputs. It
// reports whether it sent the apply.
func (r *Reconciler) applySpec(ctx context.Context, cp *controlplanev1beta1.CAPTControlPlane, endpoint *controlplanev1beta1.APIEndpoint, keepFinalizer bool) (bool, error) {
	owned, err := cpac.ExtractCAPTControlPlane(cp, FieldManager)
	if err != nil {
		return false, err
	}
	spec := cpac.CAPTControlPlaneSpec().WithWorkspaceTemplateApplyName(cp.EffectiveWorkspaceTemplateApplyName())
	switch {
	case endpoint != nil:
		spec.WithControlPlaneEndpoint(cpac.APIEndpoint().WithHost(endpoint.Host).WithPort(endpoint.Port))
	case owned.Spec != nil && owned.Spec.ControlPlaneEndpoint != nil:
		spec.WithControlPlaneEndpoint(cpac.APIEndpoint().
			WithHost(cp.Spec.ControlPlaneEndpoint.Host).WithPort(cp.Spec.ControlPlaneEndpoint.Port))
	}
	// The UID makes the apply fail instead of creating the object again
	// when it was deleted since the cache saw it.
	desired := cpac.CAPTControlPlane(cp.Name, cp.Namespace).WithUID(cp.UID).WithSpec(spec)
	if keepFinalizer {
		desired.WithFinalizers(controlplanev1beta1.CAPTControlPlaneFinalizer)
	}
	sent, err := ssa.ApplyIfChanged(ctx, r.Client, FieldManager, desired, owned)
	if err != nil {
		return false, fmt.Errorf("control plane %s/%s: %w", cp.Namespace, cp.Name, err)
	}
	return sent, nil
}
