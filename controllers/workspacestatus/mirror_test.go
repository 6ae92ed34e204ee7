package workspacestatus

import (
	"encoding/json"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	controlplanev1beta1 "github.com/capt-controlplane/capt-controlplane/apis/controlplane/v1beta1"
	tfv1beta1 "github.com/capt-controlplane/capt-controlplane/apis/external/tf/v1beta1"
	cpac "github.com/capt-controlplane/capt-controlplane/applyconfig/controlplane/controlplane/v1beta1"
	"github.com/capt-controlplane/capt-controlplane/test/testenv"
)

var endpointOutputs = map[string]any{"cluster_endpoint": "https://abc.eks.amazonaws.com", "cluster_name": "x"}

// Rule 1 of docs/design.md: the mirror is one apply under FieldManager that owns exactly
// status.workspaceStatus, and the first apply on a fresh object with an
// empty status succeeds.
func TestManagedFieldsAfterMirror(t *testing.T) {
	at := atProviderJSON("c1", endpointOutputs)
	f := newFixture(t, "mf", at)
	cp := f.waitMirror(t, true, "Available", at)
	g := NewWithT(t)
	g.Expect(testenv.SummarizeManager(cp, FieldManager)).To(Equal([]testenv.Entry{ownedEntry(true)}))
	// No other manager owns anything of status.
	for _, e := range testenv.Summarize(cp) {
		if e.Manager != FieldManager {
			g.Expect(e.FieldsV1).NotTo(HaveKey("f:status"), "manager %s", e.Manager)
		}
	}
}

// Rule 5 of docs/design.md: hostile writers that change or remove workspaceStatus are repaired
// on the next watch event, with an Event.
func TestRestoresAfterHostileWrites(t *testing.T) {
	at := atProviderJSON("c1", endpointOutputs)
	hostile := map[string]func(t *testing.T, f fixture){
		"full status update without workspaceStatus": func(t *testing.T, f fixture) {
			cp := f.get(t)
			cp.Status.WorkspaceStatus = nil
			cp.Status.Phase = controlplanev1beta1.PhaseCreating
			NewWithT(t).Expect(env.Client.Status().Update(t.Context(), cp, client.FieldOwner("stale-writer"))).To(Succeed())
		},
		"merge patch to null": func(t *testing.T, f fixture) {
			cp := f.get(t)
			NewWithT(t).Expect(env.Client.Status().Patch(t.Context(), cp,
				client.RawPatch(types.MergePatchType, []byte(`{"status":{"workspaceStatus":null}}`)),
				client.FieldOwner("merge-patcher"))).To(Succeed())
		},
		"update of one output": func(t *testing.T, f fixture) {
			cp := f.get(t)
			var v map[string]any
			NewWithT(t).Expect(json.Unmarshal(cp.Status.WorkspaceStatus.AtProvider.Raw, &v)).To(Succeed())
			v["outputs"].(map[string]any)["cluster_endpoint"] = "https://evil.example.com"
			raw, _ := json.Marshal(v)
			cp.Status.WorkspaceStatus.AtProvider = &runtime.RawExtension{Raw: raw}
			NewWithT(t).Expect(env.Client.Status().Update(t.Context(), cp, client.FieldOwner("stale-writer"))).To(Succeed())
		},
	}
	i := 0
	for name, write := range hostile {
		i++
		t.Run(name, func(t *testing.T) {
			f := newFixture(t, "hostile-"+string(rune('a'+i)), at)
			f.waitMirror(t, true, "Available", at)
			before := f.restoredEvents(t)
			write(t, f)
			f.waitMirror(t, true, "Available", at)
			NewWithT(t).Eventually(func() int { return f.restoredEvents(t) }, timeout, poll).Should(BeNumerically(">", before))
		})
	}
}

// Rule 1 of docs/design.md and the atomic atProvider: another manager cannot change it without
// force; with force it wins for a moment and the controller takes it back.
func TestForeignApplyConflictsAndIsTakenBack(t *testing.T) {
	g := NewWithT(t)
	at := atProviderJSON("c1", endpointOutputs)
	f := newFixture(t, "foreign-apply", at)
	f.waitMirror(t, true, "Available", at)

	foreign := func() *cpac.CAPTControlPlaneApplyConfiguration {
		return cpac.CAPTControlPlane(f.cp.Name, f.cp.Namespace).WithStatus(cpac.CAPTControlPlaneStatus().WithWorkspaceStatus(
			cpac.WorkspaceStatus().WithAtProvider(runtime.RawExtension{Raw: []byte(`{"checksum":"forged"}`)})))
	}
	err := env.Client.Status().Apply(t.Context(), foreign(), client.FieldOwner("someone-else"))
	g.Expect(apierrors.IsConflict(err)).To(BeTrue(), "want Conflict, got %v", err)
	g.Expect(err.Error()).To(ContainSubstring(`conflict with "capt-workspace-status"`))

	g.Expect(env.Client.Status().Apply(t.Context(), foreign(), client.FieldOwner("someone-else"), client.ForceOwnership)).To(Succeed())
	cp := f.waitMirror(t, true, "Available", at)
	g.Expect(testenv.SummarizeManager(cp, "someone-else")).To(BeEmpty())
}

// Writes to the main resource cannot touch status: an Update that carries a
// zeroed status leaves it as it was.
func TestMainResourceUpdateLeavesStatus(t *testing.T) {
	g := NewWithT(t)
	at := atProviderJSON("c1", endpointOutputs)
	f := newFixture(t, "main-update", at)
	before := f.waitMirror(t, true, "Available", at)
	restores := f.restoredEvents(t)

	cp := before.DeepCopy()
	cp.Status = controlplanev1beta1.CAPTControlPlaneStatus{}
	cp.Spec.AdditionalTags = map[string]string{"touched": "yes"}
	g.Expect(env.Client.Update(t.Context(), cp, client.FieldOwner("spec-writer"))).To(Succeed())
	g.Expect(cp.Status.WorkspaceStatus).NotTo(BeNil(), "the update response lost the status")
	g.Expect(liveMirror(cp)).To(Equal(liveMirror(before)))
	g.Expect(cp.Generation).To(Equal(before.Generation + 1))
	g.Consistently(func() int { return f.restoredEvents(t) }, time.Second, 100*time.Millisecond).Should(Equal(restores))
}

// Rule 2 of docs/design.md: the mirror follows every change, and a removed key disappears.
func TestMirrorFollowsOutputs(t *testing.T) {
	f := newFixture(t, "follows", atProviderJSON("c0", map[string]any{"a": "1"}))
	steps := []map[string]any{
		{"a": "1", "b": 2},       // add
		{"a": "changed", "b": 2}, // change
		{"b": 2},                 // remove
		{"b": 2.5, "nested": map[string]any{"x": []any{1, "two", true, nil}}}, // nested, list, number, null
		{"flag": false, "list": []any{map[string]any{"k": "v"}}},              // bool, list of objects
	}
	for i, outputs := range steps {
		at := atProviderJSON("c"+string(rune('1'+i)), outputs)
		f.setWorkspaceStatus(t, at, tfv1beta1.ReasonAvailable)
		f.waitMirror(t, true, "Available", at)
	}
	// The Ready condition drives ready and state.
	last := atProviderJSON("c5", steps[len(steps)-1])
	f.setWorkspaceStatus(t, last, tfv1beta1.ReasonCreating)
	f.waitMirror(t, false, "Creating", last)
}
