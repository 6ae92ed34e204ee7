package lifecycle

import (
	"testing"
	"time"

	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	controlplanev1beta1 "github.com/capt-controlplane/capt-controlplane/apis/controlplane/v1beta1"
	tfv1beta1 "github.com/capt-controlplane/capt-controlplane/apis/external/tf/v1beta1"
	"github.com/capt-controlplane/capt-controlplane/internal/kubeversion"
)

// TestAnUpgradeIsReportedOnceTerraformAppliedIt: spec.version 1.31 →
// v1.32.0 reaches the Workspace at once, but status.version (what Cluster
// API decides "upgraded" and worker skew from) stays v1.31 with RollingOut
// True until provider-terraform ran terraform apply of the new spec, and
// the Workspace stays Ready throughout, as the real provider keeps it.
func TestAnUpgradeIsReportedOnceTerraformAppliedIt(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t, "upgrade-version")
	newTemplate(t, ns, "eks", tfv1beta1.Var{Key: "cluster_name", Value: "${cluster_name}"}, tfv1beta1.Var{Key: "cluster_version", Value: "${kubernetes_version}"})
	cp := newControlPlane(t, ns, "up", nil)
	ws := waitWorkspace(t, ns, "up-eks-controlplane")
	provide(t, ws, map[string]any{"cluster_endpoint": "https://up.example.com"})
	key := types.NamespacedName{Namespace: ns, Name: cp.Name}
	g.Eventually(func(g Gomega) {
		got := get(g, key, &controlplanev1beta1.CAPTControlPlane{})
		g.Expect(got.Status.Version).To(Equal("1.31"))
	}, timeout, poll).Should(Succeed())

	mergePatch(t, cp, `{"spec":{"version":"v1.32.0"}}`)
	g.Eventually(func(g Gomega) {
		g.Expect(specOf(g, getWorkspace(g, ws))["forProvider"].(map[string]any)["vars"]).To(ContainElement(
			map[string]any{"key": "cluster_version", "value": "1.32"}), "EKS's form reaches Terraform")
	}, timeout, poll).Should(Succeed())
	rollingOut := func(g Gomega) {
		got := get(g, key, &controlplanev1beta1.CAPTControlPlane{})
		// Spelled as spec.version is now; the version is what counts.
		g.Expect(kubeversion.EKS(got.Status.Version)).To(Equal("1.31"), "reported before Terraform applied it")
		g.Expect(got.Status.Versions).To(Equal([]controlplanev1beta1.StatusVersion{{Version: "v1.31.0"}}))
		rolling := meta.FindStatusCondition(got.Status.Conditions, controlplanev1beta1.ConditionRollingOut)
		g.Expect(rolling).NotTo(BeNil())
		g.Expect(rolling.Status).To(Equal(metav1.ConditionTrue))
	}
	g.Eventually(rollingOut, timeout, poll).Should(Succeed())
	g.Consistently(rollingOut, 2*time.Second, poll).Should(Succeed())

	// terraform apply ran: the provider reports the new generation.
	provide(t, getWorkspace(g, ws), map[string]any{"cluster_endpoint": "https://up.example.com"})
	g.Eventually(func(g Gomega) {
		got := get(g, key, &controlplanev1beta1.CAPTControlPlane{})
		g.Expect(got.Status.Version).To(Equal("v1.32.0"))
		g.Expect(got.Status.Versions).To(Equal([]controlplanev1beta1.StatusVersion{{Version: "v1.32.0"}}))
		g.Expect(meta.IsStatusConditionFalse(got.Status.Conditions, controlplanev1beta1.ConditionRollingOut)).To(BeTrue())
	}, timeout, poll).Should(Succeed())

	// A skipped minor is refused: nothing reaches Terraform.
	mergePatch(t, cp, `{"spec":{"version":"v1.34.0"}}`)
	g.Eventually(func(g Gomega) {
		got := get(g, key, &controlplanev1beta1.CAPTControlPlane{})
		rolling := meta.FindStatusCondition(got.Status.Conditions, controlplanev1beta1.ConditionRollingOut)
		g.Expect(rolling).NotTo(BeNil())
		g.Expect(rolling.Reason).To(Equal(controlplanev1beta1.ReasonVersionChangeRefused))
	}, timeout, poll).Should(Succeed())
	g.Consistently(func(g Gomega) {
		g.Expect(specOf(g, getWorkspace(g, ws))["forProvider"].(map[string]any)["vars"]).To(ContainElement(
			map[string]any{"key": "cluster_version", "value": "1.32"}))
	}, 2*time.Second, poll).Should(Succeed())
}
