package workspacetemplateapply

import (
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	tfv1beta1 "github.com/capt-controlplane/capt-controlplane/apis/external/tf/v1beta1"
	"github.com/capt-controlplane/capt-controlplane/test/testenv"
)

func TestWorkspaceChanged(t *testing.T) {
	base := func() *tfv1beta1.Workspace {
		return &tfv1beta1.Workspace{
			ObjectMeta: metav1.ObjectMeta{Name: "ws", ResourceVersion: "1", Generation: 1, Labels: map[string]string{"a": "b"}},
			Status: tfv1beta1.WorkspaceStatus{
				Conditions: []tfv1beta1.Condition{{Type: tfv1beta1.TypeSynced, Status: metav1.ConditionTrue, Reason: "ReconcileSuccess"}},
				AtProvider: &runtime.RawExtension{Raw: []byte(`{"checksum":"a"}`)},
			},
		}
	}
	testenv.CheckUpdates(t, workspaceChanged, base, []testenv.UpdateCase[*tfv1beta1.Workspace]{
		{Name: "resync", Edit: func(*tfv1beta1.Workspace) {}, Want: false},
		{Name: "a new observation alone", Edit: func(ws *tfv1beta1.Workspace) { ws.Status.AtProvider.Raw = []byte(`{"checksum":"b"}`) }, Want: false},
		{Name: "the spec", Edit: func(ws *tfv1beta1.Workspace) { ws.Generation = 2 }, Want: true},
		{Name: "a condition's message", Edit: func(ws *tfv1beta1.Workspace) { ws.Status.Conditions[0].Message = "plan failed" }, Want: true},
		{Name: "a new condition", Edit: func(ws *tfv1beta1.Workspace) {
			ws.Status.Conditions = append(ws.Status.Conditions, tfv1beta1.Condition{Type: tfv1beta1.TypeReady, Status: metav1.ConditionTrue})
		}, Want: true},
		{Name: "labels", Edit: func(ws *tfv1beta1.Workspace) { ws.Labels["a"] = "c" }, Want: true},
		{Name: "Crossplane's pause", Edit: func(ws *tfv1beta1.Workspace) { ws.Annotations = map[string]string{tfv1beta1.AnnotationPaused: "true"} }, Want: true},
		{Name: "another annotation", Edit: func(ws *tfv1beta1.Workspace) { ws.Annotations = map[string]string{"a": "b"} }, Want: false},
		{Name: "deletion", Edit: func(ws *tfv1beta1.Workspace) { now := metav1.Now(); ws.DeletionTimestamp = &now }, Want: true},
	})
}
