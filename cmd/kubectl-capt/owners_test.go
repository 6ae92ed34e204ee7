package main

import (
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestOwnerRows(t *testing.T) {
	now := metav1.NewTime(time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC))
	entries := []metav1.ManagedFieldsEntry{
		{Manager: "capt-workspace-status", Operation: metav1.ManagedFieldsOperationApply, Subresource: "status", Time: &now,
			FieldsV1: metav1.NewFieldsV1(`{"f:status":{"f:workspaceStatus":{"f:atProvider":{},"f:ready":{},"f:state":{}}}}`)},
		{Manager: "capt-controlplane", Operation: metav1.ManagedFieldsOperationApply, Time: &now,
			FieldsV1: metav1.NewFieldsV1(`{"f:metadata":{"f:finalizers":{"v:\"x\"":{}}},"f:spec":{"f:workspaceTemplateApplyName":{}}}`)},
		{Manager: "kubectl-edit", Operation: metav1.ManagedFieldsOperationUpdate, Subresource: "status", Time: &now,
			FieldsV1: metav1.NewFieldsV1(`{"f:status":{"f:conditions":{"k:{\"type\":\"KubeconfigReady\"}":{"f:reason":{}}},"f:workspaceStatus":{"f:atProvider":{"f:checksum":{}}}}}`)},
	}
	rows, err := ownerRows("CAPTControlPlane", "cp", entries, 0)
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	if err := printRows(&out, rows); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"PATH MANAGER OPERATION SUBRESOURCE TIME EXPECTED",
		`.metadata.finalizers[="x"] capt-controlplane Apply - 2026-11-25T12:00:00Z -`,
		".spec.workspaceTemplateApplyName capt-controlplane Apply - 2026-11-25T12:00:00Z capt-controlplane",
		`.status.conditions[type="KubeconfigReady"].reason kubectl-edit Update status 2026-11-25T12:00:00Z capt-kubeconfig`,
		".status.workspaceStatus.atProvider capt-workspace-status Apply status 2026-11-25T12:00:00Z capt-workspace-status",
		".status.workspaceStatus.atProvider.checksum kubectl-edit Update status 2026-11-25T12:00:00Z capt-workspace-status",
		".status.workspaceStatus.ready capt-workspace-status Apply status 2026-11-25T12:00:00Z capt-workspace-status",
		".status.workspaceStatus.state capt-workspace-status Apply status 2026-11-25T12:00:00Z capt-workspace-status",
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != len(want) {
		t.Fatalf("got %d lines:\n%s", len(lines), out.String())
	}
	for i, line := range lines {
		if got := strings.Join(strings.Fields(line), " "); got != want[i] {
			t.Errorf("line %d: got %q, want %q", i, got, want[i])
		}
	}
}

func TestOwnerRowsDepth(t *testing.T) {
	entries := []metav1.ManagedFieldsEntry{{Manager: "m", Operation: metav1.ManagedFieldsOperationApply, Subresource: "status",
		FieldsV1: metav1.NewFieldsV1(`{"f:status":{"f:conditions":{"k:{\"type\":\"Ready\"}":{"f:reason":{},"f:status":{}}},"f:ready":{}}}`)}}
	rows, err := ownerRows("CAPTControlPlane", "cp", entries, 3)
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	for _, r := range rows {
		paths = append(paths, r.path)
	}
	want := []string{`.status.conditions[type="Ready"]`, ".status.ready"}
	if strings.Join(paths, ",") != strings.Join(want, ",") {
		t.Fatalf("got %v, want %v", paths, want)
	}
}

// TestOwnerRowsOfAHeldWorkspace: every field the apply controller writes to
// hold a Workspace (Crossplane's pause, the recorded policies, the policies
// without Delete) is expected of it: kubectl capt owners shows no field of
// ours as another writer's.
func TestOwnerRowsOfAHeldWorkspace(t *testing.T) {
	entries := []metav1.ManagedFieldsEntry{{Manager: "capt-workspacetemplateapply", Operation: metav1.ManagedFieldsOperationApply,
		FieldsV1: metav1.NewFieldsV1(`{"f:metadata":{"f:annotations":{"f:crossplane.io/paused":{},"f:infrastructure.cluster.x-k8s.io/held-management-policies":{}},` +
			`"f:labels":{"f:infrastructure.cluster.x-k8s.io/apply-name":{}}},"f:spec":{"f:managementPolicies":{}}}`)}}
	rows, err := ownerRows("Workspace", "prod-eks-controlplane", entries, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 4 {
		t.Fatalf("got %d rows: %+v", len(rows), rows)
	}
	for _, r := range rows {
		if r.expected != "capt-workspacetemplateapply" {
			t.Errorf("%s: expected owner %q, want capt-workspacetemplateapply", r.path, r.expected)
		}
	}
}
