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
//   - what testenv.StartClusterAPIManager says (a webhook serving
//     certificate, no leader election, its aggregated ClusterRole filled).
package capi

import (
	"testing"
	"time"

	. "github.com/onsi/gomega"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/capt-controlplane/capt-controlplane/test/testenv"
)

// syncPeriod is short so that "the manager looked and did nothing" is a
// matter of counting its reconciles, not of sleeping.
const syncPeriod = 2 * time.Second

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

func setUp(t *testing.T) *suite { return setUpWith(t, nil) }

// setUpWith is setUp with Cluster API's manager given capiArgs, and the
// CRDs extra installed too.
func setUpWith(t *testing.T, capiArgs []string, extra ...*apiextensionsv1.CustomResourceDefinition) *suite {
	t.Helper()
	g := NewWithT(t)
	crds, err := testenv.ClusterAPICRDs()
	g.Expect(err).NotTo(HaveOccurred())
	dir := t.TempDir()
	tokens, webhookConfig := startTokenWebhook(t, dir)
	crds = append(append(crds, testenv.InfrastructureCRD()), extra...)
	env, err := testenv.StartWithClusterAPI(testenv.ProviderTerraformGeneration(), crds, tokens.apiServerFlags(webhookConfig))
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

	// Cluster API's manager as clusterctl installs it.
	s.capi = testenv.StartClusterAPIManager(t, env, capiArgs...)
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
