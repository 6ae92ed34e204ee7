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
