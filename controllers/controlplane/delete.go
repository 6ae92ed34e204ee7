package controlplane

import (
	"context"
	"fmt"
	"slices"

	apierrors "k8s.io/apimachinery/pkg/api/errors"

	"sigs.k8s.io/controller-runtime/pkg/client"

	controlplanev1beta1 "github.com/capt-controlplane/capt-controlplane/apis/controlplane/v1beta1"
)

// reconcileDelete deletes the WorkspaceTemplateApply, waits until it and
// (unless retained) its Workspace are gone, then drops the finalizer.
func (r *Reconciler) reconcileDelete(ctx context.Context, cp *controlplanev1beta1.CAPTControlPlane, obs observed) error {
	if obs.apply != nil {
		if obs.apply.DeletionTimestamp.IsZero() {
			if err := r.Client.Delete(ctx, obs.apply); client.IgnoreNotFound(err) != nil {
				return fmt.Errorf("deleting WorkspaceTemplateApply %s/%s: %w", obs.apply.Namespace, obs.apply.Name, err)
			}
			r.log(ctx).Info("deleted the WorkspaceTemplateApply", "workspaceTemplateApply", obs.apply.Name)
		}
		return nil // its deletion event brings us back
	}
	// The apply is gone. It deletes its Workspace unless retained; wait for
	// that Workspace to go too, unless it is being kept.
	if obs.workspace != nil && !obs.workspace.GetDeletionTimestamp().IsZero() {
		return nil // the Workspace watch brings us back
	}
	return r.releaseFinalizer(ctx, cp)
}

// releaseFinalizer applies the spec this controller owns without the
// finalizer.
func (r *Reconciler) releaseFinalizer(ctx context.Context, cp *controlplanev1beta1.CAPTControlPlane) error {
	if !slices.Contains(cp.Finalizers, controlplanev1beta1.CAPTControlPlaneFinalizer) {
		return nil
	}
	var endpoint *controlplanev1beta1.APIEndpoint
	if cp.Spec.ControlPlaneEndpoint.Host != "" {
		endpoint = &cp.Spec.ControlPlaneEndpoint
	}
	_, err := r.applySpec(ctx, cp, endpoint, false)
	if apierrors.IsConflict(err) || apierrors.IsNotFound(err) {
		return nil // already gone: the cache had not seen it yet
	}
	return err
}
