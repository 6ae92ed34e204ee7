package integration

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/yaml"

	"github.com/capt-controlplane/capt-controlplane/test/testenv"
)

// kustomize builds a config/ folder as kubectl does.
func kustomize(t *testing.T, dir string) []byte {
	t.Helper()
	out, err := exec.Command(testenv.Kubectl(), "kustomize", filepath.Join(testenv.RepoRoot(), "config", dir)).Output()
	NewWithT(t).Expect(err).NotTo(HaveOccurred())
	return out
}

// clusterctlYAML runs `clusterctl generate yaml` (clusterctl's own variable
// processor) on in, with env as the whole environment.
func clusterctlYAML(t *testing.T, in []byte, env []string, args ...string) (string, error) {
	t.Helper()
	config := filepath.Join(t.TempDir(), "clusterctl.yaml")
	NewWithT(t).Expect(os.WriteFile(config, []byte("{}\n"), 0o600)).To(Succeed())
	cmd := exec.Command(filepath.Join(testenv.ClusterAPIDir(), "clusterctl"), append([]string{"generate", "yaml", "--config", config}, args...)...)
	cmd.Stdin = bytes.NewReader(in)
	cmd.Env = append([]string{"HOME=" + t.TempDir()}, env...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func objects(t *testing.T, raw []byte) []*unstructured.Unstructured {
	t.Helper()
	var objs []*unstructured.Unstructured
	decoder := yaml.NewYAMLOrJSONDecoder(bytes.NewReader(raw), 4096)
	for {
		obj := &unstructured.Unstructured{}
		if err := decoder.Decode(&obj.Object); err != nil {
			break
		}
		if len(obj.Object) > 0 {
			objs = append(objs, obj)
		}
	}
	return objs
}

// TestClusterctlComponents: the release's components (config/release,
// what `make release-artifacts` writes) have one variable, CAPT_IMAGE, with
// a default, as clusterctl's processor reads them (a `${...}` anywhere else,
// a description included, would be a variable clusterctl init requires);
// and every object, installed with clusterctl or with kubectl apply -k
// config/default, carries the labels clusterctl move looks for, the
// templates and grants the labels that make move carry them.
func TestClusterctlComponents(t *testing.T) {
	g := NewWithT(t)
	components := kustomize(t, "release")
	out, err := clusterctlYAML(t, components, nil, "--list-variables")
	g.Expect(err).NotTo(HaveOccurred(), out)
	g.Expect(strings.TrimSpace(out)).To(Equal("Variables:\n  - CAPT_IMAGE"))

	out, err = clusterctlYAML(t, components, nil)
	g.Expect(err).NotTo(HaveOccurred(), out)
	g.Expect(out).To(ContainSubstring("image: ghcr.io/capt-controlplane/capt-controlplane:v0.1.0\n"), "the default image")
	out, err = clusterctlYAML(t, components, []string{"CAPT_IMAGE=registry.example.com/capt:dev"})
	g.Expect(err).NotTo(HaveOccurred(), out)
	g.Expect(out).To(ContainSubstring("image: registry.example.com/capt:dev\n"))

	for _, dir := range []string{"release", "default"} {
		for _, obj := range objects(t, kustomize(t, dir)) {
			id := dir + ": " + obj.GetKind() + " " + obj.GetName()
			g.Expect(obj.GetLabels()).To(HaveKeyWithValue("cluster.x-k8s.io/provider", "control-plane-capt"), id)
			g.Expect(obj.GetLabels()).To(HaveKey("clusterctl.cluster.x-k8s.io"), id)
			switch obj.GetName() {
			case "workspacetemplates.infrastructure.cluster.x-k8s.io":
				g.Expect(obj.GetLabels()).To(HaveKey("clusterctl.cluster.x-k8s.io/move"), id)
			case "providerconfiggrants.infrastructure.cluster.x-k8s.io":
				g.Expect(obj.GetLabels()).To(HaveKey("clusterctl.cluster.x-k8s.io/move-hierarchy"), id)
			}
		}
	}
}
