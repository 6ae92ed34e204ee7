package lifecycle

import (
	"testing"
	"time"

	. "github.com/onsi/gomega"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	controlplanev1beta1 "github.com/capt-controlplane/capt-controlplane/apis/controlplane/v1beta1"
	tfv1beta1 "github.com/capt-controlplane/capt-controlplane/apis/external/tf/v1beta1"
	infrastructurev1beta1 "github.com/capt-controlplane/capt-controlplane/apis/infrastructure/v1beta1"
	"github.com/capt-controlplane/capt-controlplane/test/testenv"
)

// TestInitializedControlPlaneNeverRendersASecondCluster: a control plane
// whose cluster exists (its endpoint is set) and whose Workspace is gone —
// as after a move that left the Workspace and its Terraform state behind —
// renders nothing on its own: a new Workspace would be a second terraform
// apply of a cluster that exists. The control plane says what is missing
// and what to do, and renders once the user says so.
func TestInitializedControlPlaneNeverRendersASecondCluster(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t, "missing-workspace")
	newTemplate(t, ns, "eks")
	cp := newControlPlane(t, ns, "second-cluster", nil)
	ws := waitWorkspace(t, ns, "second-cluster-eks-controlplane")
	provide(t, ws, readyOutputs)
	g.Eventually(func(g Gomega) {
		got := get(g, client.ObjectKeyFromObject(cp), &controlplanev1beta1.CAPTControlPlane{})
		g.Expect(got.Spec.ControlPlaneEndpoint.Host).NotTo(BeEmpty())
	}, timeout, poll).Should(Succeed())

	key := client.ObjectKeyFromObject(ws)
	g.Expect(env.Client.Delete(t.Context(), testenv.WorkspaceObject(key, nil))).To(Succeed())
	g.Eventually(func() bool {
		return apierrors.IsNotFound(env.Client.Get(t.Context(), key, testenv.NewWorkspace(key)))
	}, timeout, poll).Should(BeTrue(), "the Workspace is gone")

	waitCondition(t, cp, controlplanev1beta1.ConditionReady, func(g Gomega, c *metav1.Condition) {
		g.Expect(c.Status).To(Equal(metav1.ConditionFalse))
		g.Expect(c.Reason).To(Equal(infrastructurev1beta1.ReasonWorkspaceMissing))
		g.Expect(c.Message).To(ContainSubstring("second cluster"))
		g.Expect(c.Message).To(ContainSubstring(controlplanev1beta1.AnnotationRenderMissingWorkspace + "=true"))
	})
	g.Consistently(func() bool {
		return apierrors.IsNotFound(env.Client.Get(t.Context(), key, testenv.NewWorkspace(key)))
	}, 2*time.Second, poll).Should(BeTrue(), "a new Workspace rendered for a cluster that exists")
	apply := get(g, client.ObjectKey{Namespace: ns, Name: cp.EffectiveWorkspaceTemplateApplyName()}, &infrastructurev1beta1.WorkspaceTemplateApply{})
	synced := tfv1beta1.FindCondition(apply.Status.Conditions, tfv1beta1.TypeSynced)
	g.Expect(synced).NotTo(BeNil())
	g.Expect(synced.Reason).To(Equal(infrastructurev1beta1.ReasonWorkspaceMissing))

	// The user moved the state (or accepts a new cluster) and says so.
	mergePatch(t, &controlplanev1beta1.CAPTControlPlane{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: cp.Name}},
		`{"metadata":{"annotations":{"`+controlplanev1beta1.AnnotationRenderMissingWorkspace+`":"true"}}}`)
	waitWorkspace(t, ns, "second-cluster-eks-controlplane")
}
