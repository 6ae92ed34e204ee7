package provider

import (
	"testing"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	controlplanev1beta1 "github.com/capt-controlplane/capt-controlplane/apis/controlplane/v1beta1"
	tfv1beta1 "github.com/capt-controlplane/capt-controlplane/apis/external/tf/v1beta1"
	infrastructurev1beta1 "github.com/capt-controlplane/capt-controlplane/apis/infrastructure/v1beta1"
	"github.com/capt-controlplane/capt-controlplane/test/testenv"
)

// TestProviderUpgradeUnderARunningManager: provider-terraform v0.18.0 runs
// the first control plane's Terraform; then, while bin/manager keeps
// running, v1.1.1's CRDs replace v0.18.0's and v1.1.1 replaces the
// provider, as Crossplane's package manager upgrades it. Nobody restarts
// the manager: the first control plane stays mirrored throughout (never an
// empty atProvider) and its template change reaches Terraform through v1;
// a control plane created after the upgrade gets v1's namespaced kind.
func TestProviderUpgradeUnderARunningManager(t *testing.T) {
	g := NewWithT(t)
	env, _, admin, provider := startWithProvider(t, "v0")
	c := env.Client
	ctx := t.Context()

	g.Expect(c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: namespace}})).To(Succeed())
	g.Expect(testenv.ProvideAWSCredentials(ctx, c, "default")).To(Succeed())
	setBackend(t, c, admin)
	template := newTemplate(t, c, "eks", "", nil)
	_, before := newClusterWithControlPlane(t, c, "before", template.Name)
	// A template with v1's remotePullPolicy: refused while v0 serves the
	// Workspace, rendered once v1 does.
	pulled := newTemplate(t, c, "pulled", "", nil, func(tmpl *infrastructurev1beta1.WorkspaceTemplate) {
		tmpl.Spec.Template.Spec.ForProvider.RemotePullPolicy = "IfNotPresent"
	})
	_, waiting := newClusterWithControlPlane(t, c, "waiting", pulled.Name)
	history := watchMirror(t, env, before)
	beforeWorkspace := types.NamespacedName{Name: "before-eks-controlplane"} // v0 has only the cluster-scoped kind
	waitMirrorOfProvider(t, c, before, beforeWorkspace, revision("before", "1"))
	mirrored := len(history.snapshot())
	g.Eventually(func(g Gomega) {
		cp := &controlplanev1beta1.CAPTControlPlane{}
		g.Expect(c.Get(ctx, waiting, cp)).To(Succeed())
		ready := meta.FindStatusCondition(cp.Status.Conditions, controlplanev1beta1.ConditionReady)
		g.Expect(ready).NotTo(BeNil())
		g.Expect(ready.Reason).To(Equal(infrastructurev1beta1.ReasonFieldNotServed))
	}, timeout, poll).Should(Succeed())

	// The upgrade: v1.1.1's CRDs over v0.18.0's, then the new provider.
	provider.stop()
	testenv.KubectlApply(t, env, "--server-side", "--force-conflicts", "-f", testenv.ProviderTerraformCRDs("v1"))
	testenv.RunKubectl(t, env, "wait", "--for=condition=established", "--timeout=60s",
		"crd/workspaces.tf.upbound.io", "crd/workspaces.tf.m.upbound.io", "crd/clusterproviderconfigs.tf.m.upbound.io")
	// A client that knows the kinds v1 added.
	c, err := client.New(env.Config, client.Options{Scheme: env.Scheme})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(testenv.ProvideAWSCredentials(ctx, c, "default")).To(Succeed())
	setBackend(t, c, admin)
	startProvider(t, "v1", admin)

	t.Run("the control plane of before the upgrade stays mirrored, and its template change reaches Terraform through v1", func(t *testing.T) {
		g := NewWithT(t)
		g.Expect(c.Get(ctx, client.ObjectKeyFromObject(template), template)).To(Succeed())
		template.Spec.Template.Spec.ForProvider.Vars[3].Value = "2"
		g.Expect(c.Update(ctx, template)).To(Succeed())
		waitMirrorOfProvider(t, c, before, beforeWorkspace, revision("before", "2"))
		for _, seen := range history.snapshot()[mirrored:] {
			g.Expect(seen).NotTo(BeEmpty(), "the mirror's atProvider was empty during the upgrade")
		}
	})

	t.Run("a template refused under v0's schema renders under v1's", func(t *testing.T) {
		waitMirrorOfProvider(t, c, waiting, types.NamespacedName{Namespace: namespace, Name: "waiting-eks-controlplane"}, revision("waiting", "1"))
	})

	t.Run("a control plane created after the upgrade gets v1's namespaced kind", func(t *testing.T) {
		_, after := newClusterWithControlPlane(t, c, "after", template.Name)
		waitMirrorOfProvider(t, c, after, types.NamespacedName{Namespace: namespace, Name: "after-eks-controlplane"}, revision("after", "2"))
	})
}

// revision checks the module's revision output of cluster name.
func revision(name, revision string) func(Gomega, tfv1beta1.AnyWorkspace) {
	return func(g Gomega, ws tfv1beta1.AnyWorkspace) {
		g.Expect(string(tfv1beta1.ObservationOf(ws.Observed().AtProvider).Output("revision"))).To(Equal(`"` + name + `/1.31/` + revision + `"`))
	}
}
