package workspacestatus

import (
	"encoding/json"
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	tfv1beta1 "github.com/capt-controlplane/capt-controlplane/apis/external/tf/v1beta1"
	cpac "github.com/capt-controlplane/capt-controlplane/applyconfig/controlplane/controlplane/v1beta1"
)

// States the mirror reports beyond the Workspace's own Ready reasons.
const (
	// StateDeleted: the Workspace is gone; the last atProvider stays.
	StateDeleted = "Deleted"
	// StateUnknown: the Workspace has no Ready condition yet.
	StateUnknown = "Unknown"
)

// desiredWorkspaceStatus computes the workspaceStatus to mirror, built from
// scratch. ws is the control plane's Workspace, nil when it cannot be found.
// last is what was mirrored before (nil if nothing): its atProvider is kept
// whenever the Workspace has none to offer, so the mirror never goes
// backwards on a gap or when the Workspace is deleted. It returns nil when
// there is nothing to mirror yet.
func desiredWorkspaceStatus(ws *tfv1beta1.Workspace, last *cpac.WorkspaceStatusApplyConfiguration) (*cpac.WorkspaceStatusApplyConfiguration, error) {
	var lastAtProvider *runtime.RawExtension
	if last != nil {
		lastAtProvider = last.AtProvider
	}
	if ws == nil {
		if last == nil {
			return nil, nil
		}
		desired := cpac.WorkspaceStatus().WithReady(false).WithState(StateDeleted)
		if lastAtProvider != nil {
			desired.WithAtProvider(*lastAtProvider)
		}
		return desired, nil
	}

	desired := cpac.WorkspaceStatus().WithReady(false).WithState(StateUnknown)
	if ready := tfv1beta1.FindCondition(ws.Status.Conditions, tfv1beta1.TypeReady); ready != nil {
		desired.WithReady(ready.Status == metav1.ConditionTrue).WithState(ready.Reason)
	}

	atProvider, err := observation(ws.Status.AtProvider)
	if err != nil {
		return nil, fmt.Errorf("workspace %s: %w", ws.Name, err)
	}
	if atProvider == nil {
		atProvider = lastAtProvider
	}
	if atProvider != nil {
		desired.WithAtProvider(*atProvider)
	}
	return desired, nil
}

// observation returns the Workspace's atProvider as raw JSON, or nil when it
// is empty (a provider restart or a failed observe).
func observation(o tfv1beta1.WorkspaceObservation) (*runtime.RawExtension, error) {
	if o.Checksum == "" && len(o.Outputs) == 0 && o.TFPlan == "" {
		return nil, nil
	}
	raw, err := json.Marshal(o)
	if err != nil {
		return nil, fmt.Errorf("encoding atProvider: %w", err)
	}
	return &runtime.RawExtension{Raw: raw}, nil
}
