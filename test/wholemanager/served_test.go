package wholemanager

import (
	"encoding/base64"
	"strings"
	"testing"

	. "github.com/onsi/gomega"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	"sigs.k8s.io/controller-runtime/pkg/client"

	controlplanev1beta1 "github.com/capt-controlplane/capt-controlplane/apis/controlplane/v1beta1"
	tfv1beta1 "github.com/capt-controlplane/capt-controlplane/apis/external/tf/v1beta1"
	tfmv1beta1 "github.com/capt-controlplane/capt-controlplane/apis/external/tfm/v1beta1"
	infrastructurev1beta1 "github.com/capt-controlplane/capt-controlplane/apis/infrastructure/v1beta1"
	"github.com/capt-controlplane/capt-controlplane/internal/kubeconfigs"
	"github.com/capt-controlplane/capt-controlplane/test/testenv"
)

// servedShard is the watch filter of TestProviderTerraformAsServed's
// manager: its own lease, so that it need not wait out the lease another
// test's killed manager still holds, and its own control planes.
const servedShard = "served"

// TestProviderTerraformAsServed: bin/manager, as shipped, reads which
// Workspace kinds and fields the installed provider-terraform serves.
// A template with a field the installed generation does not serve
// (v1: spec.publishConnectionDetailsTo; v0: spec.forProvider.remotePullPolicy)
// renders nothing and says FieldNotServed on the control plane; and (where
// both kinds are served) a control plane that has a cluster-scoped
// Workspace keeps it when its template switches to the namespaced kind:
// the change reaches that Workspace and no namespaced one is ever sent.
// A control plane whose CA is a sensitive output (only in the Workspace's
// connection Secret) gets it into both kubeconfigs, and its idle resyncs
// read no Secret from the API server.
func TestProviderTerraformAsServed(t *testing.T) {
	g := NewWithT(t)
	ctx := t.Context()
	const ns = "served"
	testenv.InstallConfigDefault(t, env)
	newNamespace(t, env, ns)
	g.Expect(testenv.ProvideAWSCredentials(ctx, env.Client, "default")).To(Succeed())

	unserved := &infrastructurev1beta1.WorkspaceTemplate{
		ObjectMeta: metav1.ObjectMeta{Name: "unserved", Namespace: ns},
		Spec: infrastructurev1beta1.WorkspaceTemplateSpec{WorkspaceScope: testenv.WorkspaceScope(), Template: infrastructurev1beta1.WorkspaceTemplateDefinition{Spec: tfv1beta1.WorkspaceSpec{
			ForProvider: tfv1beta1.WorkspaceParameters{Source: tfv1beta1.ModuleSourceRemote, Module: "git::https://example.com/eks.git"},
		}}},
	}
	field := testenv.WithUnservedField(&unserved.Spec.Template.Spec)
	g.Expect(env.Client.Create(ctx, unserved)).To(Succeed())
	cluster := infrastructurev1beta1.WorkspaceScopeCluster
	kept := &infrastructurev1beta1.WorkspaceTemplate{
		ObjectMeta: metav1.ObjectMeta{Name: "kept", Namespace: ns},
		Spec: infrastructurev1beta1.WorkspaceTemplateSpec{WorkspaceScope: cluster, Template: infrastructurev1beta1.WorkspaceTemplateDefinition{Spec: tfv1beta1.WorkspaceSpec{
			ForProvider: tfv1beta1.WorkspaceParameters{Source: tfv1beta1.ModuleSourceRemote, Module: "git::https://example.com/eks.git"},
		}}},
	}
	g.Expect(env.Client.Create(ctx, kept)).To(Succeed())
	sensitive := &infrastructurev1beta1.WorkspaceTemplate{
		ObjectMeta: metav1.ObjectMeta{Name: "sensitive", Namespace: ns},
		Spec: infrastructurev1beta1.WorkspaceTemplateSpec{WorkspaceScope: testenv.WorkspaceScope(), Template: infrastructurev1beta1.WorkspaceTemplateDefinition{Spec: tfv1beta1.WorkspaceSpec{
			ForProvider: tfv1beta1.WorkspaceParameters{Source: tfv1beta1.ModuleSourceRemote, Module: "git::https://example.com/eks.git",
				Vars: []tfv1beta1.Var{{Key: "cluster_name", Value: "${cluster_name}"}}},
		}}, WriteConnectionSecretToRef: &infrastructurev1beta1.SecretReference{Name: "${WORKSPACE_NAME}-outputs"}},
	}
	g.Expect(env.Client.Create(ctx, sensitive)).To(Succeed())

	p, metricsURL := testenv.StartManagerBinary(t, env, syncPeriod, "--watch-filter", servedShard)
	testenv.WaitControllersStarted(t, metricsURL)
	mark := p.Requests.Mark()
	newShardControlPlane(t, ns, "unserved", unserved.Name)
	newShardControlPlane(t, ns, "kept", kept.Name)
	newShardControlPlane(t, ns, "sensitive", sensitive.Name)

	t.Run("a field the installed generation does not serve: FieldNotServed, nothing rendered", func(t *testing.T) {
		g := NewWithT(t)
		g.Eventually(func(g Gomega) {
			cp := &controlplanev1beta1.CAPTControlPlane{}
			g.Expect(env.Client.Get(ctx, types.NamespacedName{Namespace: ns, Name: "unserved"}, cp)).To(Succeed())
			ready := meta.FindStatusCondition(cp.Status.Conditions, controlplanev1beta1.ConditionReady)
			g.Expect(ready).NotTo(BeNil())
			g.Expect(ready.Status).To(Equal(metav1.ConditionFalse))
			g.Expect(ready.Reason).To(Equal(infrastructurev1beta1.ReasonFieldNotServed))
			g.Expect(ready.Message).To(ContainSubstring("has no " + field))
		}, timeout, poll).Should(Succeed())
		key := testenv.WorkspaceKey(ns, "unserved-eks-controlplane")
		g.Expect(apierrors.IsNotFound(env.Client.Get(ctx, key, testenv.NewWorkspace(key)))).To(BeTrue(), "a Workspace was rendered")
		for _, r := range p.Requests.Since(mark) {
			g.Expect(r.Write() && strings.HasPrefix(r.Resource, "workspaces.") && r.Name == key.Name).To(BeFalse(), "bin/manager sent %s %s", r.Key(), r.Name)
		}
	})

	t.Run("a sensitive CA reaches both kubeconfigs; idle resyncs read no Secret", func(t *testing.T) {
		g := NewWithT(t)
		key := testenv.WorkspaceKey(ns, "sensitive-eks-controlplane")
		g.Eventually(func() error { _, err := testenv.GetWorkspace(ctx, env.Client, key); return err }, timeout, poll).Should(Succeed())
		const ca = "-----BEGIN CERTIFICATE-----\nsensitive\n-----END CERTIFICATE-----\n"
		g.Expect(testenv.Provide(ctx, env.Client, key, testenv.Observation{
			Ready: true, Reason: tfv1beta1.ReasonAvailable, Checksum: "v1", Sensitive: []string{kubeconfigs.OutputCA},
			Outputs: map[string]any{"cluster_endpoint": "https://sensitive.example.com", kubeconfigs.OutputCA: base64.StdEncoding.EncodeToString([]byte(ca))},
		})).To(Succeed())
		testenv.WaitKubeconfigCAs(t, env.Client, ns, "sensitive", []byte(ca), timeout, poll)
		// Settled: several resyncs of every control plane of the shard
		// (three), with no write and no read of a Secret.
		testenv.WaitReconciles(t, metricsURL, 3, timeout)
		idle := p.Requests.Mark()
		testenv.WaitReconciles(t, metricsURL, 3*4, timeout)
		var gets []string
		for _, r := range p.Requests.Since(idle) {
			if r.Verb == "get" && r.Resource == "secrets" {
				gets = append(gets, r.Namespace+"/"+r.Name)
			}
		}
		g.Expect(gets).To(BeEmpty(), "Secrets read during four idle resyncs")
		g.Expect(testenv.Writes(p.Requests.Since(idle))).To(BeEmpty())
	})

	t.Run("a control plane keeps its cluster-scoped Workspace when its template switches kind", func(t *testing.T) {
		if testenv.ProviderTerraformGeneration() == "v0" {
			t.Skip("provider-terraform v0 serves one kind of Workspace")
		}
		g := NewWithT(t)
		clusterKey := types.NamespacedName{Name: "kept-eks-controlplane"}
		ws := &tfv1beta1.Workspace{}
		g.Eventually(func() error { return env.Client.Get(ctx, clusterKey, ws) }, timeout, poll).Should(Succeed())
		switched := p.Requests.Mark()
		g.Eventually(func() error {
			tmpl := &infrastructurev1beta1.WorkspaceTemplate{}
			if err := env.Client.Get(ctx, client.ObjectKeyFromObject(kept), tmpl); err != nil {
				return err
			}
			tmpl.Spec.WorkspaceScope = infrastructurev1beta1.WorkspaceScopeNamespaced
			tmpl.Spec.Template.Spec.ForProvider.Entrypoint = "modules/eks"
			return env.Client.Update(ctx, tmpl)
		}, timeout, poll).Should(Succeed())
		g.Eventually(func(g Gomega) {
			got := &tfv1beta1.Workspace{}
			g.Expect(env.Client.Get(ctx, clusterKey, got)).To(Succeed())
			g.Expect(got.UID).To(Equal(ws.UID))
			g.Expect(got.Spec.ForProvider.Entrypoint).To(Equal("modules/eks"))
		}, timeout, poll).Should(Succeed(), "the template change reaches the cluster-scoped Workspace")
		g.Consistently(func() bool {
			return apierrors.IsNotFound(env.Client.Get(ctx, types.NamespacedName{Namespace: ns, Name: clusterKey.Name}, &tfmv1beta1.Workspace{}))
		}, 3*syncPeriod, poll).Should(BeTrue(), "a namespaced Workspace for a control plane that has a cluster-scoped one")
		for _, r := range p.Requests.Since(switched) {
			g.Expect(r.Write() && r.Resource == "workspaces.tf.m.upbound.io" && r.Name == clusterKey.Name).To(BeFalse(), "bin/manager sent %s %s/%s", r.Key(), r.Namespace, r.Name)
		}
	})
}

// newShardControlPlane creates a control plane of servedShard and its
// Cluster, from the template called template.
func newShardControlPlane(t *testing.T, ns, name, template string) {
	t.Helper()
	g := NewWithT(t)
	labels := map[string]string{clusterv1.WatchLabel: servedShard}
	paused := false
	cluster := &clusterv1.Cluster{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, Labels: labels}, Spec: clusterv1.ClusterSpec{Paused: &paused}}
	g.Expect(env.Client.Create(t.Context(), cluster)).To(Succeed())
	g.Expect(env.Client.Create(t.Context(), &controlplanev1beta1.CAPTControlPlane{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, Labels: labels, OwnerReferences: []metav1.OwnerReference{{
			APIVersion: clusterv1.GroupVersion.String(), Kind: "Cluster", Name: cluster.Name, UID: cluster.UID,
		}}},
		Spec: controlplanev1beta1.CAPTControlPlaneSpec{
			Version:              "1.31",
			WorkspaceTemplateRef: controlplanev1beta1.WorkspaceTemplateReference{Name: template},
			ControlPlaneConfig:   &controlplanev1beta1.ControlPlaneConfig{Region: "ap-northeast-1"},
		},
	})).To(Succeed())
}
