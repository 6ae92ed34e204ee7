package lifecycle

import (
	"testing"
	"time"

	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"

	controlplanev1beta1 "github.com/capt-controlplane/capt-controlplane/apis/controlplane/v1beta1"
	tfv1beta1 "github.com/capt-controlplane/capt-controlplane/apis/external/tf/v1beta1"
	infrastructurev1beta1 "github.com/capt-controlplane/capt-controlplane/apis/infrastructure/v1beta1"
	"github.com/capt-controlplane/capt-controlplane/test/testenv"
)

// held is how long a test watches for an action that must not happen.
const held = 2 * time.Second

func waitPausedCondition(t *testing.T, cp *controlplanev1beta1.CAPTControlPlane, paused bool) {
	t.Helper()
	want := map[bool]metav1.ConditionStatus{true: metav1.ConditionTrue, false: metav1.ConditionFalse}[paused]
	waitCondition(t, cp, controlplanev1beta1.ConditionPaused, func(g Gomega, c *metav1.Condition) { g.Expect(c.Status).To(Equal(want)) })
}

// A paused control plane that is deleted keeps its apply and Workspace
// (against real provider-terraform, deleting the Workspace is terraform
// destroy) until it is unpaused.
func TestPausedControlPlaneDeletionWaits(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t, "paused-deletion")
	newTemplate(t, ns, "eks")
	cp := newControlPlane(t, ns, "moving", newCluster(t, ns, "moving"))
	ws := waitWorkspace(t, ns, "moving-eks-controlplane")
	applyKey := types.NamespacedName{Namespace: ns, Name: "moving-eks-controlplane-apply"}

	mergePatch(t, cp, `{"metadata":{"annotations":{"cluster.x-k8s.io/paused":""}}}`)
	waitPausedCondition(t, cp, true)
	g.Expect(env.Client.Delete(t.Context(), cp)).To(Succeed())
	g.Consistently(func(g Gomega) {
		apply := get(g, applyKey, &infrastructurev1beta1.WorkspaceTemplateApply{})
		g.Expect(apply.DeletionTimestamp.IsZero()).To(BeTrue(), "the apply was deleted while paused")
		g.Expect(getWorkspace(g, ws).GetDeletionTimestamp().IsZero()).To(BeTrue())
	}, held, poll).Should(Succeed())

	mergePatch(t, cp, `{"metadata":{"annotations":{"cluster.x-k8s.io/paused":null}}}`)
	g.Eventually(func() error {
		return env.Client.Get(t.Context(), client.ObjectKeyFromObject(ws), testenv.NewWorkspace(client.ObjectKeyFromObject(ws)))
	}, timeout, poll).ShouldNot(Succeed(), "unpaused, the deletion goes on")
	g.Eventually(func() error {
		return env.Client.Get(t.Context(), client.ObjectKeyFromObject(cp), &controlplanev1beta1.CAPTControlPlane{})
	}, timeout, poll).ShouldNot(Succeed())
}

// A paused Cluster holds its applies too: a template change does not reach
// the Workspace, and an apply deleted directly (its control plane's
// finalizer bypassed) keeps its Workspace, until the Cluster is unpaused.
func TestPausedClusterHoldsItsApplies(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t, "paused-cluster")
	newTemplate(t, ns, "eks")
	cluster := newCluster(t, ns, "held")
	cp := newControlPlane(t, ns, "held", cluster)
	ws := waitWorkspace(t, ns, "held-eks-controlplane")
	applyKey := types.NamespacedName{Namespace: ns, Name: "held-eks-controlplane-apply"}
	g.Eventually(func(g Gomega) {
		g.Expect(get(g, applyKey, &infrastructurev1beta1.WorkspaceTemplateApply{}).Labels).To(HaveKeyWithValue("cluster.x-k8s.io/cluster-name", "held"))
	}, timeout, poll).Should(Succeed())

	mergePatch(t, cluster, `{"spec":{"paused":true}}`)
	waitPausedCondition(t, cp, true) // the shared cache has seen the pause
	g.Expect(retry.RetryOnConflict(retry.DefaultRetry, func() error {
		tmpl := &infrastructurev1beta1.WorkspaceTemplate{}
		if err := env.Client.Get(t.Context(), types.NamespacedName{Namespace: ns, Name: "eks"}, tmpl); err != nil {
			return err
		}
		tmpl.Spec.Template.Spec.ForProvider.Module = "git::https://example.com/eks-v2.git"
		return env.Client.Update(t.Context(), tmpl)
	})).To(Succeed())
	g.Expect(env.Client.Delete(t.Context(), &infrastructurev1beta1.WorkspaceTemplateApply{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: applyKey.Name}})).To(Succeed())
	g.Consistently(func(g Gomega) {
		got := getWorkspace(g, ws)
		g.Expect(got.GetDeletionTimestamp().IsZero()).To(BeTrue(), "the Workspace was deleted while paused")
		g.Expect(specOf(g, got)["forProvider"]).To(HaveKeyWithValue("module", "git::https://example.com/eks.git"), "re-rendered while paused")
	}, held, poll).Should(Succeed())

	// Unpaused: the held deletion goes on, and the control plane renders a
	// new Workspace from the changed template.
	mergePatch(t, cluster, `{"spec":{"paused":false}}`)
	g.Eventually(func(g Gomega) {
		got := getWorkspace(g, ws)
		g.Expect(got.GetUID()).NotTo(Equal(ws.GetUID()))
		g.Expect(specOf(g, got)["forProvider"]).To(HaveKeyWithValue("module", "git::https://example.com/eks-v2.git"))
	}, timeout, poll).Should(Succeed())
}

// TestPauseReachesTheWorkspace: provider-terraform ignores Cluster API's
// pause, so a paused Cluster's apply puts Crossplane's crossplane.io/paused
// on its Workspace, owned by the apply's manager beside what it owned
// already and changing nothing else, and takes it away when the Cluster is
// unpaused. An admin's own pause of a Workspace is never taken away.
func TestPauseReachesTheWorkspace(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t, "paused-crossplane")
	newTemplate(t, ns, "eks")
	cluster := newCluster(t, ns, "crossplane")
	newControlPlane(t, ns, "crossplane", cluster)
	ws := waitWorkspace(t, ns, "crossplane-eks-controlplane")
	var before map[string]any
	var spec map[string]any
	g.Eventually(func(g Gomega) {
		got := getWorkspace(g, ws)
		g.Expect(got.GetLabels()).To(HaveKey(controlplanev1beta1.LabelControlPlaneName))
		before, spec = fieldsOf(g, got, "capt-workspacetemplateapply", ""), specOf(g, got)
	}, timeout, poll).Should(Succeed())
	paused := map[string]any{}
	for k, v := range before {
		paused[k] = v
	}
	metadata := map[string]any{"f:annotations": map[string]any{
		"f:" + tfv1beta1.AnnotationPaused:                             map[string]any{},
		"f:" + infrastructurev1beta1.AnnotationHeldManagementPolicies: map[string]any{},
	}}
	for k, v := range before["f:metadata"].(map[string]any) {
		metadata[k] = v
	}
	paused["f:metadata"] = metadata
	// The template's policies, as rendered: its CRD's default.
	g.Expect(before["f:spec"]).To(HaveKey("f:managementPolicies"))
	g.Expect(spec["managementPolicies"]).To(Equal([]any{"*"}))
	withoutDelete := map[string]any{}
	for k, v := range spec {
		withoutDelete[k] = v
	}
	withoutDelete["managementPolicies"] = []any{"Observe", "Create", "Update", "LateInitialize"}

	// Paused: the annotation, and no Delete among the policies (the
	// rendered ones recorded), nothing else changed.
	mergePatch(t, cluster, `{"spec":{"paused":true}}`)
	g.Eventually(func(g Gomega) {
		got := getWorkspace(g, ws)
		g.Expect(got.GetAnnotations()).To(HaveKeyWithValue(tfv1beta1.AnnotationPaused, "true"))
		g.Expect(got.GetAnnotations()).To(HaveKeyWithValue(infrastructurev1beta1.AnnotationHeldManagementPolicies, "*"))
		g.Expect(fieldsOf(g, got, "capt-workspacetemplateapply", "")).To(Equal(paused))
		g.Expect(specOf(g, got)).To(Equal(withoutDelete))
	}, timeout, poll).Should(Succeed())

	// clusterctl move's delete-for-move patch replaces every annotation of
	// the held Workspace: the hold comes back recording the rendered
	// policies, not the held ones it finds (issue 35), or the release
	// would restore policies without Delete for good.
	g.Expect(env.Client.Patch(t.Context(), testenv.WorkspaceObject(client.ObjectKeyFromObject(ws), nil),
		client.RawPatch(types.JSONPatchType, []byte(`[{"op":"replace","path":"/metadata/annotations","value":{"clusterctl.cluster.x-k8s.io/delete-for-move":""}}]`)),
		client.FieldOwner("clusterctl"))).To(Succeed())
	g.Eventually(func(g Gomega) {
		got := getWorkspace(g, ws)
		g.Expect(got.GetAnnotations()).To(HaveKeyWithValue(tfv1beta1.AnnotationPaused, "true"))
		g.Expect(got.GetAnnotations()).To(HaveKeyWithValue(infrastructurev1beta1.AnnotationHeldManagementPolicies, "*"))
		g.Expect(specOf(g, got)).To(Equal(withoutDelete))
	}, timeout, poll).Should(Succeed())
	g.Expect(env.Client.Patch(t.Context(), testenv.WorkspaceObject(client.ObjectKeyFromObject(ws), nil),
		client.RawPatch(types.JSONPatchType, []byte(`[{"op":"remove","path":"/metadata/annotations/clusterctl.cluster.x-k8s.io~1delete-for-move"}]`)),
		client.FieldOwner("clusterctl"))).To(Succeed())

	mergePatch(t, cluster, `{"spec":{"paused":false}}`)
	g.Eventually(func(g Gomega) {
		got := getWorkspace(g, ws)
		g.Expect(got.GetAnnotations()).NotTo(HaveKey(tfv1beta1.AnnotationPaused))
		g.Expect(got.GetAnnotations()).NotTo(HaveKey(infrastructurev1beta1.AnnotationHeldManagementPolicies))
		g.Expect(fieldsOf(g, got, "capt-workspacetemplateapply", "")).To(Equal(before))
		g.Expect(specOf(g, got)).To(Equal(spec), "the policies are back")
	}, timeout, poll).Should(Succeed())

	// The admin pauses the Workspace by hand: it stays paused.
	g.Expect(env.Client.Patch(t.Context(), testenv.WorkspaceObject(client.ObjectKeyFromObject(ws), nil),
		client.RawPatch(types.MergePatchType, []byte(`{"metadata":{"annotations":{"`+tfv1beta1.AnnotationPaused+`":"true"}}}`)),
		client.FieldOwner("platform-admin"))).To(Succeed())
	mergePatch(t, &infrastructurev1beta1.WorkspaceTemplate{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "eks"}},
		`{"spec":{"template":{"spec":{"forProvider":{"module":"git::https://example.com/eks-v3.git"}}}}}`)
	g.Eventually(func(g Gomega) {
		g.Expect(specOf(g, getWorkspace(g, ws))["forProvider"]).To(HaveKeyWithValue("module", "git::https://example.com/eks-v3.git"))
	}, timeout, poll).Should(Succeed())
	g.Consistently(func(g Gomega) {
		g.Expect(getWorkspace(g, ws).GetAnnotations()).To(HaveKeyWithValue(tfv1beta1.AnnotationPaused, "true"), "the admin's pause was taken away")
	}, held, poll).Should(Succeed())
}
