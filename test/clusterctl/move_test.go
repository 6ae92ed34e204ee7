//go:build clusterctlmove

// Package clusterctl installs the provider with clusterctl, from a local
// repository built from the release artifacts, on two local API servers,
// provisions a CAPT cluster on the first and moves it to the second with
// `clusterctl move`, bin/manager running on both (docs/move.md).
//
// Not in `make test` yet (issue 26, open): docs/move.md says why (runs
// that saw the namespaced Workspace arrive without its controller
// ownerReference, not understood). Run it with `go test -tags
// clusterctlmove ./test/clusterctl`.
package clusterctl

import (
	"encoding/base64"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
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
	"github.com/capt-controlplane/capt-controlplane/test/testenv"
)

const (
	namespace  = "moving"
	name       = "moved"
	workspace  = name + "-eks-controlplane"
	timeout    = 60 * time.Second
	poll       = 200 * time.Millisecond
	syncPeriod = 2 * time.Second
)

var outputs = map[string]any{
	"cluster_endpoint":                   "https://0123456789ABCDEF.gr7.ap-northeast-1.eks.amazonaws.com",
	"cluster_name":                       "moved-eks",
	"cluster_certificate_authority_data": base64.StdEncoding.EncodeToString([]byte("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n")),
}

// cluster is one management cluster: its API server, its admin kubeconfig
// and the manager running there.
type cluster struct {
	env        *testenv.Env
	kubeconfig string
	manager    *testenv.Process
}

// managementCluster starts an API server with provider-terraform's CRDs and
// Cluster API's, installs the provider with clusterctl init from the local
// repository, and runs bin/manager as the ServiceAccount clusterctl
// installed.
func managementCluster(t *testing.T, config string) *cluster {
	t.Helper()
	g := NewWithT(t)
	crds, err := testenv.ClusterAPICRDs()
	g.Expect(err).NotTo(HaveOccurred())
	env, err := testenv.StartWithClusterAPI(testenv.ProviderTerraformGeneration(), crds, nil)
	g.Expect(err).NotTo(HaveOccurred())
	t.Cleanup(func() { _ = env.Stop() })
	kubeconfig, err := env.KubeconfigFile(t.TempDir())
	g.Expect(err).NotTo(HaveOccurred())
	certManagerStandIn(t, env.Client)
	clusterctl(t, config, "init", "--kubeconfig", kubeconfig,
		"--core", "cluster-api:"+clusterAPIVersion, "--bootstrap", "kubeadm:"+clusterAPIVersion, "--control-plane", "capt:"+captVersion)
	// The admin's step of docs/move.md: move finds the namespaced Workspaces.
	labelCRD(t, env.Client, "workspaces.tf.m.upbound.io", "clusterctl.cluster.x-k8s.io")
	g.Expect(testenv.ProvideAWSCredentials(t.Context(), env.Client, "default")).To(Succeed())
	manager, metricsURL := testenv.StartManagerBinary(t, env, syncPeriod)
	testenv.WaitControllersStarted(t, metricsURL)
	return &cluster{env: env, kubeconfig: kubeconfig, manager: manager}
}

func labelCRD(t *testing.T, c client.Client, name, label string) {
	t.Helper()
	crd := &apiextensionsv1.CustomResourceDefinition{ObjectMeta: metav1.ObjectMeta{Name: name}}
	NewWithT(t).Expect(c.Patch(t.Context(), crd, client.RawPatch(types.MergePatchType,
		[]byte(`{"metadata":{"labels":{"`+label+`":""}}}`)))).To(Succeed())
}

// TestMoveKeepsTheCluster: clusterctl init installs the provider from its
// release artifacts with every object labelled and no variable left; a
// provisioned CAPT cluster moved with clusterctl move ends on the target
// with the same Workspace (and its connection Secret and template), the
// status rebuilt from it, and nothing deleted by either manager; the
// source's Workspace was paused for provider-terraform before move deleted
// it.
func TestMoveKeepsTheCluster(t *testing.T) {
	g := NewWithT(t)
	config := repository(t, t.TempDir())
	source := managementCluster(t, config)
	target := managementCluster(t, config)
	ctx := t.Context()

	t.Run("installed as clusterctl installs providers", func(t *testing.T) {
		g := NewWithT(t)
		deployment := &metav1.PartialObjectMetadata{}
		deployment.SetGroupVersionKind(corev1.SchemeGroupVersion.WithKind("Namespace"))
		g.Expect(source.env.Client.Get(ctx, types.NamespacedName{Name: "capt-system"}, deployment)).To(Succeed())
		g.Expect(deployment.Labels).To(HaveKeyWithValue("cluster.x-k8s.io/provider", "control-plane-capt"))
		g.Expect(deployment.Labels).To(HaveKey("clusterctl.cluster.x-k8s.io"))
	})

	// A provisioned cluster on the source.
	src := source.env.Client
	g.Expect(src.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: namespace}})).To(Succeed())
	g.Expect(src.Create(ctx, &infrastructurev1beta1.WorkspaceTemplate{
		ObjectMeta: metav1.ObjectMeta{Name: "eks", Namespace: namespace},
		Spec: infrastructurev1beta1.WorkspaceTemplateSpec{
			WorkspaceScope: infrastructurev1beta1.WorkspaceScopeNamespaced,
			Template: infrastructurev1beta1.WorkspaceTemplateDefinition{Spec: tfv1beta1.WorkspaceSpec{
				ForProvider: tfv1beta1.WorkspaceParameters{Source: tfv1beta1.ModuleSourceRemote, Module: "git::https://example.com/eks.git",
					Vars: []tfv1beta1.Var{{Key: "cluster_name", Value: "${cluster_name}"}}},
			}},
			WriteConnectionSecretToRef: &infrastructurev1beta1.SecretReference{Name: "${WORKSPACE_NAME}-outputs"},
		},
	})).To(Succeed())
	paused := false
	capi := &clusterv1.Cluster{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: namespace}, Spec: clusterv1.ClusterSpec{
		Paused:          &paused,
		ControlPlaneRef: clusterv1.ContractVersionedObjectReference{APIGroup: controlplanev1beta1.GroupVersion.Group, Kind: "CAPTControlPlane", Name: name},
	}}
	g.Expect(src.Create(ctx, capi)).To(Succeed())
	cp := &controlplanev1beta1.CAPTControlPlane{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: namespace, OwnerReferences: []metav1.OwnerReference{{
			APIVersion: clusterv1.GroupVersion.String(), Kind: "Cluster", Name: capi.Name, UID: capi.UID,
		}}},
		Spec: controlplanev1beta1.CAPTControlPlaneSpec{Version: "1.31",
			WorkspaceTemplateRef: controlplanev1beta1.WorkspaceTemplateReference{Name: "eks"},
			ControlPlaneConfig:   &controlplanev1beta1.ControlPlaneConfig{Region: "ap-northeast-1"}},
	}
	g.Expect(src.Create(ctx, cp)).To(Succeed())
	wsKey := types.NamespacedName{Namespace: namespace, Name: workspace}
	g.Eventually(func() error { return src.Get(ctx, wsKey, &tfmv1beta1.Workspace{}) }, timeout, poll).Should(Succeed())
	g.Expect(testenv.Provide(ctx, src, wsKey, testenv.Observation{Ready: true, Reason: tfv1beta1.ReasonAvailable, Outputs: outputs})).To(Succeed())
	waitReady(t, src)
	// What Cluster API's controller would report of a provisioned cluster;
	// move refuses a Cluster still provisioning.
	provisioned := true
	capi.Status.Initialization = clusterv1.ClusterInitializationStatus{InfrastructureProvisioned: &provisioned, ControlPlaneInitialized: &provisioned}
	capi.Status.Conditions = []metav1.Condition{{Type: clusterv1.ClusterControlPlaneInitializedCondition, Status: metav1.ConditionTrue,
		Reason: clusterv1.ClusterControlPlaneInitializedReason, LastTransitionTime: metav1.Now()}}
	g.Expect(src.Status().Update(ctx, capi)).To(Succeed())

	mark := source.manager.Requests.Mark()
	out := clusterctl(t, config, "move", "--kubeconfig", source.kubeconfig, "--to-kubeconfig", target.kubeconfig, "--namespace", namespace)
	t.Logf("clusterctl move:\n%s", out)

	dst := target.env.Client
	t.Run("the source's manager paused the Workspace and deleted nothing", func(t *testing.T) {
		g := NewWithT(t)
		counts := testenv.CountByKey(testenv.Writes(source.manager.Requests.Since(mark)))
		for key := range counts {
			g.Expect(key).NotTo(HavePrefix("delete"), "%v", counts)
		}
		g.Expect(counts).To(HaveKey("apply workspaces.tf.m.upbound.io (capt-workspacetemplateapply)"), "the pause carried to the Workspace: %v", counts)
	})
	t.Run("everything arrived", func(t *testing.T) {
		g := NewWithT(t)
		for _, obj := range []client.Object{
			&controlplanev1beta1.CAPTControlPlane{ObjectMeta: metav1.ObjectMeta{Name: name}},
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

	// On the target: the Workspace moved is the one kept (no new one), the
	// pause is taken away once move unpaused the Cluster, and the status
	// is rebuilt from what provider-terraform there observes.
	moved := &tfmv1beta1.Workspace{}
	g.Expect(dst.Get(ctx, wsKey, moved)).To(Succeed())
	g.Eventually(func(g Gomega) {
		got := &tfmv1beta1.Workspace{}
		g.Expect(dst.Get(ctx, wsKey, got)).To(Succeed())
		g.Expect(got.UID).To(Equal(moved.UID), "a new Workspace on the target")
		g.Expect(got.Annotations).NotTo(HaveKey(tfv1beta1.AnnotationPaused))
	}, timeout, poll).Should(Succeed())
	g.Expect(testenv.Provide(ctx, dst, wsKey, testenv.Observation{Ready: true, Reason: tfv1beta1.ReasonAvailable, Outputs: outputs})).To(Succeed())
	waitReady(t, dst)
	got := &controlplanev1beta1.CAPTControlPlane{}
	g.Expect(dst.Get(ctx, types.NamespacedName{Namespace: namespace, Name: name}, got)).To(Succeed())
	g.Expect(got.Status.WorkspaceStatus).NotTo(BeNil())
	g.Expect(string(got.Status.WorkspaceStatus.AtProvider.Raw)).To(ContainSubstring("moved-eks"))
	final := &tfmv1beta1.Workspace{}
	g.Expect(dst.Get(ctx, wsKey, final)).To(Succeed())
	g.Expect(final.UID).To(Equal(moved.UID))
	for key := range testenv.CountByKey(testenv.Writes(target.manager.Requests.Since(0))) {
		g.Expect(strings.HasPrefix(key, "delete")).To(BeFalse(), "the target's manager sent %s", key)
	}
}

// waitReady waits until the control plane is Ready with its endpoint.
func waitReady(t *testing.T, c client.Client) {
	t.Helper()
	NewWithT(t).Eventually(func(g Gomega) {
		got := &controlplanev1beta1.CAPTControlPlane{}
		g.Expect(c.Get(t.Context(), types.NamespacedName{Namespace: namespace, Name: name}, got)).To(Succeed())
		ready := meta.FindStatusCondition(got.Status.Conditions, controlplanev1beta1.ConditionReady)
		g.Expect(ready).NotTo(BeNil())
		g.Expect(ready.Status).To(Equal(metav1.ConditionTrue), ready.Message)
		g.Expect(got.Spec.ControlPlaneEndpoint.Host).NotTo(BeEmpty())
	}, timeout, poll).Should(Succeed())
}
