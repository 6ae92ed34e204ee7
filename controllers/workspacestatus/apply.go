package workspacestatus

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	controlplanev1beta1 "github.com/capt-controlplane/capt-controlplane/apis/controlplane/v1beta1"
	tfv1beta1 "github.com/capt-controlplane/capt-controlplane/apis/external/tf/v1beta1"
	cpac "github.com/capt-controlplane/capt-controlplane/applyconfig/controlplane/controlplane/v1beta1"
)

// mirror is one apply of status.workspaceStatus and what it was decided from.
type mirror struct {
	cp      *controlplanev1beta1.CAPTControlPlane
	ws      tfv1beta1.AnyWorkspace // nil when deleted
	desired *cpac.WorkspaceStatusApplyConfiguration
	// owned is what FieldManager owns in cp, last what this process sent
	// before (nil for none).
	owned, last *cpac.WorkspaceStatusApplyConfiguration
	// precondition sends cp's resourceVersion with the apply.
	precondition bool
}

// apply sends m.desired as FieldManager, the one place this controller
// applies (migrate.go's patch hands upstream's entries over, once),
// remembers it, and records a repair. It returns the resourceVersion
// the apply produced ("" when the control plane is gone).
func (r *Reconciler) apply(ctx context.Context, m mirror) (string, error) {
	key := client.ObjectKeyFromObject(m.cp)
	restoring, err := damaged(m.cp, m.owned, m.desired, m.last)
	if err != nil {
		return "", err
	}
	// Encoded before sending: the client decodes the response into the
	// apply configuration.
	sent, err := json.Marshal(m.desired)
	if err != nil {
		return "", err
	}
	apply := cpac.CAPTControlPlane(m.cp.Name, m.cp.Namespace).
		WithStatus(cpac.CAPTControlPlaneStatus().WithWorkspaceStatus(m.desired))
	if m.precondition {
		apply.WithResourceVersion(m.cp.ResourceVersion)
	}
	if err := r.Client.Status().Apply(ctx, apply, client.FieldOwner(FieldManager), client.ForceOwnership); err != nil {
		if apierrors.IsNotFound(err) {
			// Deleted since the cache saw it: nothing left to mirror into.
			// (skeleton.Reconcile forgot its settled inputs before Act.)
			r.log(ctx).V(1).Info("the control plane is gone; not mirroring")
			r.Forget(key)
			return "", nil
		}
		if rejected(err) {
			// The object keeps what it had: a refused request changes nothing.
			r.Recorder.Eventf(m.cp, m.ws, corev1.EventTypeWarning, ReasonWorkspaceStatusRejected, "Mirror",
				"the API server refused status.workspaceStatus (%d bytes): %v", len(sent), err)
		}
		return "", fmt.Errorf("applying status.workspaceStatus of %s: %w", key, err)
	}
	r.remember(key, sent)
	appliesTotal.Inc()

	if restoring {
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
