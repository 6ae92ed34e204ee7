package upgrade

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	controlplanev1beta1 "github.com/capt-controlplane/capt-controlplane/apis/controlplane/v1beta1"
	infrastructurev1beta1 "github.com/capt-controlplane/capt-controlplane/apis/infrastructure/v1beta1"
	cpac "github.com/capt-controlplane/capt-controlplane/applyconfig/controlplane/controlplane/v1beta1"
	infraac "github.com/capt-controlplane/capt-controlplane/applyconfig/infrastructure/infrastructure/v1beta1"
	"github.com/capt-controlplane/capt-controlplane/internal/ownership"
	"github.com/capt-controlplane/capt-controlplane/internal/skeleton"
	"github.com/capt-controlplane/capt-controlplane/test/testenv"
)

// clusterCRDServing returns Cluster API's Cluster CRD (from `make
// cluster-api-crds`) served and stored in version alone, as an older Cluster
// API installs it (v1.8 serves v1beta1 only).
func clusterCRDServing(t *testing.T, version string) *apiextensionsv1.CustomResourceDefinition {
	t.Helper()
	g := NewWithT(t)
	raw, err := os.ReadFile(filepath.Join(testenv.RepoRoot(), "bin", "crds", "cluster-api", "cluster.x-k8s.io_clusters.yaml"))
	g.Expect(err).NotTo(HaveOccurred(), "run `make cluster-api-crds` first")
	crd := &apiextensionsv1.CustomResourceDefinition{}
	g.Expect(yaml.Unmarshal(raw, crd)).To(Succeed())
	var kept []apiextensionsv1.CustomResourceDefinitionVersion
	for _, v := range crd.Spec.Versions {
		if v.Name == version {
			v.Served, v.Storage = true, true
			kept = append(kept, v)
		}
	}
	g.Expect(kept).To(HaveLen(1))
	crd.Spec.Versions = kept
	return crd
}

// TestOlderClusterAPIHoldsEveryControlPlane: where Cluster API serves
// Cluster only as v1beta1, the manager cannot see Cluster.spec.paused; it
// says so on every control plane and takes no action.
func TestOlderClusterAPIHoldsEveryControlPlane(t *testing.T) {
	g := NewWithT(t)
	env, err := testenv.StartWithClusterAPI(testenv.ProviderTerraformGeneration(), []*apiextensionsv1.CustomResourceDefinition{clusterCRDServing(t, "v1beta1")}, nil)
	g.Expect(err).NotTo(HaveOccurred())
	t.Cleanup(func() { _ = env.Stop() })
	c := env.Client
	installConfigDefault(t, env)

	cp := &controlplanev1beta1.CAPTControlPlane{
		ObjectMeta: metav1.ObjectMeta{Name: "old-capi", Namespace: namespace, OwnerReferences: []metav1.OwnerReference{{
			APIVersion: "cluster.x-k8s.io/v1beta1", Kind: "Cluster", Name: "old-capi", UID: "00000000-0000-0000-0000-000000000001",
		}}},
		Spec: controlplanev1beta1.CAPTControlPlaneSpec{
			Version:              "1.31",
			WorkspaceTemplateRef: controlplanev1beta1.WorkspaceTemplateReference{Name: "eks-controlplane-template"},
			ControlPlaneConfig:   &controlplanev1beta1.ControlPlaneConfig{Region: "ap-northeast-1"},
		},
	}
	g.Expect(c.Create(t.Context(), cp)).To(Succeed())
	// An apply left from before, as upstream's extra applies are.
	leftover := &infrastructurev1beta1.WorkspaceTemplateApply{
		ObjectMeta: metav1.ObjectMeta{Name: "leftover-apply", Namespace: namespace},
		Spec: infrastructurev1beta1.WorkspaceTemplateApplySpec{
			TemplateRef: infrastructurev1beta1.WorkspaceTemplateReference{Name: "eks-controlplane-template"},
			Variables:   map[string]string{"cluster_name": "leftover", "kubernetes_version": "1.31", "region": "ap-northeast-1"},
		},
	}
	g.Expect(c.Create(t.Context(), leftover)).To(Succeed())

	_, metricsURL := testenv.StartManagerBinary(t, env, syncPeriod)
	testenv.WaitControllersStarted(t, metricsURL)
	g.Eventually(func(g Gomega) {
		got := &controlplanev1beta1.CAPTControlPlane{}
		g.Expect(c.Get(t.Context(), client.ObjectKeyFromObject(cp), got)).To(Succeed())
		var compatible *metav1.Condition
		for i := range got.Status.Conditions {
			if got.Status.Conditions[i].Type == controlplanev1beta1.ConditionClusterAPICompatible {
				compatible = &got.Status.Conditions[i]
			}
		}
		g.Expect(compatible).NotTo(BeNil())
		g.Expect(compatible.Status).To(Equal(metav1.ConditionFalse))
		g.Expect(compatible.Reason).To(Equal(controlplanev1beta1.ReasonClusterAPIUnsupported))
		g.Expect(compatible.Message).To(ContainSubstring("only as v1beta1"))
	}, time.Minute, 100*time.Millisecond).Should(Succeed())

	testenv.WaitReconciles(t, metricsURL, 3, time.Minute)
	got := &controlplanev1beta1.CAPTControlPlane{}
	g.Expect(c.Get(t.Context(), client.ObjectKeyFromObject(cp), got)).To(Succeed())
	g.Expect(got.Finalizers).To(BeEmpty(), "no action: not even the finalizer")
	err = c.Get(t.Context(), types.NamespacedName{Namespace: namespace, Name: cp.EffectiveWorkspaceTemplateApplyName()}, &infrastructurev1beta1.WorkspaceTemplateApply{})
	g.Expect(apierrors.IsNotFound(err)).To(BeTrue(), "nothing rendered: %v", err)
	g.Expect(c.Get(t.Context(), client.ObjectKeyFromObject(leftover), leftover)).To(Succeed())
	g.Expect(leftover.Finalizers).To(BeEmpty(), "no action on applies either")
	g.Expect(leftover.Status.WorkspaceName).To(BeEmpty())

	// clusterctl move deletes what it carried to the target: a control
	// plane and an apply with the manager's finalizers (applied as its
	// field managers, as a manager before the downgrade left them) let go
	// here too. (The apply kept its finalizer for good before: the older
	// Cluster API was checked before the move.)
	forMove := metav1.ObjectMeta{Namespace: namespace, Annotations: map[string]string{skeleton.DeleteForMoveAnnotation: ""}}
	movedCP := cp.DeepCopy()
	movedCP.ObjectMeta = *forMove.DeepCopy()
	movedCP.Name = "moved"
	movedApply := leftover.DeepCopy()
	movedApply.ObjectMeta = *forMove.DeepCopy()
	movedApply.Name = "moved-eks-controlplane-apply"
	g.Expect(c.Create(t.Context(), movedCP)).To(Succeed())
	g.Expect(c.Create(t.Context(), movedApply)).To(Succeed())
	g.Expect(c.Apply(t.Context(), cpac.CAPTControlPlane(movedCP.Name, namespace).WithFinalizers(controlplanev1beta1.CAPTControlPlaneFinalizer),
		client.FieldOwner(ownership.ControlPlane))).To(Succeed())
	g.Expect(c.Apply(t.Context(), infraac.WorkspaceTemplateApply(movedApply.Name, namespace).WithFinalizers(infrastructurev1beta1.WorkspaceTemplateApplyFinalizer),
		client.FieldOwner(ownership.WorkspaceTemplateApply))).To(Succeed())
	for _, obj := range []client.Object{movedCP, movedApply} {
		g.Expect(c.Delete(t.Context(), obj)).To(Succeed())
	}
	for _, obj := range []client.Object{movedCP, movedApply} {
		g.Eventually(func() bool {
			return apierrors.IsNotFound(c.Get(t.Context(), client.ObjectKeyFromObject(obj), obj))
		}, time.Minute, 100*time.Millisecond).Should(BeTrue(), "%T %s deleted for move kept its finalizer", obj, obj.GetName())
	}
}
