package workspacestatus

import (
	"context"
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	cpac "github.com/capt-controlplane/capt-controlplane/applyconfig/controlplane/controlplane/v1beta1"
)

// apply sends m.desired as FieldManager, the one place this controller
// applies (migrate.go's patch hands upstream's entries over, once),
// remembers it, and records a repair. It returns the resourceVersion
// the apply produced ("" when the control plane is gone).
func (r *Reconciler) apply(ctx context.Context, m mirror) (string, error) {
	key := client.ObjectKeyFromObject(m.cp)
	apply := cpac.CAPTControlPlane(m.cp.Name, m.cp.Namespace).
		WithStatus(cpac.CAPTControlPlaneStatus().WithWorkspaceStatus(m.desired))
	if m.precondition {
		apply.WithResourceVersion(m.cp.ResourceVersion)
	}
	if err := r.Client.Status().Apply(ctx, apply, client.FieldOwner(FieldManager), client.ForceOwnership); err != nil {
		if apierrors.IsNotFound(err) {
			// Deleted since the cache saw it: nothing left to mirror into.
			// Its delete event's reconcile forgets it (skeleton.Reconcile).
			r.log(ctx).V(1).Info("the control plane is gone; not mirroring")
			return "", nil
		}
		if rejected(err) {
			// The object keeps what it had: a refused request changes nothing.
			r.Recorder.Eventf(m.cp, m.ws, corev1.EventTypeWarning, ReasonWorkspaceStatusRejected, "Mirror",
				"the API server refused status.workspaceStatus (%d bytes): %v", len(m.encoded), err)
		}
		return "", fmt.Errorf("applying status.workspaceStatus of %s: %w", key, err)
	}
	r.remember(key, m.encoded)
	appliesTotal.Inc()

	if m.restoring {
		restoresTotal.Inc()
		r.log(ctx).Info("restored status.workspaceStatus after another writer changed it", "workspace", workspaceName(m.ws))
		r.Recorder.Eventf(m.cp, nil, corev1.EventTypeNormal, ReasonWorkspaceStatusRestored, "Restore",
			"status.workspaceStatus was changed or removed by another writer; restored the mirror of workspace %s", workspaceName(m.ws))
	}
	return ptr.Deref(apply.ResourceVersion, ""), nil
}

// rejected reports whether the API server refused the request for what it
// holds, so that sending it again unchanged cannot succeed.
func rejected(err error) bool {
	return apierrors.IsRequestEntityTooLargeError(err) || apierrors.IsInvalid(err) || apierrors.IsBadRequest(err) ||
		strings.Contains(err.Error(), "request is too large")
}
