package workspacestatus

import (
	"bytes"
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

// DefaultMaxAtProviderBytes is the largest atProvider (as JSON) mirrored
// by default. etcd refuses objects over 1.5 MiB and the control plane holds
// more than the mirror; a larger atProvider is refused with an Event rather
// than sent to fail.
const DefaultMaxAtProviderBytes = 1 << 20

// Event reasons for an atProvider that is not mirrored.
const (
	// ReasonInvalidAtProvider: the Workspace's atProvider is not an
	// observation (a string, a number, a list, outputs not an object).
	ReasonInvalidAtProvider = "InvalidAtProvider"
	// ReasonAtProviderTooLarge: the atProvider is over the size limit.
	ReasonAtProviderTooLarge = "AtProviderTooLarge"
)

// refusedAtProvider says why a Workspace's atProvider is not mirrored. The
// last mirrored atProvider stays; ready and state still follow the Workspace.
type refusedAtProvider struct {
	reason, message string
}

func (e *refusedAtProvider) Error() string { return e.message }

// desiredWorkspaceStatus computes the workspaceStatus to mirror, built from
// scratch. ws is the control plane's Workspace, nil when it cannot be found.
// last is what was mirrored before (nil if nothing): its atProvider is kept
// whenever the Workspace has none to offer, or one that cannot be mirrored
// (refused says why), so the mirror never goes backwards on a gap, on bad
// input or when the Workspace is deleted. desired is nil when there is
// nothing to mirror yet; fromWorkspace says its atProvider is the
// Workspace's own, not the last one kept.
func desiredWorkspaceStatus(ws tfv1beta1.AnyWorkspace, last *cpac.WorkspaceStatusApplyConfiguration, maxBytes int) (desired *cpac.WorkspaceStatusApplyConfiguration, fromWorkspace bool, refused *refusedAtProvider) {
	var lastAtProvider *runtime.RawExtension
	if last != nil {
		lastAtProvider = last.AtProvider
	}
	if ws == nil {
		if last == nil {
			return nil, false, nil
		}
		desired := cpac.WorkspaceStatus().WithReady(false).WithState(StateDeleted)
		if lastAtProvider != nil {
			desired.WithAtProvider(*lastAtProvider)
		}
		return desired, false, nil
	}

	desired = cpac.WorkspaceStatus().WithReady(false).WithState(StateUnknown)
	if ready := tfv1beta1.FindCondition(ws.Observed().Conditions, tfv1beta1.TypeReady); ready != nil {
		desired.WithReady(ready.Status == metav1.ConditionTrue).WithState(ready.Reason)
	}

	atProvider, refused := observation(ws, maxBytes)
	fromWorkspace = atProvider != nil
	if atProvider == nil {
		atProvider = lastAtProvider
	}
	if atProvider != nil {
		desired.WithAtProvider(*atProvider)
	}
	return desired, fromWorkspace, refused
}

// observation returns the Workspace's atProvider exactly as the provider
// wrote it: every field, whether or not a Go type here declares it. It is
// nil when empty (a provider restart or a failed observe), and nil with the
// reason when it cannot be mirrored: not an object, or over maxBytes.
func observation(ws tfv1beta1.AnyWorkspace, maxBytes int) (*runtime.RawExtension, *refusedAtProvider) {
	o := tfv1beta1.ObservationOf(ws.Observed().AtProvider)
	if o.IsEmpty() {
		return nil, nil
	}
	if !o.IsObject() {
		return nil, &refusedAtProvider{ReasonInvalidAtProvider, fmt.Sprintf(
			"workspace %s: status.atProvider is %s, not an object; keeping the last mirrored atProvider",
			workspaceName(ws), jsonKind(o.Raw()))}
	}
	if maxBytes <= 0 {
		maxBytes = DefaultMaxAtProviderBytes
	}
	if raw := o.Raw(); len(raw) > maxBytes {
		return nil, &refusedAtProvider{ReasonAtProviderTooLarge, fmt.Sprintf(
			"workspace %s: status.atProvider is %d bytes, over the limit of %d; keeping the last mirrored atProvider",
			workspaceName(ws), len(raw), maxBytes)}
	}
	return &runtime.RawExtension{Raw: bytes.Clone(o.Raw())}, nil
}

// jsonKind names the kind of a JSON value that is not an object.
func jsonKind(raw []byte) string {
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return "not JSON"
	}
	switch v.(type) {
	case string:
		return "a string"
	case float64:
		return "a number"
	case bool:
		return "a boolean"
	case []any:
		return "a list"
	}
	return "null"
}
