package clusterctl

import (
	"encoding/base64"
	"testing"
	"time"

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

const (
	namespace  = "moving"
	name       = "moved"
	workspace  = name + "-eks-controlplane"
	applyName  = name + "-eks-controlplane-apply"
	timeout    = 60 * time.Second
	poll       = 200 * time.Millisecond
	syncPeriod = 2 * time.Second
)

var outputs = map[string]any{
	"cluster_endpoint":                   "https://0123456789ABCDEF.gr7.ap-northeast-1.eks.amazonaws.com",
	"cluster_name":                       "moved-eks",
	"cluster_certificate_authority_data": base64.StdEncoding.EncodeToString([]byte("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n")),
}

// installation is how the provider got onto a management cluster.
type installation string

const (
	// withClusterctl: clusterctl init --control-plane capt from the local
	// repository.
	withClusterctl installation = "clusterctl init"
	// withKubectl: Cluster API's core with clusterctl init, this provider
	// with kubectl apply -k config/default, as the README says.
	withKubectl installation = "kubectl apply -k config/default"
)

// cluster is one management cluster: its API server, its admin kubeconfig
// and the manager running there.
type cluster struct {
	env        *testenv.Env
	kubeconfig string
	config     string
	manager    *testenv.Process
	metricsURL string
}

// managementCluster starts an API server with provider-terraform's CRDs and
// Cluster API's, installs the provider at testenv.CAPTVersion (installed as how says)
// from the local repository at config, and runs bin/manager as the
// ServiceAccount that installed.
func managementCluster(t *testing.T, config string, how installation) *cluster {
	t.Helper()
	g := NewWithT(t)
	crds, err := testenv.ClusterAPICRDs()
	g.Expect(err).NotTo(HaveOccurred())
	env, err := testenv.StartWithClusterAPI(testenv.ProviderTerraformGeneration(), crds, nil)
	g.Expect(err).NotTo(HaveOccurred())
	t.Cleanup(func() { _ = env.Stop() })
	kubeconfig, err := env.KubeconfigFile(t.TempDir())
	g.Expect(err).NotTo(HaveOccurred())
	c := &cluster{env: env, kubeconfig: kubeconfig, config: config}
	testenv.InitWithClusterctl(t, env, config, kubeconfig, how == withClusterctl)
	if how == withKubectl {
		testenv.InstallConfigDefault(t, env)
	}
	g.Expect(testenv.ProvideAWSCredentials(t.Context(), env.Client, "default")).To(Succeed())
	c.startManager(t)
	return c
}

// startManager runs bin/manager as the installed ServiceAccount, as the
// installed Deployment's pod would, and waits for its controllers.
func (c *cluster) startManager(t *testing.T) {
	t.Helper()
	manager, metricsURL := testenv.StartManagerBinary(t, c.env, syncPeriod)
	testenv.WaitControllersStarted(t, metricsURL)
	c.manager, c.metricsURL = manager, metricsURL
}

// clusterctl runs clusterctl, as built from Cluster API's module, against
// this cluster with the local repository's config.
func (c *cluster) clusterctl(t *testing.T, args ...string) string {
	t.Helper()
	return testenv.Clusterctl(t, c.config, append(args, "--kubeconfig", c.kubeconfig)...)
}

// provision creates a CAPT cluster on c whose template renders Workspaces
// of scope, plays provider-terraform until the control plane is Ready, and
// reports the Cluster provisioned as Cluster API's controller would (move
// refuses a Cluster still provisioning). It returns the Workspace's key.
func provision(t *testing.T, c client.Client, scope infrastructurev1beta1.WorkspaceScope) types.NamespacedName {
	t.Helper()
	g := NewWithT(t)
	ctx := t.Context()
	g.Expect(c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: namespace}})).To(Succeed())
	testenv.CreateTemplate(t, c, namespace, "eks", scope)
	capi := testenv.CreateCAPTCluster(t, c, namespace, name, "eks")
	key := types.NamespacedName{Name: workspace}
	if scope == infrastructurev1beta1.WorkspaceScopeNamespaced {
		key.Namespace = namespace
	}
	g.Eventually(func() error { _, err := testenv.GetWorkspace(ctx, c, key); return err }, timeout, poll).Should(Succeed())
	g.Expect(testenv.Provide(ctx, c, key, testenv.Observation{Ready: true, Reason: tfv1beta1.ReasonAvailable, Outputs: outputs})).To(Succeed())
	waitReady(t, c)
	testenv.ReportProvisioned(t, c, capi)
	return key
}

// waitReady waits until the control plane is Ready with its endpoint and
// the status mirrored from its Workspace.
func waitReady(t *testing.T, c client.Client) {
	t.Helper()
	NewWithT(t).Eventually(func(g Gomega) {
		got := &controlplanev1beta1.CAPTControlPlane{}
		g.Expect(c.Get(t.Context(), types.NamespacedName{Namespace: namespace, Name: name}, got)).To(Succeed())
		ready := meta.FindStatusCondition(got.Status.Conditions, controlplanev1beta1.ConditionReady)
		g.Expect(ready).NotTo(BeNil())
		g.Expect(ready.Status).To(Equal(metav1.ConditionTrue), ready.Message)
		g.Expect(got.Spec.ControlPlaneEndpoint.Host).NotTo(BeEmpty())
		g.Expect(got.Status.WorkspaceStatus).NotTo(BeNil())
		g.Expect(string(got.Status.WorkspaceStatus.AtProvider.Raw)).To(ContainSubstring("moved-eks"))
	}, timeout, poll).Should(Succeed())
}

// writesWhere counts a manager's writes that match, by key.
func writesWhere(reqs []testenv.Request, match func(testenv.Request) bool) map[string]int {
	var found []testenv.Request
	for _, r := range testenv.Writes(reqs) {
		if match(r) {
			found = append(found, r)
		}
	}
	return testenv.CountByKey(found)
}

// isDelete matches a delete of any object.
func isDelete(r testenv.Request) bool { return r.Verb == "delete" || r.Verb == "deletecollection" }
