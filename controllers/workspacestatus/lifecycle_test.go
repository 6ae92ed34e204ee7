package workspacestatus

import (
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	"github.com/prometheus/client_golang/prometheus/testutil"
	eventsv1 "k8s.io/api/events/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"
	"sigs.k8s.io/controller-runtime/pkg/client"

	controlplanev1beta1 "github.com/capt-controlplane/capt-controlplane/apis/controlplane/v1beta1"
	tfv1beta1 "github.com/capt-controlplane/capt-controlplane/apis/external/tf/v1beta1"
	infrastructurev1beta1 "github.com/capt-controlplane/capt-controlplane/apis/infrastructure/v1beta1"
	"github.com/capt-controlplane/capt-controlplane/test/testenv"
)

// history records every version of one control plane that a watch sees.
type history struct {
	mu       sync.Mutex
	versions []*controlplanev1beta1.CAPTControlPlane
	stop     func()
}

func watchHistory(t *testing.T, key types.NamespacedName) *history {
	t.Helper()
	wc, err := client.NewWithWatch(env.Config, client.Options{Scheme: env.Scheme})
	NewWithT(t).Expect(err).NotTo(HaveOccurred())
	w, err := wc.Watch(t.Context(), &controlplanev1beta1.CAPTControlPlaneList{}, client.InNamespace(key.Namespace),
		client.MatchingFieldsSelector{Selector: fields.OneTermEqualSelector("metadata.name", key.Name)})
	NewWithT(t).Expect(err).NotTo(HaveOccurred())
	h := &history{stop: w.Stop}
	go func() {
		for ev := range w.ResultChan() {
			if ev.Type != watch.Added && ev.Type != watch.Modified {
				continue
			}
			h.mu.Lock()
			h.versions = append(h.versions, ev.Object.(*controlplanev1beta1.CAPTControlPlane))
			h.mu.Unlock()
		}
	}()
	t.Cleanup(w.Stop)
	return h
}

func (h *history) snapshot() []*controlplanev1beta1.CAPTControlPlane {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]*controlplanev1beta1.CAPTControlPlane(nil), h.versions...)
}

// Rule 4 of docs/design.md: a Workspace whose atProvider is briefly empty never empties the
// mirror; ready and state still follow the Ready condition.
func TestGapNeverEmptiesTheMirror(t *testing.T) {
	g := NewWithT(t)
	first := atProviderJSON("c1", endpointOutputs)
	f := newFixture(t, "gap", first)
	f.waitMirror(t, true, "Available", first)
	h := watchHistory(t, f.cp)

	f.setWorkspaceStatus(t, "", tfv1beta1.ReasonUnavailable) // provider restart: no atProvider
	f.waitMirror(t, false, "Unavailable", first)
	second := atProviderJSON("c2", map[string]any{"cluster_endpoint": "https://new.eks.amazonaws.com"})
	f.setWorkspaceStatus(t, second, tfv1beta1.ReasonAvailable)
	f.waitMirror(t, true, "Available", second)

	versions := h.snapshot()
	g.Expect(len(versions)).To(BeNumerically(">=", 2))
	sawGapState := false
	for _, cp := range versions {
		ws := cp.Status.WorkspaceStatus
		g.Expect(ws).NotTo(BeNil(), "resourceVersion %s has no workspaceStatus", cp.ResourceVersion)
		g.Expect(ws.AtProvider).NotTo(BeNil(), "resourceVersion %s has no atProvider", cp.ResourceVersion)
		var v map[string]any
		g.Expect(json.Unmarshal(ws.AtProvider.Raw, &v)).To(Succeed())
		g.Expect(v).NotTo(BeEmpty(), "resourceVersion %s has an empty atProvider", cp.ResourceVersion)
		if ws.State == "Unavailable" {
			sawGapState = true
			g.Expect(testenv.JSONEqual(v, testenv.MustJSON(first))).To(BeTrue())
		}
	}
	g.Expect(sawGapState).To(BeTrue(), "the watch never saw the Unavailable state")
}

// A Workspace deleted for good leaves the last atProvider, with ready false
// and state Deleted.
func TestDeletedWorkspaceKeepsTheMirror(t *testing.T) {
	at := atProviderJSON("c1", endpointOutputs)
	f := newFixture(t, "deleted", at)
	f.waitMirror(t, true, "Available", at)
	NewWithT(t).Expect(env.Client.Delete(t.Context(), testenv.WorkspaceObject(f.workspace, nil))).To(Succeed())
	f.waitMirror(t, false, StateDeleted, at)
}

// Before its WorkspaceTemplateApply records status.workspaceName, the
// control plane's Workspace is the one the apply renders, by name
// (ownership.WorkspaceOf), when the apply rendered it (ownership.BoundTo);
// its events come through the labels the rendered Workspaces carry.
func TestWorkspaceFoundByRenderedName(t *testing.T) {
	g := NewWithT(t)
	at := atProviderJSON("c1", endpointOutputs)
	f := newControlPlane(t, "unrecorded")
	apply := &infrastructurev1beta1.WorkspaceTemplateApply{
		ObjectMeta: metav1.ObjectMeta{Name: f.cp.Name + "-eks-controlplane-apply", Namespace: ns},
		Spec:       infrastructurev1beta1.WorkspaceTemplateApplySpec{TemplateRef: infrastructurev1beta1.WorkspaceTemplateReference{Name: "eks-template"}},
	}
	g.Expect(env.Client.Create(t.Context(), apply)).To(Succeed())
	ws := &tfv1beta1.Workspace{
		ObjectMeta: metav1.ObjectMeta{Name: f.cp.Name + "-eks-controlplane", Labels: map[string]string{
			controlplanev1beta1.LabelControlPlaneNamespace: ns,
			controlplanev1beta1.LabelControlPlaneName:      f.cp.Name,
		}},
		Spec: tfv1beta1.WorkspaceSpec{ForProvider: tfv1beta1.WorkspaceParameters{Module: "m", Source: tfv1beta1.ModuleSourceInline}},
	}
	g.Expect(env.Client.Create(t.Context(), testenv.BindToApply(ws, apply))).To(Succeed())
	f.workspace = types.NamespacedName{Name: ws.Name}
	f.setWorkspaceStatus(t, at, tfv1beta1.ReasonAvailable)
	f.waitMirror(t, true, "Available", at)
}

// A Workspace whose labels name another control plane (the same
// cluster-scoped name picked in two namespaces) is never mirrored.
func TestForeignWorkspaceIsRefused(t *testing.T) {
	g := NewWithT(t)
	f := newControlPlane(t, "collision")
	f.createApply(t)
	ws := testenv.WorkspaceObject(f.workspace, map[string]string{
		controlplanev1beta1.LabelControlPlaneNamespace: "another-namespace",
		controlplanev1beta1.LabelControlPlaneName:      f.cp.Name,
	})
	g.Expect(env.Client.Create(t.Context(), ws)).To(Succeed())
	f.setWorkspaceStatus(t, atProviderJSON("c1", endpointOutputs), tfv1beta1.ReasonAvailable)

	g.Eventually(func() bool {
		list := &eventsv1.EventList{}
		g.Expect(env.Client.List(t.Context(), list, client.InNamespace(ns))).To(Succeed())
		for _, e := range list.Items {
			if e.Regarding.Name == f.cp.Name && e.Reason == ReasonWorkspaceOwnedElsewhere && e.Type == "Warning" {
				return true
			}
		}
		return false
	}, timeout, poll).Should(BeTrue())
	g.Expect(f.get(t).Status.WorkspaceStatus).To(BeNil())
}

// Rule 3 of docs/design.md: after convergence, a hundred unrelated events cause a hundred
// reconciles and not one write.
func TestSteadyStateSendsNothing(t *testing.T) {
	g := NewWithT(t)
	at := atProviderJSON("c1", endpointOutputs)
	f := newFixture(t, "steady", at)
	converged := f.waitMirror(t, true, "Available", at)
	// Let the events of the convergence itself drain.
	writesTo := func() int { return writesToControlPlane(f.cp.Name) }
	g.Consistently(writesTo, time.Second, 50*time.Millisecond).Should(Equal(writesTo()))
	writes := writesTo()

	for i := range 100 {
		skips := testutil.ToFloat64(skipsTotal)
		patch := fmt.Sprintf(`{"metadata":{"annotations":{"unrelated":"%d"}}}`, i)
		g.Expect(env.Client.Patch(t.Context(), testenv.WorkspaceObject(f.workspace, nil),
			client.RawPatch(types.MergePatchType, []byte(patch)))).To(Succeed())
		g.Eventually(func() float64 { return testutil.ToFloat64(skipsTotal) }, timeout, time.Millisecond).
			Should(BeNumerically(">", skips), "event %d was not reconciled", i)
	}
	g.Expect(writesTo()).To(Equal(writes), "the controller wrote in steady state")
	g.Expect(f.get(t).ResourceVersion).To(Equal(converged.ResourceVersion))
}

// Rule 6 of docs/design.md: an object whose status an older CAPT wrote with Status().Update
// (manager "manager") is migrated once: capt-workspace-status owns
// workspaceStatus alone, the other status fields go to capt-controlplane,
// and an output removed from the Workspace disappears from the mirror.
func TestMigrationOfLegacyStatusOwner(t *testing.T) {
	g := NewWithT(t)
	migrations := testutil.ToFloat64(migrationsTotal)
	f := newControlPlane(t, "legacy")
	legacy := f.get(t)
	legacy.Status = controlplanev1beta1.CAPTControlPlaneStatus{
		Ready: true, Initialized: true, Phase: controlplanev1beta1.PhaseReady,
		WorkspaceStatus: &controlplanev1beta1.WorkspaceStatus{Ready: true, State: "Available",
			AtProvider: &runtime.RawExtension{Raw: []byte(atProviderJSON("c0", map[string]any{"a": "1", "b": "2"}))}},
	}
	g.Expect(env.Client.Status().Update(t.Context(), legacy, client.FieldOwner("manager"))).To(Succeed())

	f.createApply(t)
	only := atProviderJSON("c1", map[string]any{"a": "1"})
	f.createWorkspace(t, only, tfv1beta1.ReasonAvailable)
	cp := f.waitMirror(t, true, "Available", only)

	g.Expect(testutil.ToFloat64(migrationsTotal)).To(BeNumerically(">", migrations))
	for _, e := range cp.ManagedFields {
		g.Expect(e.Operation == metav1.ManagedFieldsOperationUpdate && e.Subresource == "status").To(BeFalse(),
			"Update entry of %s still owns status fields", e.Manager)
	}
	g.Expect(testenv.SummarizeManager(cp, "capt-controlplane")).To(Equal([]testenv.Entry{{
		Manager: "capt-controlplane", Operation: metav1.ManagedFieldsOperationApply, Subresource: "status",
		FieldsV1: testenv.MustJSON(`{"f:status":{"f:initialized":{},"f:phase":{},"f:ready":{},"f:secretsReady":{}}}`),
	}}))
	g.Expect(cp.Status.Ready).To(BeTrue())
	g.Expect(cp.Status.Phase).To(Equal(controlplanev1beta1.PhaseReady))
}

// A legacy Update entry left owning only the workspaceStatus node (an Update
// that created the node, whose fields a forced apply then took: seen in the
// chaos run) is a share of status.workspaceStatus: the migration drops it.
func TestMigrationDropsALegacyShareOfTheNode(t *testing.T) {
	g := NewWithT(t)
	at := atProviderJSON("c1", endpointOutputs)
	f := newFixture(t, "node-share", at)
	f.waitMirror(t, true, "Available", at)

	entry := metav1.ManagedFieldsEntry{
		Manager: "kubectl-edit", Operation: metav1.ManagedFieldsOperationUpdate, APIVersion: controlplanev1beta1.GroupVersion.String(),
		Subresource: "status", FieldsType: "FieldsV1", FieldsV1: metav1.NewFieldsV1(`{"f:status":{"f:workspaceStatus":{}}}`),
	}
	patch, err := json.Marshal([]map[string]any{{"op": "add", "path": "/metadata/managedFields/-", "value": entry}})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(env.Client.Patch(t.Context(), f.get(t), client.RawPatch(types.JSONPatchType, patch))).To(Succeed())

	g.Eventually(func(g Gomega) {
		cp := f.get(t)
		for _, e := range cp.ManagedFields {
			g.Expect(e.Manager).NotTo(Equal("kubectl-edit"), "the legacy share of the node is still there")
		}
		g.Expect(testenv.SummarizeManager(cp, FieldManager)).To(Equal([]testenv.Entry{ownedEntry(true)}))
	}, timeout, poll).Should(Succeed())
	g.Expect(testenv.JSONEqual(liveMirror(f.get(t)), map[string]any{"ready": true, "state": "Available", "atProvider": testenv.MustJSON(at)})).To(BeTrue())
}

// One change, one apply, however many events follow it: a burst of
// Workspace events right after a change queues the control plane again
// while the apply's echo is still on its way to the cache. The manager's
// reads wait for its own writes (read-your-writes consistency, in
// internal/manager); without that wait the next reconcile reads the version
// from before the apply and sends the same apply again.
func TestOneApplyWhileTheEchoIsOnItsWay(t *testing.T) {
	g := NewWithT(t)
	first := atProviderJSON("e1", endpointOutputs)
	f := newFixture(t, "echo", first)
	f.waitMirror(t, true, "Available", first)
	writesTo := func() int { return writesToControlPlane(f.cp.Name) }
	g.Consistently(writesTo, time.Second, 50*time.Millisecond).Should(Equal(writesTo()))

	for round := range 5 {
		writes := writesTo()
		next := atProviderJSON(fmt.Sprintf("e%d", round+2), endpointOutputs)
		f.setWorkspaceStatus(t, next, tfv1beta1.ReasonAvailable)
		for i := range 20 {
			patch := fmt.Sprintf(`{"metadata":{"annotations":{"burst":"%d-%d"}}}`, round, i)
			g.Expect(env.Client.Patch(t.Context(), testenv.WorkspaceObject(f.workspace, nil),
				client.RawPatch(types.MergePatchType, []byte(patch)))).To(Succeed())
		}
		f.waitMirror(t, true, "Available", next)
		g.Consistently(writesTo, 500*time.Millisecond, 50*time.Millisecond).Should(Equal(writes+1), "round %d", round)
	}
}
