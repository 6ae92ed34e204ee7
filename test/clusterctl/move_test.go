// Package clusterctl installs the provider with clusterctl, from a local
// repository built from the release artifacts, on local API servers, and
// runs what Cluster API users run on a provisioned CAPT cluster: clusterctl
// move to a second management cluster (the provider installed with
// clusterctl or with kubectl; Workspaces of either kind), clusterctl
// upgrade to the next release, clusterctl delete; bin/manager runs on
// every management cluster, and every check reads the objects and the
// managers' request logs (docs/move.md).
package clusterctl

import (
	"maps"
	"testing"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	controlplanev1beta1 "github.com/capt-controlplane/capt-controlplane/apis/controlplane/v1beta1"
	tfv1beta1 "github.com/capt-controlplane/capt-controlplane/apis/external/tf/v1beta1"
	tfmv1beta1 "github.com/capt-controlplane/capt-controlplane/apis/external/tfm/v1beta1"
	infrastructurev1beta1 "github.com/capt-controlplane/capt-controlplane/apis/infrastructure/v1beta1"
	"github.com/capt-controlplane/capt-controlplane/test/testenv"
)

// TestMoveKeepsTheCluster: a provisioned CAPT cluster (namespaced
// Workspace) moved with clusterctl move, the provider installed with
// clusterctl init or with kubectl apply -k, ends on the target with the
// same Workspace (and its connection Secret and template), controlled by
// the target's apply, the status rebuilt from it, and nothing deleted by
// either manager; the source's Workspace was paused for provider-terraform
// before move deleted it. clusterctl delete then clears the source.
func TestMoveKeepsTheCluster(t *testing.T) {
	config := testenv.ClusterctlRepository(t, t.TempDir())
	for _, how := range []installation{withClusterctl, withKubectl} {
		t.Run("installed with "+string(how), func(t *testing.T) { moveNamespaced(t, config, how) })
	}
}

func moveNamespaced(t *testing.T, config string, how installation) {
	g := NewWithT(t)
	ctx := t.Context()
	source := managementCluster(t, config, how)
	target := managementCluster(t, config, how)
	src, dst := source.env.Client, target.env.Client

	t.Run("every CRD of the provider is labelled for move", func(t *testing.T) {
		g := NewWithT(t)
		for _, crd := range []string{"captcontrolplanes.controlplane.cluster.x-k8s.io", "workspacetemplateapplies.infrastructure.cluster.x-k8s.io",
			"workspacetemplates.infrastructure.cluster.x-k8s.io", infrastructurev1beta1.ProviderConfigGrantCRD} {
			got := &apiextensionsv1.CustomResourceDefinition{}
			g.Expect(src.Get(ctx, types.NamespacedName{Name: crd}, got)).To(Succeed())
			g.Expect(got.Labels).To(HaveKey("clusterctl.cluster.x-k8s.io"), crd)
		}
	})

	wsKey := provision(t, src, infrastructurev1beta1.WorkspaceScopeNamespaced)
	mark := source.manager.Requests.Mark()
	t.Logf("clusterctl move:\n%s", testenv.Clusterctl(t, config, "move", "--kubeconfig", source.kubeconfig, "--to-kubeconfig", target.kubeconfig, "--namespace", namespace))
	logArrival(t, dst)

	t.Run("the source's manager paused the Workspace and deleted nothing", func(t *testing.T) {
		g := NewWithT(t)
		reqs := source.manager.Requests.Since(mark)
		g.Expect(writesWhere(reqs, isDelete)).To(BeEmpty())
		g.Expect(testenv.CountByKey(testenv.Writes(reqs))).To(HaveKey("apply workspaces.tf.m.upbound.io (capt-workspacetemplateapply)"), "the pause carried to the Workspace")
	})
	t.Run("everything arrived and left the source", func(t *testing.T) {
		g := NewWithT(t)
		for _, obj := range []client.Object{
			&controlplanev1beta1.CAPTControlPlane{ObjectMeta: metav1.ObjectMeta{Name: name}},
			&infrastructurev1beta1.WorkspaceTemplateApply{ObjectMeta: metav1.ObjectMeta{Name: applyName}},
			&infrastructurev1beta1.WorkspaceTemplate{ObjectMeta: metav1.ObjectMeta{Name: "eks"}},
			&tfmv1beta1.Workspace{ObjectMeta: metav1.ObjectMeta{Name: workspace}},
			&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: name + "-eks-connection"}},
		} {
			key := types.NamespacedName{Namespace: namespace, Name: obj.GetName()}
			g.Expect(dst.Get(ctx, key, obj)).To(Succeed(), "%T %s on the target", obj, key)
			g.Eventually(func() bool { return apierrors.IsNotFound(src.Get(ctx, key, obj)) }, timeout, poll).
				Should(BeTrue(), "%T %s left on the source", obj, key)
		}
	})

	// On the target: the Workspace moved is the one kept (no new one),
	// controlled by the target's apply; the pause is taken away once move
	// unpaused the Cluster, and the status is rebuilt from what
	// provider-terraform there observes.
	moved := &tfmv1beta1.Workspace{}
	g.Expect(dst.Get(ctx, wsKey, moved)).To(Succeed())
	apply := &infrastructurev1beta1.WorkspaceTemplateApply{}
	g.Expect(dst.Get(ctx, types.NamespacedName{Namespace: namespace, Name: applyName}, apply)).To(Succeed())
	g.Eventually(func(g Gomega) {
		got := &tfmv1beta1.Workspace{}
		g.Expect(dst.Get(ctx, wsKey, got)).To(Succeed())
		g.Expect(got.UID).To(Equal(moved.UID), "a new Workspace on the target")
		g.Expect(metav1.IsControlledBy(got, apply)).To(BeTrue(), "controlled by the target's apply: %+v", got.OwnerReferences)
		g.Expect(got.Annotations).NotTo(HaveKey(tfv1beta1.AnnotationPaused))
	}, timeout, poll).Should(Succeed())
	g.Expect(testenv.Provide(ctx, dst, wsKey, testenv.Observation{Ready: true, Reason: tfv1beta1.ReasonAvailable, Outputs: outputs})).To(Succeed())
	waitReady(t, dst)
	final := &tfmv1beta1.Workspace{}
	g.Expect(dst.Get(ctx, wsKey, final)).To(Succeed())
	g.Expect(final.UID).To(Equal(moved.UID))
	g.Expect(writesWhere(target.manager.Requests.Since(0), isDelete)).To(BeEmpty(), "the target's manager deletes nothing")

	if how == withClusterctl {
		t.Run("clusterctl delete of the provider clears the source and leaves the target alone", func(t *testing.T) {
			g := NewWithT(t)
			source.manager.Stop() // its Deployment goes first
			// Move copies the grants and leaves them on the source (they
			// are cluster-scoped); clusterctl delete --include-crd refuses
			// while any is left (docs/move.md).
			g.Expect(src.DeleteAllOf(ctx, &infrastructurev1beta1.ProviderConfigGrant{})).To(Succeed())
			source.clusterctl(t, "delete", "--control-plane", "capt", "--include-crd", "--include-namespace")
			crd := &apiextensionsv1.CustomResourceDefinition{}
			g.Eventually(func() bool {
				return apierrors.IsNotFound(src.Get(ctx, types.NamespacedName{Name: "captcontrolplanes.controlplane.cluster.x-k8s.io"}, crd))
			}, timeout, poll).Should(BeTrue())
			waitReady(t, dst)
			g.Expect(dst.Get(ctx, wsKey, final)).To(Succeed())
			g.Expect(final.UID).To(Equal(moved.UID))
			g.Expect(final.DeletionTimestamp).To(BeNil())
		})
	}
}

// TestMoveKeepsAClusterScopedWorkspace: clusterctl move carries no
// cluster-scoped Workspace (no Cluster owns one: cluster-scoped objects
// cannot have a namespaced owner). The source's Workspace stays, paused
// for provider-terraform, never deleted; the target's control plane,
// initialized, renders no second one and says WorkspaceMissing; once the
// admin copies the Workspace bound to the target's apply (docs/move.md),
// the target manages that one.
func TestMoveKeepsAClusterScopedWorkspace(t *testing.T) {
	g := NewWithT(t)
	ctx := t.Context()
	config := testenv.ClusterctlRepository(t, t.TempDir())
	source := managementCluster(t, config, withClusterctl)
	target := managementCluster(t, config, withClusterctl)
	src, dst := source.env.Client, target.env.Client

	wsKey := provision(t, src, infrastructurev1beta1.WorkspaceScopeCluster)
	before := &tfv1beta1.Workspace{}
	g.Expect(src.Get(ctx, wsKey, before)).To(Succeed())
	mark := source.manager.Requests.Mark()
	t.Logf("clusterctl move:\n%s", testenv.Clusterctl(t, config, "move", "--kubeconfig", source.kubeconfig, "--to-kubeconfig", target.kubeconfig, "--namespace", namespace))

	t.Run("the source keeps its Workspace, paused, and its manager deleted nothing", func(t *testing.T) {
		g := NewWithT(t)
		g.Eventually(func() bool {
			return apierrors.IsNotFound(src.Get(ctx, types.NamespacedName{Namespace: namespace, Name: applyName}, &infrastructurev1beta1.WorkspaceTemplateApply{}))
		}, timeout, poll).Should(BeTrue(), "the apply moved")
		got := &tfv1beta1.Workspace{}
		g.Expect(src.Get(ctx, wsKey, got)).To(Succeed())
		g.Expect(got.UID).To(Equal(before.UID))
		g.Expect(got.DeletionTimestamp).To(BeNil())
		g.Expect(got.Annotations).To(HaveKeyWithValue(tfv1beta1.AnnotationPaused, "true"))
		g.Expect(writesWhere(source.manager.Requests.Since(mark), isDelete)).To(BeEmpty())
	})

	apply := &infrastructurev1beta1.WorkspaceTemplateApply{}
	t.Run("the target renders no second Workspace and says what is missing", func(t *testing.T) {
		g := NewWithT(t)
		g.Eventually(func(g Gomega) {
			g.Expect(dst.Get(ctx, types.NamespacedName{Namespace: namespace, Name: applyName}, apply)).To(Succeed())
			synced := tfv1beta1.FindCondition(apply.Status.Conditions, tfv1beta1.TypeSynced)
			g.Expect(synced).NotTo(BeNil())
			g.Expect(synced.Reason).To(Equal(infrastructurev1beta1.ReasonWorkspaceMissing))
			g.Expect(synced.Message).To(ContainSubstring("docs/move.md"))
			cp := &controlplanev1beta1.CAPTControlPlane{}
			g.Expect(dst.Get(ctx, types.NamespacedName{Namespace: namespace, Name: name}, cp)).To(Succeed())
			ready := meta.FindStatusCondition(cp.Status.Conditions, controlplanev1beta1.ConditionReady)
			g.Expect(ready).NotTo(BeNil())
			g.Expect(ready.Reason).To(Equal(infrastructurev1beta1.ReasonWorkspaceMissing))
		}, timeout, poll).Should(Succeed())
		g.Expect(apierrors.IsNotFound(dst.Get(ctx, wsKey, &tfv1beta1.Workspace{}))).To(BeTrue(), "a second Workspace on the target")
		g.Expect(writesWhere(target.manager.Requests.Since(0), func(r testenv.Request) bool {
			return r.Resource == "workspaces.tf.upbound.io" || isDelete(r)
		})).To(BeEmpty())
	})

	// docs/move.md's admin step: the source's Workspace copied to the
	// target, bound to the target's apply, without the pause.
	copied := &tfv1beta1.Workspace{ObjectMeta: metav1.ObjectMeta{Name: before.Name,
		Labels: maps.Clone(before.Labels), Annotations: maps.Clone(before.Annotations)}, Spec: before.Spec}
	copied.Labels[infrastructurev1beta1.LabelApplyUID] = string(apply.UID)
	delete(copied.Annotations, tfv1beta1.AnnotationPaused)
	g.Expect(dst.Create(ctx, copied)).To(Succeed())
	g.Expect(testenv.Provide(ctx, dst, wsKey, testenv.Observation{Ready: true, Reason: tfv1beta1.ReasonAvailable, Outputs: outputs})).To(Succeed())
	waitReady(t, dst)
	got := &tfv1beta1.Workspace{}
	g.Expect(dst.Get(ctx, wsKey, got)).To(Succeed())
	g.Expect(got.UID).To(Equal(copied.UID), "the copy is the one managed")
	g.Expect(writesWhere(target.manager.Requests.Since(0), isDelete)).To(BeEmpty(), "the target's manager deletes nothing")
}

// logArrival logs the moved Workspace's owner references and managedFields
// as they arrived, and the target's apply UID: what a failure of the
// ownership checks needs.
func logArrival(t *testing.T, c client.Client) {
	t.Helper()
	ws := &tfmv1beta1.Workspace{}
	if err := c.Get(t.Context(), types.NamespacedName{Namespace: namespace, Name: workspace}, ws); err != nil {
		t.Logf("target Workspace: %v", err)
		return
	}
	apply := &infrastructurev1beta1.WorkspaceTemplateApply{}
	_ = c.Get(t.Context(), types.NamespacedName{Namespace: namespace, Name: applyName}, apply)
	fields, _ := yaml.Marshal(ws.ManagedFields)
	t.Logf("target apply UID %s; Workspace ownerReferences %+v; annotations %v; managedFields:\n%s", apply.UID, ws.OwnerReferences, ws.Annotations, fields)
}
