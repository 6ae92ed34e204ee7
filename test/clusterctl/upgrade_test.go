package clusterctl

import (
	"fmt"
	"testing"

	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	"sigs.k8s.io/controller-runtime/pkg/client"

	controlplanev1beta1 "github.com/capt-controlplane/capt-controlplane/apis/controlplane/v1beta1"
	tfmv1beta1 "github.com/capt-controlplane/capt-controlplane/apis/external/tfm/v1beta1"
	infrastructurev1beta1 "github.com/capt-controlplane/capt-controlplane/apis/infrastructure/v1beta1"
	"github.com/capt-controlplane/capt-controlplane/test/testenv"
)

// providerCRDs are the CRDs this provider installs.
var providerCRDs = []string{"captcontrolplanes.controlplane.cluster.x-k8s.io", "workspacetemplateapplies.infrastructure.cluster.x-k8s.io",
	"workspacetemplates.infrastructure.cluster.x-k8s.io", infrastructurev1beta1.ProviderConfigGrantCRD}

// TestUpgradeAndDeleteKeepTheCluster: on a management cluster with a
// provisioned CAPT cluster, clusterctl upgrade plan offers the next
// release and upgrade apply installs it, keeping the CRDs and every object
// (same UIDs); the manager restarted from it rebuilds nothing and deletes
// nothing. clusterctl delete of the provider (without --include-crd)
// removes its components and keeps every object: the EKS cluster's
// Workspace is never deleted.
func TestUpgradeAndDeleteKeepTheCluster(t *testing.T) {
	g := NewWithT(t)
	ctx := t.Context()
	config := testenv.ClusterctlRepository(t, t.TempDir())
	mgmt := managementCluster(t, config, withClusterctl)
	c := mgmt.env.Client
	provision(t, c, infrastructurev1beta1.WorkspaceScopeNamespaced)
	kept := keptObjects(t, c)

	plan := mgmt.clusterctl(t, "upgrade", "plan")
	t.Logf("clusterctl upgrade plan:\n%s", plan)
	g.Expect(plan).To(MatchRegexp(`control-plane-capt\s+capt-system\s+ControlPlaneProvider\s+` + testenv.CAPTVersion + `\s+` + testenv.CAPTNextVersion))

	mgmt.manager.Stop() // clusterctl scales the Deployment down first
	t.Logf("clusterctl upgrade apply:\n%s", mgmt.clusterctl(t, "upgrade", "apply", "--control-plane", "capt-system/capt:"+testenv.CAPTNextVersion))
	t.Run("the next release is installed", func(t *testing.T) {
		g := NewWithT(t)
		inventory := &unstructured.Unstructured{}
		inventory.SetGroupVersionKind(schema.GroupVersionKind{Group: "clusterctl.cluster.x-k8s.io", Version: "v1alpha3", Kind: "Provider"})
		g.Expect(c.Get(ctx, types.NamespacedName{Namespace: "capt-system", Name: "control-plane-capt"}, inventory)).To(Succeed())
		version, _, _ := unstructured.NestedString(inventory.Object, "version")
		g.Expect(version).To(Equal(testenv.CAPTNextVersion))
		deployment := &appsv1.Deployment{}
		g.Expect(c.Get(ctx, types.NamespacedName{Namespace: "capt-system", Name: "capt-controller-manager"}, deployment)).To(Succeed())
		g.Expect(deployment.Spec.Template.Spec.Containers[0].Image).To(HaveSuffix(":" + testenv.CAPTNextVersion))
	})
	kept.expectSame(t, c)

	mgmt.startManager(t) // the new Deployment's pod
	// Each controller looked at everything and resynced at least twice.
	testenv.WaitReconciles(t, mgmt.metricsURL, 3, timeout)
	waitReady(t, c)
	t.Run("the upgraded manager rebuilds nothing and deletes nothing", func(t *testing.T) {
		g := NewWithT(t)
		writes := writesWhere(mgmt.manager.Requests.Since(0), func(r testenv.Request) bool {
			return isDelete(r) || r.Resource == "workspaces.tf.m.upbound.io"
		})
		g.Expect(writes).To(BeEmpty())
	})

	mgmt.manager.Stop() // clusterctl delete deletes its Deployment
	t.Logf("clusterctl delete:\n%s", mgmt.clusterctl(t, "delete", "--control-plane", "capt"))
	t.Run("clusterctl delete removes the provider and keeps every object", func(t *testing.T) {
		g := NewWithT(t)
		g.Eventually(func() bool {
			return apierrors.IsNotFound(c.Get(ctx, types.NamespacedName{Namespace: "capt-system", Name: "capt-controller-manager"}, &appsv1.Deployment{}))
		}, timeout, poll).Should(BeTrue(), "the Deployment deleted")
		kept.expectSame(t, c)
		// No cluster-wide grant is left to a ServiceAccount that is gone
		// (which anyone who may create it in capt-system would inherit).
		provider := client.MatchingLabels{clusterv1.ProviderNameLabel: "control-plane-capt"}
		roles, bindings := &rbacv1.ClusterRoleList{}, &rbacv1.ClusterRoleBindingList{}
		g.Expect(c.List(ctx, roles, provider)).To(Succeed())
		g.Expect(c.List(ctx, bindings, provider)).To(Succeed())
		var left []string
		for _, r := range roles.Items {
			left = append(left, "ClusterRole "+r.Name)
		}
		for _, b := range bindings.Items {
			left = append(left, "ClusterRoleBinding "+b.Name)
		}
		g.Expect(left).To(BeEmpty(), "left by clusterctl delete")
	})
}

// kept records the UIDs of the provider's CRDs and of one CAPT cluster's
// objects, to find any that was deleted and created again.
type kept map[string]types.UID

func keptObjects(t *testing.T, c client.Client) kept {
	t.Helper()
	k := kept{}
	for key, obj := range objectsToKeep() {
		NewWithT(t).Expect(c.Get(t.Context(), key, obj)).To(Succeed())
		k[describe(obj, key)] = obj.GetUID()
	}
	return k
}

// expectSame checks that every object recorded still exists, with the same
// UID, and is not being deleted.
func (k kept) expectSame(t *testing.T, c client.Client) {
	t.Helper()
	g := NewWithT(t)
	for key, obj := range objectsToKeep() {
		g.Expect(c.Get(t.Context(), key, obj)).To(Succeed(), describe(obj, key))
		g.Expect(obj.GetUID()).To(Equal(k[describe(obj, key)]), "%s created again", describe(obj, key))
		g.Expect(obj.GetDeletionTimestamp()).To(BeNil(), "%s being deleted", describe(obj, key))
	}
}

func objectsToKeep() map[types.NamespacedName]client.Object {
	objs := map[types.NamespacedName]client.Object{
		{Namespace: namespace, Name: name}:      &controlplanev1beta1.CAPTControlPlane{},
		{Namespace: namespace, Name: applyName}: &infrastructurev1beta1.WorkspaceTemplateApply{},
		{Namespace: namespace, Name: "eks"}:     &infrastructurev1beta1.WorkspaceTemplate{},
		{Namespace: namespace, Name: workspace}: &tfmv1beta1.Workspace{},
	}
	for _, crd := range providerCRDs {
		objs[types.NamespacedName{Name: crd}] = &apiextensionsv1.CustomResourceDefinition{}
	}
	return objs
}

func describe(obj client.Object, key types.NamespacedName) string {
	return fmt.Sprintf("%T %s", obj, key)
}
