package controlplane

import (
	"testing"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/event"

	controlplanev1beta1 "github.com/capt-controlplane/capt-controlplane/apis/controlplane/v1beta1"
	tfv1beta1 "github.com/capt-controlplane/capt-controlplane/apis/external/tf/v1beta1"
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
	cases := []struct {
		name string
		edit func(*controlplanev1beta1.CAPTControlPlane)
		want bool
	}{
		{"resync", func(*controlplanev1beta1.CAPTControlPlane) {}, true},
		{"the mirror alone", func(cp *controlplanev1beta1.CAPTControlPlane) {
			cp.ResourceVersion = "2"
			cp.Status.WorkspaceStatus.AtProvider = &runtime.RawExtension{Raw: []byte(`{"checksum":"b"}`)}
			cp.ManagedFields[0].Time = &metav1.Time{}
		}, false},
		{"the mirror removed", func(cp *controlplanev1beta1.CAPTControlPlane) {
			cp.ResourceVersion = "2"
			cp.Status.WorkspaceStatus = nil
			cp.ManagedFields = cp.ManagedFields[1:]
		}, false},
		{"another status field", func(cp *controlplanev1beta1.CAPTControlPlane) {
			cp.ResourceVersion = "2"
			cp.Status.Ready = false
		}, true},
		{"our own entry taken", func(cp *controlplanev1beta1.CAPTControlPlane) {
			cp.ResourceVersion = "2"
			cp.ManagedFields[1].Manager = "intruder"
		}, true},
		{"an annotation", func(cp *controlplanev1beta1.CAPTControlPlane) {
			cp.ResourceVersion = "2"
			cp.Annotations = map[string]string{"cluster.x-k8s.io/paused": ""}
		}, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			old, cur := base(), base()
			tc.edit(cur)
			if got := controlPlaneChanged.Update(event.UpdateEvent{ObjectOld: old, ObjectNew: cur}); got != tc.want {
				t.Fatalf("controlPlaneChanged = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestWorkspaceChanged(t *testing.T) {
	base := func() *tfv1beta1.Workspace {
		return &tfv1beta1.Workspace{
			ObjectMeta: metav1.ObjectMeta{Name: "ws", ResourceVersion: "1", Labels: map[string]string{"a": "b"}},
			Status: tfv1beta1.WorkspaceStatus{
				Conditions: []tfv1beta1.Condition{{Type: tfv1beta1.TypeReady, Status: metav1.ConditionTrue, Reason: "Available"}},
				AtProvider: tfv1beta1.WorkspaceObservation{Checksum: "a", Outputs: map[string]apiextensionsv1.JSON{
					outputEndpoint: {Raw: []byte(`"https://a.example.com"`)}, "tags": {Raw: []byte(`{"x":1}`)},
				}},
			},
		}
	}
	cases := []struct {
		name string
		edit func(*tfv1beta1.Workspace)
		want bool
	}{
		{"resync", func(*tfv1beta1.Workspace) {}, false},
		{"checksum and an unread output", func(ws *tfv1beta1.Workspace) {
			ws.Status.AtProvider.Checksum = "b"
			ws.Status.AtProvider.Outputs["tags"] = apiextensionsv1.JSON{Raw: []byte(`{"x":2}`)}
		}, false},
		{"a condition's time alone", func(ws *tfv1beta1.Workspace) {
			ws.Status.Conditions[0].LastTransitionTime = metav1.Now()
		}, false},
		{"the endpoint", func(ws *tfv1beta1.Workspace) {
			ws.Status.AtProvider.Outputs[outputEndpoint] = apiextensionsv1.JSON{Raw: []byte(`"https://b.example.com"`)}
		}, true},
		{"the CA appears", func(ws *tfv1beta1.Workspace) {
			ws.Status.AtProvider.Outputs[outputCA] = apiextensionsv1.JSON{Raw: []byte(`"Q0E="`)}
		}, true},
		{"not ready", func(ws *tfv1beta1.Workspace) { ws.Status.Conditions[0].Status = metav1.ConditionFalse }, true},
		{"labels", func(ws *tfv1beta1.Workspace) { ws.Labels = nil }, true},
		{"deletion", func(ws *tfv1beta1.Workspace) { now := metav1.Now(); ws.DeletionTimestamp = &now }, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			old, cur := base(), base()
			tc.edit(cur)
			if got := workspaceChanged.Update(event.UpdateEvent{ObjectOld: old, ObjectNew: cur}); got != tc.want {
				t.Fatalf("workspaceChanged = %v, want %v", got, tc.want)
			}
		})
	}
}
