package lifecycle

import (
	"encoding/json"
	"fmt"
	"testing"

	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	controlplanev1beta1 "github.com/capt-controlplane/capt-controlplane/apis/controlplane/v1beta1"
	infrastructurev1beta1 "github.com/capt-controlplane/capt-controlplane/apis/infrastructure/v1beta1"
)

// A control plane created before Cluster API owns it renders nothing (the
// Terraform cluster name comes from the Cluster) and says why; once owned,
// it renders with the Cluster's name.
func TestWaitsForItsCluster(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t, "owner-wait")
	newTemplate(t, ns, "eks")
	cp := &controlplanev1beta1.CAPTControlPlane{
		ObjectMeta: metav1.ObjectMeta{Name: "early-control-plane", Namespace: ns},
		Spec: controlplanev1beta1.CAPTControlPlaneSpec{
			Version: "1.31", WorkspaceTemplateRef: controlplanev1beta1.WorkspaceTemplateReference{Name: "eks"},
			ControlPlaneConfig: &controlplanev1beta1.ControlPlaneConfig{Region: "ap-northeast-1"},
		},
	}
	g.Expect(env.Client.Create(t.Context(), cp)).To(Succeed())
	applyKey := types.NamespacedName{Namespace: ns, Name: "early-control-plane-eks-controlplane-apply"}

	waitCondition(t, cp, controlplanev1beta1.ConditionReady, func(g Gomega, c *metav1.Condition) {
		g.Expect(c.Reason).To(Equal(controlplanev1beta1.ReasonWaitingForCluster))
	})
	g.Consistently(func() error {
		return env.Client.Get(t.Context(), applyKey, &infrastructurev1beta1.WorkspaceTemplateApply{})
	}, held, poll).ShouldNot(Succeed(), "rendered before the owner Cluster was known")

	cluster := newCluster(t, ns, "early")
	mergePatch(t, cp, fmt.Sprintf(`{"metadata":{"ownerReferences":[%s]}}`, mustMarshal(t, ownerReference(cluster))))
	g.Eventually(func(g Gomega) {
		g.Expect(get(g, applyKey, &infrastructurev1beta1.WorkspaceTemplateApply{}).Spec.Variables).To(HaveKeyWithValue("cluster_name", "early"))
	}, timeout, poll).Should(Succeed())
}

// The Terraform cluster name, once rendered, never changes: a new name is
// a second EKS cluster.
func TestClusterNameNeverChanges(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t, "owner-stable")
	newTemplate(t, ns, "eks")
	cp := newControlPlane(t, ns, "stable", newCluster(t, ns, "first"))
	applyKey := types.NamespacedName{Namespace: ns, Name: "stable-eks-controlplane-apply"}
	g.Eventually(func(g Gomega) {
		g.Expect(get(g, applyKey, &infrastructurev1beta1.WorkspaceTemplateApply{}).Spec.Variables).To(HaveKeyWithValue("cluster_name", "first"))
	}, timeout, poll).Should(Succeed())

	second := newCluster(t, ns, "second")
	mergePatch(t, cp, fmt.Sprintf(`{"metadata":{"ownerReferences":[%s]}}`, mustMarshal(t, ownerReference(second))))
	g.Eventually(func(g Gomega) {
		apply := get(g, applyKey, &infrastructurev1beta1.WorkspaceTemplateApply{})
		g.Expect(apply.Labels).To(HaveKeyWithValue("cluster.x-k8s.io/cluster-name", "second"), "the apply follows the new owner")
		g.Expect(apply.Spec.Variables).To(HaveKeyWithValue("cluster_name", "first"), "the Terraform identity changed")
	}, timeout, poll).Should(Succeed())
}

func mustMarshal(t *testing.T, v any) string {
	t.Helper()
	raw, err := json.Marshal(v)
	NewWithT(t).Expect(err).NotTo(HaveOccurred())
	return string(raw)
}
