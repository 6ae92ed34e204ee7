// Package dependencies runs bin/manager, as its ServiceAccount with
// config/default, on an API server where provider-terraform's and Cluster
// API's CRDs are installed, changed and removed while it runs, as
// Crossplane's package manager and clusterctl do in any order: the manager
// never exits, never needs a restart, says what is missing, and mirrors
// every field through every schema change (docs/design.md, "Generations").
package dependencies

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	"sigs.k8s.io/controller-runtime/pkg/client"

	controlplanev1beta1 "github.com/capt-controlplane/capt-controlplane/apis/controlplane/v1beta1"
	tfv1beta1 "github.com/capt-controlplane/capt-controlplane/apis/external/tf/v1beta1"
	infrastructurev1beta1 "github.com/capt-controlplane/capt-controlplane/apis/infrastructure/v1beta1"
	"github.com/capt-controlplane/capt-controlplane/test/testenv"
)

const (
	ns         = "default"
	timeout    = 30 * time.Second
	poll       = 50 * time.Millisecond
	syncPeriod = 10 * time.Second
	// schemaRounds is how many Workspace CRD schema changes in a row the
	// mirror goes through.
	schemaRounds = 20

	clusterScopedCRD = "workspaces.tf.upbound.io"
	namespacedCRD    = "workspaces.tf.m.upbound.io"
	clusterCRD       = "clusters.cluster.x-k8s.io"
)

// manager is bin/manager with its probes.
type manager struct {
	process *testenv.Process
	probes  string // http://host:port
}

func startManager(t *testing.T, env *testenv.Env) *manager {
	t.Helper()
	port, err := testenv.FreePort()
	NewWithT(t).Expect(err).NotTo(HaveOccurred())
	probes := fmt.Sprintf("127.0.0.1:%d", port)
	// The last --health-probe-bind-address wins.
	p, metricsURL := testenv.StartManagerBinary(t, env, syncPeriod, "--health-probe-bind-address", probes)
	m := &manager{process: p, probes: "http://" + probes}
	NewWithT(t).Eventually(func() bool { return testenv.ControllersStarted(metricsURL) || m.exited() }, timeout, poll).Should(BeTrue())
	m.expectRunning(t)
	return m
}

func (m *manager) exited() bool { return m.process.Exited() }

// expectRunning fails when the manager has exited.
func (m *manager) expectRunning(t *testing.T) {
	t.Helper()
	NewWithT(t).Expect(m.exited()).To(BeFalse(), "bin/manager exited")
}

// probe is the status code of a probe path.
func (m *manager) probe(path string) int {
	resp, err := http.Get(m.probes + path)
	if err != nil {
		return 0
	}
	_ = resp.Body.Close()
	return resp.StatusCode
}

// waitReady waits until /readyz and /healthz answer 200.
func (m *manager) waitReady(t *testing.T) {
	t.Helper()
	NewWithT(t).Eventually(func() []int { return []int{m.probe("/readyz"), m.probe("/healthz")} }, timeout, poll).
		Should(Equal([]int{http.StatusOK, http.StatusOK}))
	m.expectRunning(t)
}

// TestManagerFollowsItsDependencies starts bin/manager on an API server
// with this project's CRDs alone, then installs provider-terraform v1's,
// changes the Workspace schema again and again, installs Cluster API's, and
// deletes and recreates a Workspace CRD, checking after each step what a
// user sees.
func TestManagerFollowsItsDependencies(t *testing.T) {
	g := NewWithT(t)
	env, err := testenv.StartWithoutDependencies()
	g.Expect(err).NotTo(HaveOccurred())
	t.Cleanup(func() { _ = env.Stop() })
	testenv.InstallConfigDefault(t, env)
	m := startManager(t, env)

	steps := []struct {
		name string
		run  func(*testing.T, *testenv.Env, *manager)
	}{
		{"started with nothing installed, it is ready and says which kind is missing", startedWithNothing},
		{"provider-terraform installed later: the Workspace is rendered and mirrored", providerInstalledLater},
		{"Workspace schema changed again and again: every field mirrored", schemaChangesInARow},
		{"Cluster API installed later: owner Clusters and their pause are followed", clusterAPIInstalledLater},
		{"a Workspace CRD deleted and recreated", crdDeletedAndRecreated},
	}
	for _, step := range steps {
		if !t.Run(step.name, func(t *testing.T) { step.run(t, env, m) }) {
			return // each step starts from the one before
		}
	}
}

func startedWithNothing(t *testing.T, env *testenv.Env, m *manager) {
	m.waitReady(t)
	template(t, env, "eks", "")
	cp := controlPlane(t, env, "early", "eks", nil)
	waitCondition(t, env, cp, controlplanev1beta1.ConditionReady, func(g Gomega, c *metav1.Condition) {
		g.Expect(c.Reason).To(Equal(infrastructurev1beta1.ReasonWorkspaceKindNotServed))
		g.Expect(c.Message).To(ContainSubstring("Workspace.tf.upbound.io is not served"))
	})
	m.expectRunning(t)
}

func providerInstalledLater(t *testing.T, env *testenv.Env, m *manager) {
	g := NewWithT(t)
	installed := time.Now()
	installCRDs(t, env, testenv.ProviderTerraformCRDs("v1"), nil)
	g.Expect(testenv.ProvideAWSCredentials(t.Context(), env.Client, "default")).To(Succeed())
	// "early" has rendered nothing yet: it gets v1's namespaced kind.
	key := types.NamespacedName{Namespace: ns, Name: "early-eks-controlplane"}
	g.Eventually(func() error { _, err := testenv.GetWorkspace(t.Context(), env.Client, key); return err }, timeout, poll).Should(Succeed())
	t.Logf("DEPENDENCIES provider-terraform v1's CRDs applied → Workspace %s rendered: %v", key, time.Since(installed).Round(time.Millisecond))
	provide(t, env, key, `{"checksum":"c0","outputs":{"cluster_endpoint":"https://early.example.com"}}`)
	waitMirrorsStored(t, env, "early", key, "c0")
	m.waitReady(t)
}

// schemaChangesInARow changes the namespaced Workspace CRD's schema
// schemaRounds times: each round declares a new atProvider field, and the
// played provider at once writes an observation with it. The mirror must
// equal the stored atProvider (read from the API server) every round, the
// new field included wherever the API server stored it.
func schemaChangesInARow(t *testing.T, env *testenv.Env, m *manager) {
	key := types.NamespacedName{Namespace: ns, Name: "early-eks-controlplane"}
	var delays []time.Duration
	pruned := 0
	for i := 1; i <= schemaRounds; i++ {
		field := fmt.Sprintf("round%02d", i)
		declareAtProviderField(t, env, namespacedCRD, field)
		checksum := fmt.Sprintf("c%d", i)
		written := time.Now()
		provide(t, env, key, fmt.Sprintf(`{"checksum":%q,"outputs":{"cluster_endpoint":"https://early.example.com"},%q:"v"}`, checksum, field))
		stored := waitMirrorsStored(t, env, "early", key, checksum)
		delays = append(delays, time.Since(written))
		if _, has := stored[field]; !has {
			pruned++ // the API server stored it under the schema before
		}
	}
	slices.Sort(delays)
	t.Logf("DEPENDENCIES %d Workspace CRD schema changes, each followed by a new atProvider: stored → mirrored p50 %v, max %v (%d of them stored without the new field by the API server)",
		schemaRounds, delays[len(delays)/2].Round(time.Millisecond), delays[len(delays)-1].Round(time.Millisecond), pruned)
	m.waitReady(t)
}

func clusterAPIInstalledLater(t *testing.T, env *testenv.Env, m *manager) {
	g := NewWithT(t)
	installCRDs(t, env, filepath.Join(testenv.RepoRoot(), "bin", "crds", "cluster-api"), nil)
	cluster := &clusterv1.Cluster{ObjectMeta: metav1.ObjectMeta{Name: "owner", Namespace: ns}, Spec: clusterv1.ClusterSpec{Paused: ptr.To(false)}}
	g.Eventually(func() error { return env.Client.Create(t.Context(), cluster) }, timeout, poll).Should(Succeed())
	cp := controlPlane(t, env, "owned", "eks", cluster)
	// The Workspace's cluster is named after the owner Cluster, not the
	// control plane: the manager knows Cluster API now.
	key := types.NamespacedName{Namespace: ns, Name: "owned-eks-controlplane"}
	g.Eventually(func(g Gomega) {
		ws, err := testenv.GetWorkspace(t.Context(), env.Client, key)
		g.Expect(err).NotTo(HaveOccurred())
		raw, err := json.Marshal(ws)
		g.Expect(err).NotTo(HaveOccurred())
		var rendered struct {
			Spec struct {
				ForProvider struct{ Vars []tfv1beta1.Var } `json:"forProvider"`
			} `json:"spec"`
		}
		g.Expect(json.Unmarshal(raw, &rendered)).To(Succeed())
		g.Expect(rendered.Spec.ForProvider.Vars).To(ContainElement(tfv1beta1.Var{Key: "cluster_name", Value: "owner"}))
	}, timeout, poll).Should(Succeed())
	cluster.Spec.Paused = ptr.To(true)
	g.Expect(env.Client.Update(t.Context(), cluster)).To(Succeed())
	waitCondition(t, env, cp, controlplanev1beta1.ConditionPaused, func(g Gomega, c *metav1.Condition) {
		g.Expect(c.Status).To(Equal(metav1.ConditionTrue))
		g.Expect(c.Message).To(ContainSubstring("Cluster"))
	})
	m.waitReady(t)
}

func crdDeletedAndRecreated(t *testing.T, env *testenv.Env, m *manager) {
	g := NewWithT(t)
	crd := &apiextensionsv1.CustomResourceDefinition{}
	g.Expect(env.Client.Get(t.Context(), client.ObjectKey{Name: clusterScopedCRD}, crd)).To(Succeed())
	g.Expect(env.Client.Delete(t.Context(), crd)).To(Succeed())
	g.Eventually(func() bool {
		return client.IgnoreNotFound(env.Client.Get(t.Context(), client.ObjectKey{Name: clusterScopedCRD}, &apiextensionsv1.CustomResourceDefinition{})) == nil &&
			env.Client.Get(t.Context(), client.ObjectKey{Name: clusterScopedCRD}, &apiextensionsv1.CustomResourceDefinition{}) != nil
	}, timeout, poll).Should(BeTrue(), "CRD %s gone", clusterScopedCRD)
	m.waitReady(t)
	template(t, env, "global", infrastructurev1beta1.WorkspaceScopeCluster)
	// Cluster API is installed now: a control plane waits for its Cluster.
	cluster := &clusterv1.Cluster{ObjectMeta: metav1.ObjectMeta{Name: "global", Namespace: ns}, Spec: clusterv1.ClusterSpec{Paused: ptr.To(false)}}
	g.Expect(env.Client.Create(t.Context(), cluster)).To(Succeed())
	cp := controlPlane(t, env, "global", "global", cluster)
	waitCondition(t, env, cp, controlplanev1beta1.ConditionReady, func(g Gomega, c *metav1.Condition) {
		g.Expect(c.Reason).To(Equal(infrastructurev1beta1.ReasonWorkspaceKindNotServed))
		g.Expect(c.Message).To(ContainSubstring("Workspace.tf.upbound.io is not served"))
	})
	installCRDs(t, env, testenv.ProviderTerraformCRDs("v1"), func(name string) bool { return name == "tf.upbound.io_workspaces.yaml" })
	key := types.NamespacedName{Name: "global-eks-controlplane"}
	g.Eventually(func() error { _, err := testenv.GetWorkspace(t.Context(), env.Client, key); return err }, timeout, poll).Should(Succeed())
	provide(t, env, key, `{"checksum":"g1","outputs":{"cluster_endpoint":"https://global.example.com"}}`)
	waitMirrorsStored(t, env, "global", key, "g1")
	m.waitReady(t)
}

// TestManagerStartsWithOnlyNamespacedWorkspaces: an install that activated
// provider-terraform v1's namespaced kinds alone.
func TestManagerStartsWithOnlyNamespacedWorkspaces(t *testing.T) {
	g := NewWithT(t)
	env, err := testenv.StartWithoutDependencies()
	g.Expect(err).NotTo(HaveOccurred())
	t.Cleanup(func() { _ = env.Stop() })
	testenv.InstallConfigDefault(t, env)
	installCRDs(t, env, testenv.ProviderTerraformCRDs("v1"), func(name string) bool { return strings.HasPrefix(name, "tf.m.upbound.io_") })
	g.Expect(testenv.ProvideAWSCredentials(t.Context(), env.Client, "default")).To(Succeed())
	m := startManager(t, env)
	m.waitReady(t)

	template(t, env, "eks", "")
	controlPlane(t, env, "local", "eks", nil)
	key := types.NamespacedName{Namespace: ns, Name: "local-eks-controlplane"}
	g.Eventually(func() error { _, err := testenv.GetWorkspace(t.Context(), env.Client, key); return err }, timeout, poll).Should(Succeed())
	provide(t, env, key, `{"checksum":"l1","outputs":{"cluster_endpoint":"https://local.example.com"}}`)
	waitMirrorsStored(t, env, "local", key, "l1")

	template(t, env, "global", infrastructurev1beta1.WorkspaceScopeCluster)
	cp := controlPlane(t, env, "global", "global", nil)
	waitCondition(t, env, cp, controlplanev1beta1.ConditionReady, func(g Gomega, c *metav1.Condition) {
		g.Expect(c.Reason).To(Equal(infrastructurev1beta1.ReasonWorkspaceKindNotServed))
		g.Expect(c.Message).To(ContainSubstring("Workspace.tf.upbound.io is not served"))
	})
	m.expectRunning(t)
}

// installCRDs applies the CRD files of dir that keep selects (all for nil)
// and waits until they are established.
func installCRDs(t *testing.T, env *testenv.Env, dir string, keep func(string) bool) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	NewWithT(t).Expect(err).NotTo(HaveOccurred())
	var names []string
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".yaml") || keep != nil && !keep(e.Name()) {
			continue
		}
		path := filepath.Join(dir, e.Name())
		testenv.KubectlApply(t, env, "--server-side", "-f", path)
		// tf.m.upbound.io_workspaces.yaml is workspaces.tf.m.upbound.io.
		group, plural, _ := strings.Cut(strings.TrimSuffix(e.Name(), ".yaml"), "_")
		names = append(names, "crd/"+plural+"."+group)
	}
	testenv.RunKubectl(t, env, append([]string{"wait", "--for=condition=established", "--timeout=30s"}, names...)...)
	// A new client: the old one's REST mapper remembers the kinds missing.
	c, err := client.New(env.Config, client.Options{Scheme: env.Scheme})
	NewWithT(t).Expect(err).NotTo(HaveOccurred())
	env.Client = c
}

// declareAtProviderField adds field (a string) to the atProvider schema of
// every version of the CRD name.
func declareAtProviderField(t *testing.T, env *testenv.Env, name, field string) {
	t.Helper()
	NewWithT(t).Eventually(func() error {
		crd := &apiextensionsv1.CustomResourceDefinition{}
		if err := env.Client.Get(t.Context(), client.ObjectKey{Name: name}, crd); err != nil {
			return err
		}
		for i := range crd.Spec.Versions {
			status := crd.Spec.Versions[i].Schema.OpenAPIV3Schema.Properties["status"]
			atProvider := status.Properties["atProvider"]
			if atProvider.Properties == nil {
				atProvider.Properties = map[string]apiextensionsv1.JSONSchemaProps{}
			}
			atProvider.Properties[field] = apiextensionsv1.JSONSchemaProps{Type: "string"}
			status.Properties["atProvider"] = atProvider
			crd.Spec.Versions[i].Schema.OpenAPIV3Schema.Properties["status"] = status
		}
		return env.Client.Update(t.Context(), crd)
	}, timeout, poll).Should(Succeed())
}

// provide plays provider-terraform: the Workspace is ready with atProvider.
func provide(t *testing.T, env *testenv.Env, key types.NamespacedName, atProvider string) {
	t.Helper()
	NewWithT(t).Eventually(func() error {
		return testenv.ProvideObservation(t.Context(), env.Client, key, &runtime.RawExtension{Raw: []byte(atProvider)}, true, tfv1beta1.ReasonAvailable, nil)
	}, timeout, poll).Should(Succeed())
}

// waitMirrorsStored waits until control plane cp's mirror equals the
// atProvider the API server stores for its Workspace, with checksum, and
// returns that atProvider.
func waitMirrorsStored(t *testing.T, env *testenv.Env, cp string, key types.NamespacedName, checksum string) map[string]any {
	t.Helper()
	var stored map[string]any
	NewWithT(t).Eventually(func(g Gomega) {
		ws, err := testenv.GetWorkspace(t.Context(), env.Client, key)
		g.Expect(err).NotTo(HaveOccurred())
		stored = nil
		g.Expect(json.Unmarshal(ws.Observed().AtProvider.Raw, &stored)).To(Succeed())
		g.Expect(stored["checksum"]).To(Equal(checksum))
		got := &controlplanev1beta1.CAPTControlPlane{}
		g.Expect(env.Client.Get(t.Context(), types.NamespacedName{Namespace: ns, Name: cp}, got)).To(Succeed())
		g.Expect(got.Status.WorkspaceStatus).NotTo(BeNil())
		g.Expect(got.Status.WorkspaceStatus.AtProvider).NotTo(BeNil())
		var mirrored map[string]any
		g.Expect(json.Unmarshal(got.Status.WorkspaceStatus.AtProvider.Raw, &mirrored)).To(Succeed())
		g.Expect(mirrored).To(Equal(stored))
	}, timeout, poll/2).Should(Succeed())
	return stored
}

// template creates a WorkspaceTemplate of scope ("" for the default).
func template(t *testing.T, env *testenv.Env, name string, scope infrastructurev1beta1.WorkspaceScope) {
	t.Helper()
	testenv.CreateTemplate(t, env.Client, ns, name, scope)
}

// controlPlane creates a control plane from template, owned by cluster
// when not nil.
func controlPlane(t *testing.T, env *testenv.Env, name, template string, cluster *clusterv1.Cluster) *controlplanev1beta1.CAPTControlPlane {
	t.Helper()
	cp := testenv.ControlPlane(ns, name, template, cluster)
	NewWithT(t).Expect(env.Client.Create(t.Context(), cp)).To(Succeed())
	return cp
}

// waitCondition waits until the control plane's condition passes check.
func waitCondition(t *testing.T, env *testenv.Env, cp *controlplanev1beta1.CAPTControlPlane, conditionType string, check func(Gomega, *metav1.Condition)) {
	t.Helper()
	testenv.WaitControlPlaneCondition(t, env.Client, cp, conditionType, check, timeout, poll)
}
