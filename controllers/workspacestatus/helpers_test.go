package workspacestatus

import (
	"encoding/json"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	eventsv1 "k8s.io/api/events/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	controlplanev1beta1 "github.com/capt-controlplane/capt-controlplane/apis/controlplane/v1beta1"
	tfv1beta1 "github.com/capt-controlplane/capt-controlplane/apis/external/tf/v1beta1"
	infrastructurev1beta1 "github.com/capt-controlplane/capt-controlplane/apis/infrastructure/v1beta1"
	"github.com/capt-controlplane/capt-controlplane/test/testenv"
)

const (
	ns      = "default"
	timeout = 20 * time.Second
	poll    = 20 * time.Millisecond
)

// fixture is a control plane with its WorkspaceTemplateApply and Workspace,
// linked the way existing CAPT links them. The test plays the other
// controllers and provider-terraform.
type fixture struct {
	cp types.NamespacedName
	// workspace is of the tests' scope (testenv.WorkspaceScope).
	workspace types.NamespacedName
}

// newControlPlane creates the control plane only.
func newControlPlane(t testing.TB, name string) fixture {
	t.Helper()
	cp := &controlplanev1beta1.CAPTControlPlane{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Spec: controlplanev1beta1.CAPTControlPlaneSpec{
			Version:              "1.31",
			WorkspaceTemplateRef: controlplanev1beta1.WorkspaceTemplateReference{Name: "eks-template"},
			ControlPlaneConfig:   &controlplanev1beta1.ControlPlaneConfig{Region: "ap-northeast-1"},
		},
	}
	NewWithT(t).Expect(env.Client.Create(t.Context(), cp, client.FieldOwner("test-user"))).To(Succeed())
	return fixture{cp: client.ObjectKeyFromObject(cp), workspace: testenv.WorkspaceKey(ns, name+"-eks-controlplane")}
}

// newFixture creates the control plane, its apply (status.workspaceName set
// as the apply controller does) and a Workspace with the given atProvider.
func newFixture(t testing.TB, name, atProvider string) fixture {
	t.Helper()
	f := newControlPlane(t, name)
	f.createApply(t)
	f.createWorkspace(t, atProvider, "Available")
	return f
}

func (f fixture) createApply(t testing.TB) {
	t.Helper()
	g := NewWithT(t)
	apply := &infrastructurev1beta1.WorkspaceTemplateApply{
		ObjectMeta: metav1.ObjectMeta{Name: f.cp.Name + "-eks-controlplane-apply", Namespace: ns},
		Spec:       infrastructurev1beta1.WorkspaceTemplateApplySpec{TemplateRef: infrastructurev1beta1.WorkspaceTemplateReference{Name: "eks-template"}},
	}
	g.Expect(env.Client.Create(t.Context(), apply)).To(Succeed())
	apply.Status.WorkspaceName = f.workspace.Name
	apply.Status.WorkspaceNamespace = f.workspace.Namespace
	g.Expect(env.Client.Status().Update(t.Context(), apply)).To(Succeed())
}

// createWorkspace creates the Workspace as the apply controller renders it
// for the control plane's apply.
func (f fixture) createWorkspace(t testing.TB, atProvider, readyReason string) {
	t.Helper()
	g := NewWithT(t)
	apply := &infrastructurev1beta1.WorkspaceTemplateApply{}
	g.Expect(env.Client.Get(t.Context(), types.NamespacedName{Namespace: ns, Name: f.cp.Name + "-eks-controlplane-apply"}, apply)).To(Succeed())
	g.Expect(env.Client.Create(t.Context(), testenv.BindToApply(testenv.WorkspaceObject(f.workspace, nil), apply))).To(Succeed())
	f.setWorkspaceStatus(t, atProvider, readyReason)
}

// setWorkspaceStatus plays provider-terraform (testenv.ProvideObservation).
// An empty atProvider is a gap.
func (f fixture) setWorkspaceStatus(t testing.TB, atProvider, readyReason string) {
	t.Helper()
	g := NewWithT(t)
	var observation *runtime.RawExtension
	if atProvider != "" {
		observation = &runtime.RawExtension{Raw: []byte(atProvider)}
	}
	g.Expect(testenv.ProvideObservation(t.Context(), env.Client, f.workspace, observation,
		readyReason == tfv1beta1.ReasonAvailable, readyReason, nil)).To(Succeed())
}

func (f fixture) get(t testing.TB) *controlplanev1beta1.CAPTControlPlane {
	t.Helper()
	cp := &controlplanev1beta1.CAPTControlPlane{}
	NewWithT(t).Expect(env.Client.Get(t.Context(), f.cp, cp)).To(Succeed())
	return cp
}

// liveMirror returns the live workspaceStatus as generic JSON (nil if absent).
func liveMirror(cp *controlplanev1beta1.CAPTControlPlane) map[string]any {
	if cp.Status.WorkspaceStatus == nil {
		return nil
	}
	var out map[string]any
	raw, _ := json.Marshal(cp.Status.WorkspaceStatus)
	_ = json.Unmarshal(raw, &out)
	return out
}

// waitMirror waits until the live workspaceStatus is exactly
// {ready, state, atProvider} and owned by FieldManager alone.
func (f fixture) waitMirror(t testing.TB, ready bool, state, atProvider string) *controlplanev1beta1.CAPTControlPlane {
	t.Helper()
	want := map[string]any{"ready": ready, "state": state}
	if atProvider != "" {
		want["atProvider"] = testenv.MustJSON(atProvider)
	}
	var cp *controlplanev1beta1.CAPTControlPlane
	NewWithT(t).Eventually(func(g Gomega) {
		cp = f.get(t)
		g.Expect(testenv.JSONEqual(liveMirror(cp), want)).To(BeTrue(), "mirror is %v, want %v", liveMirror(cp), want)
		g.Expect(testenv.SummarizeManager(cp, FieldManager)).To(Equal([]testenv.Entry{ownedEntry(atProvider != "")}))
	}, timeout, poll).Should(Succeed())
	return cp
}

// ownedEntry is the exact managedFields entry of FieldManager.
func ownedEntry(withAtProvider bool) testenv.Entry {
	fields := testenv.WorkspaceStatusFieldsBeforeObservation
	if withAtProvider {
		fields = testenv.WorkspaceStatusFields
	}
	return testenv.Entry{Manager: FieldManager, Operation: metav1.ManagedFieldsOperationApply, Subresource: "status", FieldsV1: testenv.MustJSON(fields)}
}

// restoredEvents counts the WorkspaceStatusRestored Events of a control plane.
func (f fixture) restoredEvents(t testing.TB) int {
	t.Helper()
	n := 0
	for _, e := range f.events(t, ReasonWorkspaceStatusRestored) {
		n++
		if e.DeprecatedCount > 1 {
			n += int(e.DeprecatedCount) - 1
		}
		if e.Series != nil {
			n += int(e.Series.Count) - 1
		}
	}
	return n
}

// events are the Events with reason about the control plane.
func (f fixture) events(t testing.TB, reason string) []eventsv1.Event {
	t.Helper()
	events, err := testenv.Events(t.Context(), env.Client, ns, f.cp.Name, reason)
	NewWithT(t).Expect(err).NotTo(HaveOccurred())
	return events
}

func atProviderJSON(checksum string, outputs map[string]any) string {
	raw, err := json.Marshal(map[string]any{"checksum": checksum, "outputs": outputs})
	if err != nil {
		panic(err)
	}
	return string(raw)
}
