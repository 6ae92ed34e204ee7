package controlplane

import (
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	controlplanev1beta1 "github.com/capt-controlplane/capt-controlplane/apis/controlplane/v1beta1"
	tfv1beta1 "github.com/capt-controlplane/capt-controlplane/apis/external/tf/v1beta1"
	"github.com/capt-controlplane/capt-controlplane/internal/kubeconfigs"
	"github.com/capt-controlplane/capt-controlplane/test/testenv"
)

func TestControlPlaneChanged(t *testing.T) {
	base := func() *controlplanev1beta1.CAPTControlPlane {
		return &controlplanev1beta1.CAPTControlPlane{
			ObjectMeta: metav1.ObjectMeta{Name: "cp", ResourceVersion: "1", ManagedFields: []metav1.ManagedFieldsEntry{
				{Manager: "capt-workspace-status", Subresource: "status"},
				{Manager: "capt-controlplane", Subresource: "status"},
			}},
			Status: controlplanev1beta1.CAPTControlPlaneStatus{Ready: true, WorkspaceStatus: &controlplanev1beta1.WorkspaceStatus{
				Ready: true, AtProvider: &runtime.RawExtension{Raw: []byte(`{"checksum":"a"}`)},
			}},
		}
	}
	testenv.CheckUpdates(t, controlPlaneChanged, base, []testenv.UpdateCase[*controlplanev1beta1.CAPTControlPlane]{
		{Name: "resync", Edit: func(*controlplanev1beta1.CAPTControlPlane) {}, Want: true},
		{Name: "the mirror alone", Edit: func(cp *controlplanev1beta1.CAPTControlPlane) {
			cp.ResourceVersion = "2"
			cp.Status.WorkspaceStatus.AtProvider = &runtime.RawExtension{Raw: []byte(`{"checksum":"b"}`)}
			cp.ManagedFields[0].Time = &metav1.Time{}
		}, Want: false},
		{Name: "the mirror removed", Edit: func(cp *controlplanev1beta1.CAPTControlPlane) {
			cp.ResourceVersion = "2"
			cp.Status.WorkspaceStatus = nil
			cp.ManagedFields = cp.ManagedFields[1:]
		}, Want: false},
		{Name: "another status field", Edit: func(cp *controlplanev1beta1.CAPTControlPlane) {
			cp.ResourceVersion = "2"
			cp.Status.Ready = false
		}, Want: true},
		{Name: "our own entry taken", Edit: func(cp *controlplanev1beta1.CAPTControlPlane) {
			cp.ResourceVersion = "2"
			cp.ManagedFields[1].Manager = "intruder"
		}, Want: true},
		{Name: "an annotation", Edit: func(cp *controlplanev1beta1.CAPTControlPlane) {
			cp.ResourceVersion = "2"
			cp.Annotations = map[string]string{"cluster.x-k8s.io/paused": ""}
		}, Want: true},
	})
}

func TestWorkspaceChanged(t *testing.T) {
	base := func() *tfv1beta1.Workspace {
		return &tfv1beta1.Workspace{
			ObjectMeta: metav1.ObjectMeta{Name: "ws", ResourceVersion: "1", Labels: map[string]string{"a": "b"}},
			Status: tfv1beta1.WorkspaceStatus{
				Conditions: []tfv1beta1.Condition{{Type: tfv1beta1.TypeReady, Status: metav1.ConditionTrue, Reason: "Available"}},
				AtProvider: &runtime.RawExtension{Raw: []byte(`{"checksum":"a","outputs":{"cluster_endpoint":"https://a.example.com","tags":{"x":1}}}`)},
			},
		}
	}
	testenv.CheckUpdates(t, workspaceChanged, base, []testenv.UpdateCase[*tfv1beta1.Workspace]{
		{Name: "resync", Edit: func(*tfv1beta1.Workspace) {}, Want: false},
		{Name: "checksum and an unread output", Edit: func(ws *tfv1beta1.Workspace) {
			ws.Status.AtProvider.Raw = []byte(`{"checksum":"b","outputs":{"cluster_endpoint":"https://a.example.com","tags":{"x":2}}}`)
		}, Want: false},
		{Name: "a condition's time alone", Edit: func(ws *tfv1beta1.Workspace) {
			ws.Status.Conditions[0].LastTransitionTime = metav1.Now()
		}, Want: false},
		{Name: "the endpoint", Edit: func(ws *tfv1beta1.Workspace) {
			ws.Status.AtProvider.Raw = []byte(`{"checksum":"a","outputs":{"cluster_endpoint":"https://b.example.com","tags":{"x":1}}}`)
		}, Want: true},
		{Name: "the CA appears", Edit: func(ws *tfv1beta1.Workspace) {
			ws.Status.AtProvider.Raw = []byte(`{"checksum":"a","outputs":{"cluster_endpoint":"https://a.example.com","tags":{"x":1},"` + kubeconfigs.OutputCA + `":"Q0E="}}`)
		}, Want: true},
		{Name: "not ready", Edit: func(ws *tfv1beta1.Workspace) { ws.Status.Conditions[0].Status = metav1.ConditionFalse }, Want: true},
		{Name: "Terraform ran a new generation", Edit: func(ws *tfv1beta1.Workspace) { ws.Status.Conditions[0].ObservedGeneration = 2 }, Want: true},
		{Name: "the cluster_version output", Edit: func(ws *tfv1beta1.Workspace) {
			ws.Status.AtProvider.Raw = []byte(`{"checksum":"a","outputs":{"cluster_endpoint":"https://a.example.com","tags":{"x":1},"cluster_version":"1.32"}}`)
		}, Want: true},
		{Name: "labels", Edit: func(ws *tfv1beta1.Workspace) { ws.Labels = nil }, Want: true},
		{Name: "deletion", Edit: func(ws *tfv1beta1.Workspace) { now := metav1.Now(); ws.DeletionTimestamp = &now }, Want: true},
	})
}
