package integration

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/capt-controlplane/capt-controlplane/internal/upstream"
	"github.com/capt-controlplane/capt-controlplane/test/testenv"
)

// TestUpstreamManifestsAcceptedUnchanged applies manifests that use every
// field of upstream CAPT's four schemas and of provider-terraform's
// forProvider with kubectl, server-side, and reads each spec back: nothing
// refused, nothing pruned, nothing defaulted that was not written. The
// CaptControlPlaneTemplate goes through kubectl capt templates first, as
// docs/upgrade.md migrates it (its kind is CAPTControlPlaneTemplate now).
func TestUpstreamManifestsAcceptedUnchanged(t *testing.T) {
	g := NewWithT(t)
	path := filepath.Join(testenv.RepoRoot(), "test", "testdata", "upstream-compat.yaml")
	raw, err := os.ReadFile(path)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(env.Client.Create(t.Context(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "compat"}})).To(Succeed())

	var others, templates bytes.Buffer
	for _, doc := range strings.Split(string(raw), "\n---\n") {
		if !strings.Contains(doc, "\nkind: "+upstream.TemplateKind+"\n") {
			others.WriteString("---\n" + doc + "\n")
		}
	}
	g.Expect(upstream.Templates(bytes.NewReader(raw), &templates)).To(Succeed())
	kubeconfig, err := env.KubeconfigFile(t.TempDir())
	g.Expect(err).NotTo(HaveOccurred())
	for _, manifests := range []*bytes.Buffer{&others, &templates} {
		apply := exec.Command(testenv.Kubectl(), "--kubeconfig", kubeconfig, "apply", "--server-side", "-f", "-")
		apply.Stdin = manifests
		out, err := apply.CombinedOutput()
		g.Expect(err).NotTo(HaveOccurred(), string(out))
	}

	decoder := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(raw), 4096)
	kinds := map[string]bool{}
	for {
		want := &unstructured.Unstructured{}
		if err := decoder.Decode(&want.Object); err != nil {
			break
		}
		if len(want.Object) == 0 {
			continue
		}
		kinds[want.GetKind()] = true
		got := &unstructured.Unstructured{}
		got.SetGroupVersionKind(want.GroupVersionKind())
		if want.GetKind() == upstream.TemplateKind {
			got.SetKind(upstream.CAPTTemplateKind)
		}
		g.Expect(env.Client.Get(t.Context(), client.ObjectKeyFromObject(want), got)).To(Succeed())
		g.Expect(testenv.JSONEqual(got.Object["spec"], want.Object["spec"])).To(BeTrue(),
			"%s %s: spec changed on the way in:\n got %v\nwant %v", want.GetKind(), want.GetName(), got.Object["spec"], want.Object["spec"])
	}
	g.Expect(kinds).To(HaveLen(4), "every kind is covered")
}
