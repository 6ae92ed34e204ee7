package workspacestatus

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/metrics"

	controlplanev1beta1 "github.com/capt-controlplane/capt-controlplane/apis/controlplane/v1beta1"
	tfv1beta1 "github.com/capt-controlplane/capt-controlplane/apis/external/tf/v1beta1"
	"github.com/capt-controlplane/capt-controlplane/test/testenv"
)

// Bad input: a Workspace atProvider that is not an object, or too large to
// mirror. Each gives a Warning Event naming the control plane, the Workspace
// and the reason; the reconcile is retried with backoff, not in a loop; the
// mirrored atProvider stays; ready and state still follow the Workspace;
// other control planes keep converging.

// TestNonObjectAtProviderIsRefused writes a string, a number, a list and
// null as the Workspace's atProvider. provider-terraform's CRD types
// atProvider as an object, so the API server refuses the first three; the
// test then loosens the CRD, as a different provider version might, to get
// them stored and read by the controller.
func TestNonObjectAtProviderIsRefused(t *testing.T) {
	good := atProviderJSON("good-1", map[string]any{"cluster_endpoint": "https://good"})
	f := newFixture(t, "bad-type", good)
	f.waitMirror(t, true, tfv1beta1.ReasonAvailable, good)
	neighbour := newFixture(t, "bad-type-neighbour", atProviderJSON("n-0", map[string]any{"n": 0}))

	err := f.setRawAtProvider(t, `"oops"`, "Available")
	NewWithT(t).Expect(err).To(HaveOccurred(), "the API server accepted a string atProvider under the object schema")
	NewWithT(t).Expect(err.Error()).To(ContainSubstring("status.atProvider"))

	loosenAtProviderSchema(t, f.workspace)
	for i, bad := range []struct{ raw, kind string }{
		{`"oops"`, "a string"},
		{`42`, "a number"},
		{`[{"checksum":"x"}]`, "a list"},
	} {
		t.Run(bad.kind, func(t *testing.T) {
			g := NewWithT(t)
			// Ready flips each round, so ready and state must follow.
			reason := []string{"Unavailable", "Available"}[i%2]
			g.Eventually(func() error { return f.setRawAtProvider(t, bad.raw, reason) }, timeout, poll).Should(Succeed())
			g.Eventually(func() []string { return f.eventNotes(t, ReasonInvalidAtProvider) }, timeout, poll).Should(ContainElement(And(
				ContainSubstring("workspace "+tfv1beta1.NameOf(testenv.WorkspaceObject(f.workspace, nil))), ContainSubstring(bad.kind))))
			f.waitMirror(t, reason == "Available", reason, good)
			expectBackoff(t, f, i == 0)
			neighbourKeepsConverging(t, neighbour, fmt.Sprintf("n-%d", i+1))
			f.clearEvents(t, ReasonInvalidAtProvider)
		})
	}

	t.Run("null", func(t *testing.T) {
		g := NewWithT(t)
		g.Eventually(func() error { return f.setRawAtProvider(t, `null`, "Unavailable") }, timeout, poll).Should(Succeed())
		f.waitMirror(t, false, "Unavailable", good) // a gap: the last atProvider stays
		f.clearEvents(t, ReasonInvalidAtProvider)
		g.Consistently(func() []string { return f.eventNotes(t, ReasonInvalidAtProvider) }, time.Second, 100*time.Millisecond).Should(BeEmpty())
	})

	// A valid observation is mirrored again.
	fresh := atProviderJSON("good-2", map[string]any{"cluster_endpoint": "https://good"})
	f.setWorkspaceStatus(t, fresh, "Available")
	f.waitMirror(t, true, "Available", fresh)
}

// TestUndeclaredAtProviderFieldsAreMirrored: the mirror is the Workspace's
// atProvider as the provider wrote it, every field whether or not a Go type
// of this project declares it: provider-terraform v1's remoteSource (which
// its CRD serves), a field a later provider might add and outputs that are
// not an object (on a CRD loosened as such a provider's would be). Each
// replaces the last mirror whole, with no refusal.
func TestUndeclaredAtProviderFieldsAreMirrored(t *testing.T) {
	first := atProviderJSON("c-1", map[string]any{"cluster_endpoint": "https://undeclared"})
	f := newFixture(t, "undeclared", first)
	f.waitMirror(t, true, tfv1beta1.ReasonAvailable, first)

	// provider-terraform v1's CRD serves remoteSource (v0's prunes it).
	if testenv.ProviderTerraformGeneration() != "v0" {
		remote := `{"checksum":"c-2","outputs":{"cluster_endpoint":"https://undeclared"},"remoteSource":"git::https://example.com/eks.git?ref=v2"}`
		f.setWorkspaceStatus(t, remote, tfv1beta1.ReasonAvailable)
		f.waitMirror(t, true, tfv1beta1.ReasonAvailable, remote)
	}

	loosenAtProviderSchema(t, f.workspace)
	for _, raw := range []string{
		`{"checksum":"c-3","remoteSource":"git::https://example.com/eks.git?ref=v3","invented":{"a":[1,{"b":false}],"z":0}}`,
		`{"checksum":"c-4","outputs":"not-an-object"}`,
	} {
		// Until the API server serves the loosened schema, it prunes what
		// the old one does not declare: write again until it keeps it all.
		NewWithT(t).Eventually(func(g Gomega) {
			g.Expect(f.setRawAtProvider(t, raw, tfv1beta1.ReasonAvailable)).To(Succeed())
			ws, err := testenv.GetWorkspace(t.Context(), env.Client, f.workspace)
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(string(ws.Observed().AtProvider.Raw)).To(MatchJSON(raw))
		}, timeout, poll).Should(Succeed())
		f.waitMirror(t, true, tfv1beta1.ReasonAvailable, raw)
	}
	NewWithT(t).Expect(f.eventNotes(t, ReasonInvalidAtProvider)).To(BeEmpty())
}

// TestOversizedAtProviderIsRefused: an atProvider over the limit (1 MiB by
// default) is not sent.
func TestOversizedAtProviderIsRefused(t *testing.T) {
	g := NewWithT(t)
	good := atProviderJSON("small", map[string]any{"cluster_endpoint": "https://small"})
	f := newFixture(t, "too-large", good)
	f.waitMirror(t, true, "Available", good)
	neighbour := newFixture(t, "too-large-neighbour", atProviderJSON("n-0", map[string]any{"n": 0}))

	huge := atProviderJSON("huge", map[string]any{"blob": strings.Repeat("x", DefaultMaxAtProviderBytes+1024)})
	f.setWorkspaceStatus(t, huge, "Creating")
	g.Eventually(func() []string { return f.eventNotes(t, ReasonAtProviderTooLarge) }, timeout, poll).Should(ContainElement(And(
		ContainSubstring("workspace "+tfv1beta1.NameOf(testenv.WorkspaceObject(f.workspace, nil))), ContainSubstring(fmt.Sprintf("over the limit of %d", DefaultMaxAtProviderBytes)))))
	f.waitMirror(t, false, "Creating", good)
	expectBackoff(t, f, true)
	neighbourKeepsConverging(t, neighbour, "n-1")
}

// TestMirrorTheServerRefusesKeepsTheOldOne: an atProvider under the limit
// that would still make the control plane larger than etcd takes (1.5 MiB):
// the API server refuses the apply, the object keeps its mirror, and the
// refusal is an Event.
func TestMirrorTheServerRefusesKeepsTheOldOne(t *testing.T) {
	g := NewWithT(t)
	good := atProviderJSON("small", map[string]any{"cluster_endpoint": "https://small"})
	f := newFixture(t, "server-refuses", good)
	f.waitMirror(t, true, "Available", good)
	neighbour := newFixture(t, "server-refuses-neighbour", atProviderJSON("n-0", map[string]any{"n": 0}))

	// 600 KiB of tags on the control plane, then a 1000 KB atProvider.
	g.Eventually(func() error {
		cp := f.get(t)
		cp.Spec.AdditionalTags = map[string]string{}
		for i := range 6 {
			cp.Spec.AdditionalTags[fmt.Sprintf("bulk-%d", i)] = strings.Repeat("t", 100<<10)
		}
		return env.Client.Update(t.Context(), cp)
	}, timeout, poll).Should(Succeed())
	big := atProviderJSON("big", map[string]any{"blob": strings.Repeat("y", 1_000_000)})
	f.setWorkspaceStatus(t, big, "Available")

	g.Eventually(func() []string { return f.eventNotes(t, ReasonWorkspaceStatusRejected) }, timeout, poll).Should(ContainElement(
		ContainSubstring("the API server refused status.workspaceStatus")))
	g.Consistently(func(g Gomega) {
		g.Expect(mirroredChecksum(f.get(t))).To(Equal("small"))
	}, time.Second, 100*time.Millisecond).Should(Succeed())
	expectBackoff(t, f, false)
	neighbourKeepsConverging(t, neighbour, "n-1")
}

// setRawAtProvider writes raw JSON as the Workspace's status.atProvider
// with a Ready condition of the given reason, bypassing the typed client.
func (f fixture) setRawAtProvider(t testing.TB, raw, readyReason string) error {
	t.Helper()
	ws := &unstructured.Unstructured{}
	gvk, err := env.Client.GroupVersionKindFor(testenv.NewWorkspace(f.workspace))
	if err != nil {
		return err
	}
	ws.SetGroupVersionKind(gvk)
	if err := env.Client.Get(t.Context(), f.workspace, ws); err != nil {
		return err
	}
	var atProvider any
	if err := json.Unmarshal([]byte(raw), &atProvider); err != nil {
		return err
	}
	status := "False"
	if readyReason == tfv1beta1.ReasonAvailable {
		status = "True"
	}
	ws.Object["status"] = map[string]any{
		"atProvider": atProvider,
		"conditions": []any{map[string]any{
			"type": "Ready", "status": status, "reason": readyReason, "lastTransitionTime": time.Now().UTC().Format(time.RFC3339),
		}},
	}
	return env.Client.Status().Update(t.Context(), ws)
}

// loosenAtProviderSchema makes the CRD of workspace's kind accept any JSON as
// status.atProvider until the test ends.
func loosenAtProviderSchema(t *testing.T, workspace types.NamespacedName) {
	t.Helper()
	g := NewWithT(t)
	key := types.NamespacedName{Name: testenv.WorkspaceCRD(workspace)}
	crd := &apiextensionsv1.CustomResourceDefinition{}
	g.Expect(env.Client.Get(t.Context(), key, crd)).To(Succeed())
	status := crd.Spec.Versions[0].Schema.OpenAPIV3Schema.Properties["status"]
	original := status.Properties["atProvider"]
	preserve := true
	status.Properties["atProvider"] = apiextensionsv1.JSONSchemaProps{XPreserveUnknownFields: &preserve}
	crd.Spec.Versions[0].Schema.OpenAPIV3Schema.Properties["status"] = status
	g.Expect(env.Client.Update(t.Context(), crd)).To(Succeed())

	t.Cleanup(func() {
		g := NewWithT(t)
		g.Eventually(func() error {
			crd := &apiextensionsv1.CustomResourceDefinition{}
			if err := env.Client.Get(context.Background(), key, crd); err != nil {
				return err
			}
			status := crd.Spec.Versions[0].Schema.OpenAPIV3Schema.Properties["status"]
			status.Properties["atProvider"] = original
			crd.Spec.Versions[0].Schema.OpenAPIV3Schema.Properties["status"] = status
			return env.Client.Update(context.Background(), crd) // t.Context() is done in cleanups
		}, timeout, poll).Should(Succeed())
	})
}

// eventNotes are the notes of the Warning Events with reason about the
// control plane.
func (f fixture) eventNotes(t testing.TB, reason string) []string {
	t.Helper()
	var notes []string
	for _, e := range f.events(t, reason) {
		if e.Type != "Warning" {
			t.Fatalf("event %s is %s, want Warning", reason, e.Type)
		}
		notes = append(notes, e.Note)
	}
	return notes
}

func (f fixture) clearEvents(t testing.TB, reason string) {
	t.Helper()
	for _, e := range f.events(t, reason) {
		NewWithT(t).Expect(client.IgnoreNotFound(env.Client.Delete(t.Context(), &e))).To(Succeed())
	}
}

// expectBackoff checks that f's failing reconcile is retried with
// controller-runtime's per-object exponential backoff and not in a loop of
// its own: the reconcile returns its error and asks for no requeue, and
// (fresh: the object's first failures, 5 ms apart and doubling) the retries
// come without a write to the object, which would queue it again at once.
func expectBackoff(t testing.TB, f fixture, fresh bool) {
	t.Helper()
	g := NewWithT(t)
	r := &Reconciler{Client: env.Client, Recorder: events.NewFakeRecorder(10)}
	result, err := r.Reconcile(t.Context(), ctrl.Request{NamespacedName: f.cp})
	g.Expect(err).To(HaveOccurred(), "a refused mirror must fail the reconcile, so that it is retried with backoff")
	g.Expect(result).To(Equal(ctrl.Result{}), "no requeue of its own: the backoff is the workqueue's")
	if !fresh {
		return
	}
	before, writes := reconcileErrors(t), writesToControlPlane(f.cp.Name)
	g.Eventually(func() float64 { return reconcileErrors(t) }, timeout, poll).Should(BeNumerically(">=", before+2), "the failing reconcile is not retried")
	g.Expect(writesToControlPlane(f.cp.Name)).To(Equal(writes), "a failing reconcile wrote to the control plane")
}

// reconcileErrors is controller-runtime's count of this controller's failed
// reconciles, from its registry.
func reconcileErrors(t testing.TB) float64 {
	t.Helper()
	families, err := metrics.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != "controller_runtime_reconcile_errors_total" {
			continue
		}
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "controller" && l.GetValue() == ControllerName {
					return m.GetCounter().GetValue()
				}
			}
		}
	}
	return 0
}

// neighbourKeepsConverging changes another control plane's Workspace and
// waits for its mirror.
func neighbourKeepsConverging(t testing.TB, n fixture, checksum string) {
	t.Helper()
	at := atProviderJSON(checksum, map[string]any{"n": checksum})
	n.setWorkspaceStatus(t, at, "Available")
	n.waitMirror(t, true, "Available", at)
}

func mirroredChecksum(cp *controlplanev1beta1.CAPTControlPlane) string {
	if cp.Status.WorkspaceStatus == nil || cp.Status.WorkspaceStatus.AtProvider == nil {
		return ""
	}
	var v struct {
		Checksum string `json:"checksum"`
	}
	_ = json.Unmarshal(cp.Status.WorkspaceStatus.AtProvider.Raw, &v)
	return v.Checksum
}
