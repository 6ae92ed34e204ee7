package workspacestatus

import (
	"encoding/json"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	controlplanev1beta1 "github.com/capt-controlplane/capt-controlplane/apis/controlplane/v1beta1"
	"github.com/capt-controlplane/capt-controlplane/internal/ssa"
)

// The direct reading of the owned fields gives what Extract gives, in the
// shapes it handles and in those it hands to Extract.
func TestOwnedMatchesExtract(t *testing.T) {
	entry := func(manager, fields string) metav1.ManagedFieldsEntry {
		return metav1.ManagedFieldsEntry{Manager: manager, Operation: metav1.ManagedFieldsOperationApply, APIVersion: controlplanev1beta1.GroupVersion.String(),
			Subresource: "status", FieldsType: "FieldsV1", FieldsV1: metav1.NewFieldsV1(fields)}
	}
	const all = `{"f:status":{"f:workspaceStatus":{"f:atProvider":{},"f:ready":{},"f:state":{}}}}`
	at := &runtime.RawExtension{Raw: []byte(`{"checksum":"c","outputs":{"n":1e3,"list":[1,"x",true,null],"nested":{"b":1,"a":2}}}`)}
	live := func(ready bool, state string, atProvider *runtime.RawExtension) *controlplanev1beta1.WorkspaceStatus {
		return &controlplanev1beta1.WorkspaceStatus{Ready: ready, State: state, AtProvider: atProvider}
	}
	cases := []struct {
		name    string
		entries []metav1.ManagedFieldsEntry
		status  *controlplanev1beta1.WorkspaceStatus
		direct  bool // answered without Extract
	}{
		{"all three", []metav1.ManagedFieldsEntry{entry(FieldManager, all)}, live(true, "Available", at), true},
		{"ready false", []metav1.ManagedFieldsEntry{entry(FieldManager, all)}, live(false, "Creating", at), true},
		{"atProvider not owned", []metav1.ManagedFieldsEntry{entry(FieldManager, `{"f:status":{"f:workspaceStatus":{"f:ready":{},"f:state":{}}}}`)}, live(true, "Available", at), true},
		{"owned state is empty", []metav1.ManagedFieldsEntry{entry(FieldManager, all)}, live(true, "", at), false},
		{"owned atProvider is gone", []metav1.ManagedFieldsEntry{entry(FieldManager, all)}, live(true, "Available", nil), false},
		{"workspaceStatus is gone", []metav1.ManagedFieldsEntry{entry(FieldManager, all)}, nil, false},
		{"the node too", []metav1.ManagedFieldsEntry{entry(FieldManager, `{"f:status":{"f:workspaceStatus":{".":{},"f:atProvider":{},"f:ready":{},"f:state":{}}}}`)}, live(true, "Available", at), false},
		{"another status field", []metav1.ManagedFieldsEntry{entry(FieldManager, `{"f:status":{"f:phase":{},"f:workspaceStatus":{"f:ready":{}}}}`)}, live(true, "Available", at), false},
		{"another manager only", []metav1.ManagedFieldsEntry{entry("intruder", all)}, live(true, "Available", at), false},
		{"no entries", nil, live(true, "Available", at), false},
	}
	for _, tc := range cases {
		cp := &controlplanev1beta1.CAPTControlPlane{ObjectMeta: metav1.ObjectMeta{Name: "x", Namespace: "ns", ManagedFields: tc.entries}}
		cp.Status.Phase = controlplanev1beta1.PhaseReady
		cp.Status.WorkspaceStatus = tc.status
		got, err := ownedWorkspaceStatus(cp)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		want, err := extractOwned(cp)
		if err != nil {
			t.Fatalf("%s: Extract: %v", tc.name, err)
		}
		if (got == nil) != (want == nil) {
			t.Fatalf("%s: got %v, Extract gives %v", tc.name, got, want)
		}
		if same, err := ssa.JSONEqual(got, want); err != nil || !same {
			t.Errorf("%s: got %s, Extract gives %s (%v)", tc.name, mustJSON(got), mustJSON(want), err)
		}
		entry, ok := ssa.AppliedEntry(cp, FieldManager, "status")
		_, direct := ownedDirectly(cp, entry)
		if direct != (ok && tc.direct) {
			t.Errorf("%s: answered directly %v, want %v", tc.name, direct, tc.direct)
		}
	}
}

func mustJSON(v any) string {
	raw, err := json.Marshal(v)
	if err != nil {
		return err.Error()
	}
	return string(raw)
}
