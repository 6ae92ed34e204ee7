// Package e2e tests what an operator touches, with kubectl and the built
// binaries against a local kube-apiserver: the manifests of config/default,
// the manager running as its ServiceAccount (so its RBAC is proven enough
// and no more), ownership seen with kubectl, repairs of kubectl writes, and
// the metrics endpoint's authentication. `make build` provides the binaries.
package e2e

import (
	"crypto/tls"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/capt-controlplane/capt-controlplane/test/testenv"
)

const serviceAccount = testenv.ManagerServiceAccount

type cluster struct {
	t          *testing.T
	kubeconfig string
}

// kubectl runs kubectl as the administrator and returns its combined output.
func (c *cluster) kubectl(stdin string, args ...string) (string, error) {
	cmd := exec.Command(testenv.Kubectl(), append([]string{"--kubeconfig", c.kubeconfig}, args...)...)
	if stdin != "" {
		cmd.Stdin = strings.NewReader(stdin)
	}
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func (c *cluster) mustKubectl(args ...string) string {
	c.t.Helper()
	out, err := c.kubectl("", args...)
	NewWithT(c.t).Expect(err).NotTo(HaveOccurred(), "kubectl %s:\n%s", strings.Join(args, " "), out)
	return out
}

func binary(t *testing.T, name string) string {
	path := filepath.Join(testenv.RepoRoot(), "bin", name)
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("%s is missing: run `make build` first", path)
	}
	return path
}

func freePort(t *testing.T) int {
	port, err := testenv.FreePort()
	NewWithT(t).Expect(err).NotTo(HaveOccurred())
	return port
}

func TestOperatorWorkflow(t *testing.T) {
	g := NewWithT(t)
	g.SetDefaultEventuallyTimeout(30 * time.Second)
	g.SetDefaultEventuallyPollingInterval(100 * time.Millisecond)
	manager, plugin := binary(t, "manager"), binary(t, "kubectl-capt")

	env := &envtest.Environment{BinaryAssetsDirectory: filepath.Join(testenv.RepoRoot(), "bin", "k8s")}
	_, err := env.Start()
	g.Expect(err).NotTo(HaveOccurred())
	defer func() { _ = env.Stop() }()
	dir := t.TempDir()
	admin, err := env.ControlPlane.AddUser(envtest.User{Name: "e2e-admin", Groups: []string{"system:masters"}}, nil)
	g.Expect(err).NotTo(HaveOccurred())
	kc, err := admin.KubeConfig()
	g.Expect(err).NotTo(HaveOccurred())
	c := &cluster{t: t, kubeconfig: filepath.Join(dir, "admin.kubeconfig")}
	g.Expect(os.WriteFile(c.kubeconfig, kc, 0o600)).To(Succeed())
	root := testenv.RepoRoot()

	// Install with client-side apply, then again with server-side apply.
	c.mustKubectl("apply", "-k", filepath.Join(root, "config", "default"))
	c.mustKubectl("wait", "--for=condition=Established", "crd", "--all", "--timeout=60s")
	out := c.mustKubectl("apply", "--server-side", "-k", filepath.Join(root, "config", "default"))
	g.Expect(out).To(ContainSubstring("captcontrolplanes.controlplane.cluster.x-k8s.io serverside-applied"))
	// Crossplane installs provider-terraform's CRDs on a real cluster.
	c.mustKubectl("apply", "-f", testenv.ProviderTerraformCRDs(testenv.ProviderTerraformGeneration()))
	c.mustKubectl("wait", "--for=condition=Established", "crd", "--all", "--timeout=60s")

	// What the ServiceAccount may and may not do.
	for _, check := range []struct {
		verb, resource string
		allowed        bool
	}{
		{"patch", "captcontrolplanes.controlplane.cluster.x-k8s.io/status", true},
		{"update", "captcontrolplanes.controlplane.cluster.x-k8s.io/status", false},
		{"update", "captcontrolplanes.controlplane.cluster.x-k8s.io", false},
		{"update", "clusters.cluster.x-k8s.io", false},
		{"patch", "clusters.cluster.x-k8s.io", false},
		{"delete", "secrets", false},
		{"create", "secrets", true},
		{"delete", "workspacetemplates.infrastructure.cluster.x-k8s.io", false},
		{"create", "pods", false},
	} {
		out, _ := c.kubectl("", "auth", "can-i", check.verb, check.resource, "--as", serviceAccount, "-n", "default")
		answer := strings.TrimSpace(out[strings.LastIndex(strings.TrimSpace(out), "\n")+1:])
		g.Expect(answer).To(Equal(map[bool]string{true: "yes", false: "no"}[check.allowed]), "can-i %s %s: %s", check.verb, check.resource, out)
	}

	// The manager runs as its ServiceAccount, with leader election and
	// secure metrics.
	saConfig, err := testenv.ImpersonatingKubeconfig(kc)
	g.Expect(err).NotTo(HaveOccurred())
	saKubeconfig := filepath.Join(dir, "manager.kubeconfig")
	g.Expect(os.WriteFile(saKubeconfig, saConfig, 0o600)).To(Succeed())
	metricsPort := freePort(t)
	logFile, err := os.Create(filepath.Join(dir, "manager.log"))
	g.Expect(err).NotTo(HaveOccurred())
	mgr := exec.Command(manager, "--kubeconfig", saKubeconfig, "--leader-elect", "--leader-election-namespace", "capt-system",
		"--metrics-bind-address", fmt.Sprintf("127.0.0.1:%d", metricsPort), "--health-probe-bind-address", "0")
	mgr.Stdout, mgr.Stderr = logFile, logFile
	g.Expect(mgr.Start()).To(Succeed())
	stopped := false
	defer func() {
		if !stopped {
			_ = mgr.Process.Kill()
			_ = mgr.Wait()
		}
		if t.Failed() {
			raw, _ := os.ReadFile(logFile.Name())
			t.Logf("manager log:\n%s", raw)
		}
	}()

	// The sample flow, with the test playing provider-terraform.
	c.mustKubectl("apply", "-f", filepath.Join(root, "config", "samples", "infrastructure_v1beta1_providerconfiggrant.yaml"))
	c.mustKubectl("apply", "-f", filepath.Join(root, "config", "samples", "infrastructure_v1beta1_workspacetemplate.yaml"))
	c.mustKubectl("apply", "-f", filepath.Join(root, "config", "samples", "controlplane_v1beta1_captcontrolplane.yaml"))
	g.Eventually(func() error {
		_, err := c.kubectl("", "get", testenv.DefaultWorkspaceResource(), "demo-cluster-eks-controlplane")
		return err
	}).Should(Succeed(), "the manager did not render the Workspace")
	provideWorkspace(c, "fff6ccdeaf6c49ea185e47e6cf18dc47")
	jsonpath := func(path string) func() string {
		return func() string {
			out, _ := c.kubectl("", "get", "captcontrolplane", "demo-cluster", "-o", "jsonpath="+path)
			return out
		}
	}
	g.Eventually(jsonpath("{.status.phase}")).Should(Equal("Ready"))
	g.Expect(jsonpath("{.spec.controlPlaneEndpoint.host}")()).To(Equal("0123456789ABCDEF.gr7.ap-northeast-1.eks.amazonaws.com"))

	// Ownership, with kubectl and with the plugin.
	var obj struct {
		Metadata struct {
			ManagedFields []struct {
				Manager, Operation, Subresource string
				FieldsV1                        map[string]any
			}
		}
	}
	g.Expect(json.Unmarshal([]byte(c.mustKubectl("get", "captcontrolplane", "demo-cluster", "--show-managed-fields", "-o", "json")), &obj)).To(Succeed())
	found := false
	for _, e := range obj.Metadata.ManagedFields {
		if e.Manager == "capt-workspace-status" {
			found = true
			g.Expect(e.Operation).To(Equal("Apply"))
			g.Expect(e.Subresource).To(Equal("status"))
			g.Expect(testenv.JSONEqual(e.FieldsV1, testenv.MustJSON(testenv.WorkspaceStatusFields))).To(BeTrue())
		}
	}
	g.Expect(found).To(BeTrue(), "no managedFields entry of capt-workspace-status")
	pluginOut, err := exec.Command(plugin, "owners", "captcontrolplane", "demo-cluster", "-n", "default", "--kubeconfig", c.kubeconfig).CombinedOutput()
	g.Expect(err).NotTo(HaveOccurred(), string(pluginOut))
	g.Expect(normalize(string(pluginOut))).To(ContainSubstring(".status.workspaceStatus.atProvider capt-workspace-status Apply status"))
	g.Expect(normalize(string(pluginOut))).To(ContainSubstring(".spec.controlPlaneEndpoint.host capt-controlplane Apply -"))

	// kubectl writes that drop workspaceStatus are repaired.
	checksum := jsonpath("{.status.workspaceStatus.atProvider.checksum}")
	c.replaceStatus("captcontrolplane", "demo-cluster", func(obj map[string]any) {
		delete(obj["status"].(map[string]any), "workspaceStatus")
	})
	g.Eventually(checksum).Should(Equal("fff6ccdeaf6c49ea185e47e6cf18dc47"), "not repaired after kubectl replace")
	c.mustKubectl("patch", "captcontrolplane", "demo-cluster", "--subresource=status", "--type=merge", "-p", `{"status":{"workspaceStatus":null}}`)
	g.Eventually(checksum).Should(Equal("fff6ccdeaf6c49ea185e47e6cf18dc47"), "not repaired after kubectl patch")

	// Another manager's apply of a different atProvider is refused.
	forged := `{"apiVersion":"controlplane.cluster.x-k8s.io/v1beta1","kind":"CAPTControlPlane","metadata":{"name":"demo-cluster","namespace":"default"},
"status":{"workspaceStatus":{"atProvider":{"checksum":"forged"}}}}`
	out, err = c.kubectl(forged, "apply", "--server-side", "--field-manager=someone-else", "--subresource=status", "-f", "-")
	g.Expect(err).To(HaveOccurred(), out)
	g.Expect(out).To(ContainSubstring("conflict"))
	g.Expect(out).To(ContainSubstring(`"capt-workspace-status"`))
	g.Expect(checksum()).To(Equal("fff6ccdeaf6c49ea185e47e6cf18dc47"))

	// The metrics endpoint refuses an unauthenticated request.
	insecure := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}} //nolint:gosec // self-signed serving certificate
	g.Eventually(func() (int, error) {
		resp, err := insecure.Get(fmt.Sprintf("https://127.0.0.1:%d/metrics", metricsPort))
		if err != nil {
			return 0, err
		}
		defer func() { _ = resp.Body.Close() }()
		return resp.StatusCode, nil
	}).Should(Equal(http.StatusUnauthorized))

	// Graceful shutdown on SIGTERM.
	g.Expect(mgr.Process.Signal(syscall.SIGTERM)).To(Succeed())
	exited := make(chan error, 1)
	go func() { exited <- mgr.Wait() }()
	g.Eventually(exited, 40*time.Second).Should(Receive(BeNil()), "the manager did not exit cleanly")
	stopped = true
}

// provideWorkspace writes the Workspace's status as provider-terraform does.
func provideWorkspace(c *cluster, checksum string) {
	c.t.Helper()
	now := time.Now().UTC().Format(time.RFC3339)
	c.replaceStatus(testenv.DefaultWorkspaceResource(), "demo-cluster-eks-controlplane", func(ws map[string]any) {
		ws["status"] = map[string]any{
			"atProvider": map[string]any{"checksum": checksum, "outputs": map[string]any{
				"cluster_endpoint": "https://0123456789ABCDEF.gr7.ap-northeast-1.eks.amazonaws.com",
				"cluster_name":     "demo-cluster",
			}},
			"conditions": []any{
				map[string]any{"type": "Ready", "status": "True", "reason": "Available", "lastTransitionTime": now},
				map[string]any{"type": "Synced", "status": "True", "reason": "ReconcileSuccess", "lastTransitionTime": now},
			},
		}
	})
}

// replaceStatus is `kubectl get -o json`, an edit, then `kubectl replace
// --subresource=status`, repeated on conflict: the controllers may write the
// object between the read and the replace.
func (c *cluster) replaceStatus(resource, name string, edit func(obj map[string]any)) {
	c.t.Helper()
	NewWithT(c.t).Eventually(func() error {
		out, err := c.kubectl("", "get", resource, name, "-o", "json")
		if err != nil {
			return fmt.Errorf("%w: %s", err, out)
		}
		var obj map[string]any
		if err := json.Unmarshal([]byte(out), &obj); err != nil {
			return err
		}
		edit(obj)
		raw, _ := json.Marshal(obj)
		if out, err := c.kubectl(string(raw), "replace", "--subresource=status", "-f", "-"); err != nil {
			return fmt.Errorf("%w: %s", err, out)
		}
		return nil
	}, 30*time.Second, 100*time.Millisecond).Should(Succeed())
}

func normalize(s string) string { return strings.Join(strings.Fields(s), " ") }
