package lifecycle

import (
	"strings"
	"testing"

	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/types"

	controlplanev1beta1 "github.com/capt-controlplane/capt-controlplane/apis/controlplane/v1beta1"
	infrastructurev1beta1 "github.com/capt-controlplane/capt-controlplane/apis/infrastructure/v1beta1"
)

// TestEveryClusterNameWorks: a Cluster of the longest name Cluster API
// takes (63 characters) gets its control plane, apply and Workspace; the
// derived names too long for a label value are hashed to fit, and the EKS
// cluster keeps the Cluster's name.
func TestEveryClusterNameWorks(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t, "long-names")
	newTemplate(t, ns, "eks")
	name := "a" + strings.Repeat("-long-name", 6) + "-1" // 63 characters
	g.Expect(name).To(HaveLen(63))
	cp := newControlPlane(t, ns, name, nil)

	apply := &infrastructurev1beta1.WorkspaceTemplateApply{}
	g.Eventually(func(g Gomega) {
		got := &controlplanev1beta1.CAPTControlPlane{}
		g.Expect(env.Client.Get(t.Context(), types.NamespacedName{Namespace: ns, Name: cp.Name}, got)).To(Succeed())
		g.Expect(got.Spec.WorkspaceTemplateApplyName).To(Equal(cp.EffectiveWorkspaceTemplateApplyName()))
		g.Expect(env.Client.Get(t.Context(), types.NamespacedName{Namespace: ns, Name: got.Spec.WorkspaceTemplateApplyName}, apply)).To(Succeed())
	}, timeout, poll).Should(Succeed())
	g.Expect(len(apply.Name)).To(BeNumerically("<=", 63))
	g.Expect(apply.Name).To(HaveSuffix("-eks-controlplane-apply"))
	ws := waitWorkspace(t, ns, apply.WorkspaceName())
	g.Expect(specOf(g, ws)["forProvider"].(map[string]any)["vars"]).To(ContainElement(
		map[string]any{"key": "cluster_name", "value": name}))
}
