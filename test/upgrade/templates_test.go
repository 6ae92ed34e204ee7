package upgrade

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/capt-controlplane/capt-controlplane/internal/upstream"
	"github.com/capt-controlplane/capt-controlplane/test/testenv"
)

const templatesCRD = "captcontrolplanetemplates.controlplane.cluster.x-k8s.io"

// TestTemplatesMigrate runs docs/upgrade.md's step 0 with kubectl and
// bin/kubectl-capt on upstream's CaptControlPlaneTemplate (the one of
// test/testdata/upstream-compat.yaml), served by a CRD of upstream's kind:
// saved, its CRD deleted, this release's applied, created again as a
// CAPTControlPlaneTemplate with the same name, labels, annotations and spec.
func TestTemplatesMigrate(t *testing.T) {
	g := NewWithT(t)
	env, err := testenv.Start()
	g.Expect(err).NotTo(HaveOccurred())
	t.Cleanup(func() { _ = env.Stop() })
	ctx := t.Context()

	// Upstream's CRD: this release's schema under upstream's kind.
	crd := &apiextensionsv1.CustomResourceDefinition{}
	g.Expect(env.Client.Get(ctx, client.ObjectKey{Name: templatesCRD}, crd)).To(Succeed())
	g.Expect(env.Client.Delete(ctx, crd)).To(Succeed())
	g.Eventually(func() bool {
		return client.IgnoreNotFound(env.Client.Get(ctx, client.ObjectKey{Name: templatesCRD}, &apiextensionsv1.CustomResourceDefinition{})) == nil &&
			env.Client.Get(ctx, client.ObjectKey{Name: templatesCRD}, &apiextensionsv1.CustomResourceDefinition{}) != nil
	}, 30*time.Second, 100*time.Millisecond).Should(BeTrue())
	old := &apiextensionsv1.CustomResourceDefinition{}
	old.Name, old.Labels, old.Spec = templatesCRD, crd.Labels, crd.Spec
	old.Spec.Names.Kind, old.Spec.Names.ListKind = upstream.TemplateKind, upstream.TemplateKind+"List"
	g.Expect(env.Client.Create(ctx, old)).To(Succeed())
	testenv.RunKubectl(t, env, "wait", "--for=condition=established", "--timeout=30s", "crd/"+templatesCRD)

	raw, err := os.ReadFile(filepath.Join(testenv.RepoRoot(), "test", "testdata", "upstream-compat.yaml"))
	g.Expect(err).NotTo(HaveOccurred())
	var want *unstructured.Unstructured
	decoder := utilyaml.NewYAMLOrJSONDecoder(strings.NewReader(string(raw)), 4096)
	for {
		doc := &unstructured.Unstructured{}
		if decoder.Decode(&doc.Object) != nil {
			break
		}
		if doc.GetKind() == upstream.TemplateKind {
			want = doc
		}
	}
	g.Expect(want).NotTo(BeNil())
	testenv.RunKubectl(t, env, "create", "namespace", want.GetNamespace())
	kubectlIn(t, env, strings.NewReader(string(mustYAML(t, want))), "create", "-f", "-")

	// The documented steps.
	saved := testenv.RunKubectl(t, env, "get", "captcontrolplanetemplates", "-A", "-o", "yaml")
	testenv.RunKubectl(t, env, "delete", "crd", templatesCRD)
	g.Eventually(func() error {
		_, err := kubectlCommand(env, nil, "apply", "--server-side", "-f", filepath.Join(testenv.RepoRoot(), "config", "crd", "bases"))
		return err
	}, 30*time.Second, 100*time.Millisecond).Should(Succeed())
	testenv.RunKubectl(t, env, "wait", "--for=condition=established", "--timeout=30s", "crd/"+templatesCRD)
	plugin := exec.Command(filepath.Join(testenv.RepoRoot(), "bin", "kubectl-capt"), "templates")
	plugin.Stdin = strings.NewReader(saved)
	migrated, err := plugin.Output()
	g.Expect(err).NotTo(HaveOccurred(), "run make build first")
	kubectlIn(t, env, strings.NewReader(string(migrated)), "apply", "--server-side", "-f", "-")

	got := &unstructured.Unstructured{}
	got.SetAPIVersion(want.GetAPIVersion())
	got.SetKind(upstream.CAPTTemplateKind)
	g.Expect(env.Client.Get(ctx, client.ObjectKeyFromObject(want), got)).To(Succeed())
	g.Expect(testenv.JSONEqual(got.Object["spec"], want.Object["spec"])).To(BeTrue(), "spec %v", got.Object["spec"])
	g.Expect(got.GetLabels()).To(Equal(want.GetLabels()))
	g.Expect(got.GetAnnotations()).To(Equal(want.GetAnnotations()))
}

func kubectlIn(t *testing.T, env *testenv.Env, stdin *strings.Reader, args ...string) {
	t.Helper()
	out, err := kubectlCommand(env, stdin, args...)
	NewWithT(t).Expect(err).NotTo(HaveOccurred(), "kubectl %v: %s", args, out)
}

func kubectlCommand(env *testenv.Env, stdin *strings.Reader, args ...string) (string, error) {
	dir, err := os.MkdirTemp("", "kubeconfig")
	if err != nil {
		return "", err
	}
	defer func() { _ = os.RemoveAll(dir) }()
	kubeconfig, err := env.KubeconfigFile(dir)
	if err != nil {
		return "", err
	}
	cmd := exec.Command(testenv.Kubectl(), append([]string{"--kubeconfig", kubeconfig}, args...)...)
	if stdin != nil {
		cmd.Stdin = stdin
	}
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func mustYAML(t *testing.T, obj *unstructured.Unstructured) []byte {
	t.Helper()
	raw, err := obj.MarshalJSON()
	NewWithT(t).Expect(err).NotTo(HaveOccurred())
	return raw
}
