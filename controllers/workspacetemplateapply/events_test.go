package workspacetemplateapply

import (
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/event"

	tfv1beta1 "github.com/capt-controlplane/capt-controlplane/apis/external/tf/v1beta1"
)

func TestWorkspaceChanged(t *testing.T) {
	base := func() *tfv1beta1.Workspace {
		return &tfv1beta1.Workspace{
			ObjectMeta: metav1.ObjectMeta{Name: "ws", ResourceVersion: "1", Generation: 1, Labels: map[string]string{"a": "b"}},
			Status: tfv1beta1.WorkspaceStatus{
				Conditions: []tfv1beta1.Condition{{Type: tfv1beta1.TypeSynced, Status: metav1.ConditionTrue, Reason: "ReconcileSuccess"}},
				AtProvider: tfv1beta1.WorkspaceObservation{Checksum: "a"},
			},
		}
	}
	cases := []struct {
		name string
		edit func(*tfv1beta1.Workspace)
		want bool
	}{
		{"resync", func(*tfv1beta1.Workspace) {}, false},
		{"a new observation alone", func(ws *tfv1beta1.Workspace) { ws.Status.AtProvider.Checksum = "b" }, false},
		{"the spec", func(ws *tfv1beta1.Workspace) { ws.Generation = 2 }, true},
		{"a condition's message", func(ws *tfv1beta1.Workspace) { ws.Status.Conditions[0].Message = "plan failed" }, true},
		{"a new condition", func(ws *tfv1beta1.Workspace) {
			ws.Status.Conditions = append(ws.Status.Conditions, tfv1beta1.Condition{Type: tfv1beta1.TypeReady, Status: metav1.ConditionTrue})
		}, true},
		{"labels", func(ws *tfv1beta1.Workspace) { ws.Labels["a"] = "c" }, true},
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
