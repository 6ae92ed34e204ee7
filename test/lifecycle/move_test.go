package lifecycle

import (
	"testing"

	. "github.com/onsi/gomega"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	controlplanev1beta1 "github.com/capt-controlplane/capt-controlplane/apis/controlplane/v1beta1"
	infrastructurev1beta1 "github.com/capt-controlplane/capt-controlplane/apis/infrastructure/v1beta1"
	"github.com/capt-controlplane/capt-controlplane/internal/skeleton"
)

// TestDeletedForMoveLetsGo: clusterctl move deletes each source object
// with its delete-for-move annotation, pausing the Cluster first; the
// cache can see the source's Cluster gone (so nothing paused) while the
// control plane and its apply are still being deleted. Deleted for move,
// the control plane does not delete its apply, and the apply neither
// deletes nor unpauses its Workspace (against provider-terraform that is
// terraform destroy of the cluster being moved; for a cluster-scoped
// Workspace move leaves behind, it would run at once): each only drops
// its finalizer. Here no Cluster pauses them at all.
func TestDeletedForMoveLetsGo(t *testing.T) {
	g := NewWithT(t)
	ctx := t.Context()
	ns := newNamespace(t, "deleted-for-move")
	newTemplate(t, ns, "eks")
	cp := newControlPlane(t, ns, "moved", nil)
	ws := waitWorkspace(t, ns, "moved-eks-controlplane")
	provide(t, ws, readyOutputs)
	applyKey := types.NamespacedName{Namespace: ns, Name: cp.EffectiveWorkspaceTemplateApplyName()}
	apply := get(g, applyKey, &infrastructurev1beta1.WorkspaceTemplateApply{})
	g.Expect(apply.Finalizers).To(ContainElement(infrastructurev1beta1.WorkspaceTemplateApplyFinalizer))
	forMove := `{"metadata":{"annotations":{"` + skeleton.DeleteForMoveAnnotation + `":""}}}`

	// clusterctl's order for each object: annotate, delete, then take the
	// finalizers away; the manager here runs before that last step.
	mergePatch(t, cp, forMove)
	g.Expect(env.Client.Delete(ctx, cp)).To(Succeed())
	g.Eventually(func() bool {
		return apierrors.IsNotFound(env.Client.Get(ctx, client.ObjectKeyFromObject(cp), &controlplanev1beta1.CAPTControlPlane{}))
	}, timeout, poll).Should(BeTrue(), "the control plane drops its finalizer")
	got := get(g, applyKey, &infrastructurev1beta1.WorkspaceTemplateApply{})
	g.Expect(got.UID).To(Equal(apply.UID))
	g.Expect(got.DeletionTimestamp).To(BeNil(), "the control plane deleted its apply")

	mergePatch(t, got, forMove)
	g.Expect(env.Client.Delete(ctx, got)).To(Succeed())
	g.Eventually(func() bool {
		return apierrors.IsNotFound(env.Client.Get(ctx, applyKey, &infrastructurev1beta1.WorkspaceTemplateApply{}))
	}, timeout, poll).Should(BeTrue(), "the apply drops its finalizer")
	g.Consistently(func(g Gomega) {
		kept := getWorkspace(g, ws)
		g.Expect(kept.GetUID()).To(Equal(ws.GetUID()))
		g.Expect(kept.GetDeletionTimestamp()).To(BeNil(), "the apply deleted its Workspace")
	}, held, poll).Should(Succeed())
}
