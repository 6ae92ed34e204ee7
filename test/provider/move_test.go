package provider

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	"sigs.k8s.io/controller-runtime/pkg/client"

	tfv1beta1 "github.com/capt-controlplane/capt-controlplane/apis/external/tf/v1beta1"
	tfmv1beta1 "github.com/capt-controlplane/capt-controlplane/apis/external/tfm/v1beta1"
	infrastructurev1beta1 "github.com/capt-controlplane/capt-controlplane/apis/infrastructure/v1beta1"
	"github.com/capt-controlplane/capt-controlplane/test/testenv"
)

// managementCluster is one API server with Cluster API's core and this
// provider installed by clusterctl init, bin/manager as the installed
// ServiceAccount, and provider-terraform v1 keeping its Terraform state
// in this API server.
type managementCluster struct {
	env        *testenv.Env
	kubeconfig string
	manager    *testenv.Process
	provider   *providerProcess
}

func newManagementCluster(t *testing.T, config string) *managementCluster {
	t.Helper()
	g := NewWithT(t)
	crds, err := testenv.ClusterAPICRDs()
	g.Expect(err).NotTo(HaveOccurred())
	env, err := testenv.StartWithClusterAPI("v1", crds, nil)
	g.Expect(err).NotTo(HaveOccurred())
	t.Cleanup(func() { _ = env.Stop() })
	kubeconfig, err := env.KubeconfigFile(t.TempDir())
	g.Expect(err).NotTo(HaveOccurred())
	testenv.InitWithClusterctl(t, env, config, kubeconfig, true)
	g.Expect(testenv.ProvideAWSCredentials(t.Context(), env.Client, "default")).To(Succeed())
	setBackend(t, env.Client, kubeconfig)
	manager, metricsURL := testenv.StartManagerBinary(t, env, time.Minute)
	testenv.WaitControllersStarted(t, metricsURL)
	return &managementCluster{env: env, kubeconfig: kubeconfig, manager: manager}
}

// TestMoveWithTheRealProvider moves a CAPT cluster that provider-terraform
// v1 (OpenTofu) applied, with clusterctl move, following docs/move.md: the
// admin copies the Terraform state Secret to the target first. Nothing is
// destroyed on the source (its state still holds the resource, its
// provider never deleted anything), and the target's provider-terraform
// takes the moved Workspace up with the same state: the same resource, not
// a second one, and the control plane's status rebuilt from it.
func TestMoveWithTheRealProvider(t *testing.T) {
	g := NewWithT(t)
	ctx := t.Context()
	config := testenv.ClusterctlRepository(t, t.TempDir())
	source := newManagementCluster(t, config)
	target := newManagementCluster(t, config)
	src, dst := source.env.Client, target.env.Client
	// provider-terraform always serves its metrics on :8080, so one runs
	// at a time here: the source's until it has seen the move through.
	source.provider = startProvider(t, "v1", source.kubeconfig)

	cluster, key, workspace := provisionWithTerraform(t, src)
	stateKey := stateKeyOf(workspace)
	state := &corev1.Secret{}
	g.Expect(src.Get(ctx, stateKey, state)).To(Succeed())
	resources := stateResourceIDs(t, state)
	g.Expect(resources).To(HaveLen(1))
	testenv.ReportProvisioned(t, src, cluster)

	// docs/move.md, step 2: the in-cluster state goes to the target first.
	g.Expect(dst.Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: stateKey.Namespace, Name: stateKey.Name, Labels: state.Labels},
		Type: state.Type, Data: state.Data})).To(Succeed())

	sourceMark := source.manager.Requests.Mark()
	t.Logf("clusterctl move:\n%s", testenv.Clusterctl(t, config, "move", "--kubeconfig", source.kubeconfig, "--to-kubeconfig", target.kubeconfig, "--namespace", namespace))

	moved := &tfmv1beta1.Workspace{}
	g.Expect(dst.Get(ctx, workspace, moved)).To(Succeed())
	t.Run("nothing was destroyed on the source", func(t *testing.T) {
		g := NewWithT(t)
		// Longer than the source's provider takes to act on a deletion.
		g.Consistently(func(g Gomega) {
			got := &corev1.Secret{}
			g.Expect(src.Get(ctx, stateKey, got)).To(Succeed())
			g.Expect(stateResourceIDs(t, got)).To(Equal(resources))
		}, 15*time.Second, time.Second).Should(Succeed())
		g.Expect(source.provider.log()).NotTo(ContainSubstring("deletion of external resource"))
		g.Expect(testenv.Writes(source.manager.Requests.Since(sourceMark))).NotTo(ContainElement(HaveField("Verb", "delete")))
	})
	source.provider.stop()
	target.provider = startProvider(t, "v1", target.kubeconfig)
	t.Run("the target's provider-terraform takes up the same resource", func(t *testing.T) {
		g := NewWithT(t)
		waitMirrorOfProvider(t, dst, key, workspace, nil)
		g.Eventually(target.provider.observations, timeout, poll).Should(BeNumerically(">", 0), "the moved Workspace found up to date")
		got := &corev1.Secret{}
		g.Expect(dst.Get(ctx, stateKey, got)).To(Succeed())
		g.Expect(stateResourceIDs(t, got)).To(Equal(resources), "a second resource, or the one replaced")
		ws := &tfmv1beta1.Workspace{}
		g.Expect(dst.Get(ctx, workspace, ws)).To(Succeed())
		g.Expect(ws.UID).To(Equal(moved.UID), "a new Workspace on the target")
		g.Expect(testenv.Writes(target.manager.Requests.Since(0))).NotTo(ContainElement(HaveField("Verb", "delete")))
	})
}

// stateResourceIDs are the ids of every resource instance in a kubernetes
// backend state Secret, "<type>.<name>=<id>".
func stateResourceIDs(t *testing.T, state *corev1.Secret) []string {
	t.Helper()
	g := NewWithT(t)
	r, err := gzip.NewReader(bytes.NewReader(state.Data["tfstate"]))
	g.Expect(err).NotTo(HaveOccurred())
	raw, err := io.ReadAll(r)
	g.Expect(err).NotTo(HaveOccurred())
	var s struct {
		Resources []struct {
			Type, Name string
			Instances  []struct {
				Attributes struct {
					ID string `json:"id"`
				} `json:"attributes"`
			} `json:"instances"`
		} `json:"resources"`
	}
	g.Expect(json.Unmarshal(raw, &s)).To(Succeed())
	var ids []string
	for _, res := range s.Resources {
		for _, in := range res.Instances {
			ids = append(ids, strings.Join([]string{res.Type, res.Name}, ".")+"="+in.Attributes.ID)
		}
	}
	return ids
}

// TestDeletedForMoveNeverDestroys takes clusterctl move's three steps on a
// source Workspace — its delete-for-move annotation (a JSON patch that
// replaces every annotation, crossplane.io/paused included), the delete,
// the finalizers taken away — with time between the last two for the real
// provider-terraform to act on a Workspace being deleted, and the manager
// stopped, so that only what its hold left protects the Workspace. The
// Cluster is paused, as move pauses it first: nothing may be destroyed.
func TestDeletedForMoveNeverDestroys(t *testing.T) {
	g := NewWithT(t)
	ctx := t.Context()
	crds, err := testenv.ClusterAPICRDs()
	g.Expect(err).NotTo(HaveOccurred())
	env, err := testenv.StartWithClusterAPI("v1", crds, nil)
	g.Expect(err).NotTo(HaveOccurred())
	t.Cleanup(func() { _ = env.Stop() })
	c := env.Client
	testenv.InstallConfigDefault(t, env)
	manager, metricsURL := testenv.StartManagerBinary(t, env, time.Minute)
	testenv.WaitControllersStarted(t, metricsURL)
	admin, err := env.KubeconfigFile(t.TempDir())
	g.Expect(err).NotTo(HaveOccurred())
	provider := startProvider(t, "v1", admin)
	g.Expect(testenv.ProvideAWSCredentials(ctx, c, "default")).To(Succeed())
	setBackend(t, c, admin)

	cluster, _, workspace := provisionWithTerraform(t, c)
	stateKey := stateKeyOf(workspace)
	state := &corev1.Secret{}
	g.Expect(c.Get(ctx, stateKey, state)).To(Succeed())
	resources := stateResourceIDs(t, state)
	g.Expect(resources).To(HaveLen(1))

	// Move pauses the Cluster; the manager carries the pause.
	paused := true
	cluster.Spec.Paused = &paused
	g.Expect(c.Update(ctx, cluster)).To(Succeed())
	ws := &tfmv1beta1.Workspace{}
	g.Eventually(func(g Gomega) {
		g.Expect(c.Get(ctx, workspace, ws)).To(Succeed())
		g.Expect(ws.Annotations).To(HaveKeyWithValue(tfv1beta1.AnnotationPaused, "true"))
	}, timeout, poll).Should(Succeed())

	// The manager would pause the Workspace again as soon as it sees the
	// pause gone; stopped, it cannot: what holds is what it left.
	manager.Stop()

	// clusterctl's deleteSourceObject, slowly.
	g.Expect(c.Patch(ctx, ws, client.RawPatch(types.JSONPatchType,
		[]byte(`[{"op":"add","path":"/metadata/annotations","value":{"clusterctl.cluster.x-k8s.io/delete-for-move":""}}]`)))).To(Succeed())
	g.Expect(c.Delete(ctx, ws)).To(Succeed())
	g.Consistently(func(g Gomega) {
		got := &corev1.Secret{}
		g.Expect(c.Get(ctx, stateKey, got)).To(Succeed())
		g.Expect(stateResourceIDs(t, got)).To(Equal(resources), "terraform destroy ran")
	}, 20*time.Second, time.Second).Should(Succeed())
	g.Expect(provider.log()).NotTo(ContainSubstring("deletion of external resource"))
	err = c.Patch(ctx, ws, client.RawPatch(types.MergePatchType, []byte(`{"metadata":{"finalizers":[]}}`)))
	g.Expect(client.IgnoreNotFound(err)).To(Succeed())
}

// provisionWithTerraform creates a Cluster and its CAPT control plane in
// namespace on c, whose template runs the inline module, and waits until
// Terraform applied it and the control plane mirrors it. It returns the
// Cluster, the control plane's key and the Workspace's.
func provisionWithTerraform(t *testing.T, src client.Client) (*clusterv1.Cluster, types.NamespacedName, types.NamespacedName) {
	t.Helper()
	g := NewWithT(t)
	ctx := t.Context()
	g.Expect(src.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: namespace}})).To(Succeed())
	g.Expect(src.Create(ctx, &infrastructurev1beta1.WorkspaceTemplate{
		ObjectMeta: metav1.ObjectMeta{Name: "eks", Namespace: namespace},
		Spec: infrastructurev1beta1.WorkspaceTemplateSpec{WorkspaceScope: infrastructurev1beta1.WorkspaceScopeNamespaced, Template: infrastructurev1beta1.WorkspaceTemplateDefinition{
			Spec: tfv1beta1.WorkspaceSpec{ForProvider: tfv1beta1.WorkspaceParameters{
				Source: tfv1beta1.ModuleSourceInline, Module: module, InlineFormat: "HCL",
				Vars: []tfv1beta1.Var{
					{Key: "cluster_name", Value: "${cluster_name}"}, {Key: "region", Value: "${region}"},
					{Key: "kubernetes_version", Value: "${kubernetes_version}"}, {Key: "revision", Value: "1"},
				},
			}},
		}},
	})).To(Succeed())
	cluster := testenv.CreateCAPTCluster(t, src, namespace, name, "eks")
	key := types.NamespacedName{Namespace: namespace, Name: name}
	workspace := types.NamespacedName{Namespace: namespace, Name: name + "-eks-controlplane"}
	waitMirrorOfProvider(t, src, key, workspace, nil)
	return cluster, key, workspace
}
