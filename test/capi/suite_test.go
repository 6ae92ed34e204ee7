// Package capi proves the Cluster API control-plane contract next to the
// real Cluster API core manager (v1.14.2, built from its Go module by `make
// capi-binaries`), on a local kube-apiserver: bin/manager and Cluster API's
// manager each run as their own ServiceAccount with their shipped RBAC,
// behind proxies that record every request; the test plays
// provider-terraform and a user with kubectl.
//
// What Cluster API needed here, beyond its shipped manifests:
//   - its CRDs with only their storage version (v1beta2) and conversion None:
//     its conversion webhooks are not installed;
//   - a self-signed serving certificate for its webhook server, which it
//     will not start without; the API server is given no webhook
//     configuration, so Cluster API's defaulting and validation do not run
//     and the objects here are written complete;
//   - no leader election: out of a cluster it cannot tell its namespace;
//   - its aggregated ClusterRole filled by the test: envtest runs no
//     kube-controller-manager, so no aggregation (and no garbage collector).
package capi

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/capt-controlplane/capt-controlplane/test/testenv"
)

// syncPeriod is short so that "the manager looked and did nothing" is a
// matter of counting its reconciles, not of sleeping.
const syncPeriod = 2 * time.Second

// clusterAPIServiceAccount is where `clusterctl init` runs Cluster API's
// manager: config/default's namespace and name prefix.
var clusterAPIServiceAccount = testenv.ServiceAccount{Namespace: "capi-system", Name: "capi-manager"}

// suite is the local control plane with both managers running.
type suite struct {
	env        *testenv.Env
	kubeconfig string // the administrator's, for kubectl and clusterctl
	capt       *testenv.Process
	capi       *testenv.Process
	metricsURL string // bin/manager's
	history    *history
	tokens     *tokenWebhook // EKS's authenticator, for the workload cluster
}

func setUp(t *testing.T) *suite {
	t.Helper()
	g := NewWithT(t)
	crds, err := clusterAPICRDs()
	g.Expect(err).NotTo(HaveOccurred())
	dir := t.TempDir()
	tokens, webhookConfig := startTokenWebhook(t, dir)
	env, err := testenv.StartWithClusterAPI(append(crds, infrastructureCRD()), tokens.apiServerFlags(webhookConfig))
	g.Expect(err).NotTo(HaveOccurred())
	t.Cleanup(func() { _ = env.Stop() })
	s := &suite{env: env, tokens: tokens}
	s.kubeconfig, err = env.KubeconfigFile(dir)
	g.Expect(err).NotTo(HaveOccurred())

	watcher, err := client.NewWithWatch(env.Config, client.Options{Scheme: env.Scheme})
	g.Expect(err).NotTo(HaveOccurred())
	s.history = record(t.Context(), watcher)

	// This project as a user installs it, beside provider-terraform's
	// ProviderConfig with AWS credentials.
	testenv.InstallConfigDefault(t, env)
	g.Expect(testenv.ProvideAWSCredentials(t.Context(), env.Client, "default")).To(Succeed())
	s.capt, s.metricsURL = testenv.StartManagerBinary(t, env, syncPeriod)
	testenv.WaitControllersStarted(t, s.metricsURL)

	// Cluster API's RBAC as clusterctl installs it, and its manager.
	s.mustKubectl(t, "create", "namespace", clusterAPIServiceAccount.Namespace)
	rbac, err := clusterAPIRBAC(dir)
	g.Expect(err).NotTo(HaveOccurred())
	s.mustKubectl(t, "apply", "--server-side", "-k", rbac)
	g.Expect(aggregateClusterRoles(t.Context(), env.Client)).To(Succeed())
	certDir := filepath.Join(dir, "webhook-certs")
	g.Expect(os.MkdirAll(certDir, 0o700)).To(Succeed())
	g.Expect(webhookCerts(certDir)).To(Succeed())
	var ports [3]int
	for i := range ports {
		ports[i], err = testenv.FreePort()
		g.Expect(err).NotTo(HaveOccurred())
	}
	s.capi = testenv.StartProcess(t, env, clusterAPIServiceAccount, filepath.Join(clusterAPIDir(), "manager"),
		fmt.Sprintf("--diagnostics-address=127.0.0.1:%d", ports[0]), "--insecure-diagnostics",
		fmt.Sprintf("--health-addr=127.0.0.1:%d", ports[1]),
		fmt.Sprintf("--webhook-port=%d", ports[2]), "--webhook-cert-dir="+certDir)

	g.Eventually(func() (int, error) {
		resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/readyz", ports[1]))
		if err != nil {
			return 0, err
		}
		_ = resp.Body.Close()
		return resp.StatusCode, nil
	}, 60*time.Second, 200*time.Millisecond).Should(Equal(http.StatusOK), "Cluster API's manager becomes ready")
	return s
}

// mustKubectl runs kubectl as the administrator.
func (s *suite) mustKubectl(t *testing.T, args ...string) string {
	t.Helper()
	out, err := kubectl(s.kubeconfig, "", args...)
	NewWithT(t).Expect(err).NotTo(HaveOccurred(), "kubectl %v:\n%s", args, out)
	return out
}

// kubectlApply applies a manifest as a user would.
func (s *suite) kubectlApply(t *testing.T, manifest string) {
	t.Helper()
	out, err := kubectl(s.kubeconfig, manifest, "apply", "-f", "-")
	NewWithT(t).Expect(err).NotTo(HaveOccurred(), "kubectl apply:\n%s\n%s", manifest, out)
}

// resyncs waits until each of bin/manager's controllers has reconciled at
// least rounds times per control plane since it was called.
func (s *suite) resyncs(t *testing.T, controlPlanes, rounds int) {
	t.Helper()
	testenv.WaitReconciles(t, s.metricsURL, controlPlanes*rounds, time.Duration(rounds+10)*syncPeriod*3)
}
