package testenv

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"
)

// Versions in the local repository: Cluster API's as built, this
// provider's as metadata.yaml's release series says.
const (
	ClusterAPIVersion = "v1.14.2"
	CAPTVersion       = "v0.1.0"
	// CAPTNextVersion is the next release: the same components with its
	// own image, and metadata.yaml with its release series added, as a
	// release adds it.
	CAPTNextVersion = "v0.2.0"
)

// ClusterctlRepository writes a clusterctl local repository and its config into dir
// and returns the config's path: this provider's release artifacts (`make
// release-artifacts`), Cluster API's core CRDs as built (its conversion
// webhook off: no serving certificate here) and a kubeadm bootstrap
// and control plane provider of nothing but their namespaces (clusterctl's
// first init installs kubeadm's bootstrap provider with any control plane
// provider, and kubeadm's control plane provider when none is named). cert-manager is not in it:
// its API is stood in for by its CRDs (CertManagerStandIn).
func ClusterctlRepository(t testing.TB, dir string) string {
	t.Helper()
	g := gomega.NewWithT(t)
	root := RepoRoot()
	write := func(path string, data []byte) {
		g.Expect(os.MkdirAll(filepath.Dir(path), 0o755)).To(gomega.Succeed())
		g.Expect(os.WriteFile(path, data, 0o644)).To(gomega.Succeed())
	}

	// This provider, as released.
	artifacts := filepath.Join(dir, "control-plane-capt", CAPTVersion)
	out, err := exec.Command("make", "-C", root, "release-artifacts", "RELEASE_DIR="+artifacts).CombinedOutput()
	g.Expect(err).NotTo(gomega.HaveOccurred(), string(out))

	// Cluster API's core: its namespace and CRDs.
	crds, err := ClusterAPICRDs()
	g.Expect(err).NotTo(gomega.HaveOccurred())
	core := manifest(t, &corev1.Namespace{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Namespace"}, ObjectMeta: metav1.ObjectMeta{Name: "capi-system"}})
	for _, crd := range crds {
		crd.TypeMeta = metav1.TypeMeta{APIVersion: "apiextensions.k8s.io/v1", Kind: "CustomResourceDefinition"}
		core = append(core, manifest(t, crd)...)
	}
	coreDir := filepath.Join(dir, "cluster-api", ClusterAPIVersion)
	write(filepath.Join(coreDir, "core-components.yaml"), core)
	metadata, err := os.ReadFile(filepath.Join(clusterAPIModule(t), "metadata.yaml"))
	g.Expect(err).NotTo(gomega.HaveOccurred())
	write(filepath.Join(coreDir, "metadata.yaml"), metadata)

	kubeadmDir := filepath.Join(dir, "bootstrap-kubeadm", ClusterAPIVersion)
	write(filepath.Join(kubeadmDir, "bootstrap-components.yaml"),
		manifest(t, &corev1.Namespace{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Namespace"}, ObjectMeta: metav1.ObjectMeta{Name: "capi-kubeadm-bootstrap-system"}}))
	write(filepath.Join(kubeadmDir, "metadata.yaml"), metadata)
	kcpDir := filepath.Join(dir, "control-plane-kubeadm", ClusterAPIVersion)
	write(filepath.Join(kcpDir, "control-plane-components.yaml"),
		manifest(t, &corev1.Namespace{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Namespace"}, ObjectMeta: metav1.ObjectMeta{Name: "capi-kubeadm-control-plane-system"}}))
	write(filepath.Join(kcpDir, "metadata.yaml"), metadata)

	// This provider's next release.
	next := filepath.Join(dir, "control-plane-capt", CAPTNextVersion)
	components, err := os.ReadFile(filepath.Join(artifacts, "control-plane-components.yaml"))
	g.Expect(err).NotTo(gomega.HaveOccurred())
	g.Expect(string(components)).To(gomega.ContainSubstring(":" + CAPTVersion + "}"))
	write(filepath.Join(next, "control-plane-components.yaml"), bytes.ReplaceAll(components, []byte(":"+CAPTVersion+"}"), []byte(":"+CAPTNextVersion+"}")))
	captMetadata, err := os.ReadFile(filepath.Join(artifacts, "metadata.yaml"))
	g.Expect(err).NotTo(gomega.HaveOccurred())
	write(filepath.Join(next, "metadata.yaml"), append(captMetadata, []byte("- major: 0\n  minor: 2\n  contract: v1beta2\n")...))

	config := fmt.Sprintf(`providers:
- name: cluster-api
  type: CoreProvider
  url: file://%s/core-components.yaml
- name: kubeadm
  type: BootstrapProvider
  url: file://%s/bootstrap-components.yaml
- name: kubeadm
  type: ControlPlaneProvider
  url: file://%s/control-plane-components.yaml
- name: capt
  type: ControlPlaneProvider
  url: file://%s/control-plane-components.yaml
cert-manager:
  url: file://%s/cert-manager/v1.19.1/cert-manager.yaml
  version: v1.19.1
`, coreDir, kubeadmDir, kcpDir, artifacts, dir)
	path := filepath.Join(dir, "clusterctl.yaml")
	write(path, []byte(config))
	return path
}

// clusterAPIModule is Cluster API's module in the module cache, as
// hack/cluster-api builds it.
func clusterAPIModule(t testing.TB) string {
	t.Helper()
	cmd := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "sigs.k8s.io/cluster-api")
	cmd.Dir = filepath.Join(RepoRoot(), "hack", "cluster-api")
	out, err := cmd.Output()
	gomega.NewWithT(t).Expect(err).NotTo(gomega.HaveOccurred())
	return string(bytes.TrimSpace(out))
}

// manifest is obj as a YAML document.
func manifest(t testing.TB, obj any) []byte {
	t.Helper()
	raw, err := yaml.Marshal(obj)
	gomega.NewWithT(t).Expect(err).NotTo(gomega.HaveOccurred())
	return append([]byte("---\n"), raw...)
}

// CertManagerStandIn installs cert-manager's Issuer and Certificate kinds,
// which is all clusterctl checks of cert-manager (it creates a test Issuer
// and Certificate): nothing here serves a webhook that needs a
// certificate.
func CertManagerStandIn(t testing.TB, c client.Client) {
	t.Helper()
	for _, kind := range []string{"Issuer", "Certificate"} {
		plural := map[string]string{"Issuer": "issuers", "Certificate": "certificates"}[kind]
		preserve := true
		crd := &apiextensionsv1.CustomResourceDefinition{
			ObjectMeta: metav1.ObjectMeta{Name: plural + ".cert-manager.io"},
			Spec: apiextensionsv1.CustomResourceDefinitionSpec{
				Group: "cert-manager.io", Scope: apiextensionsv1.NamespaceScoped,
				Names: apiextensionsv1.CustomResourceDefinitionNames{Kind: kind, ListKind: kind + "List", Plural: plural, Singular: plural[:len(plural)-1]},
				Versions: []apiextensionsv1.CustomResourceDefinitionVersion{{Name: "v1", Served: true, Storage: true,
					Schema: &apiextensionsv1.CustomResourceValidation{OpenAPIV3Schema: &apiextensionsv1.JSONSchemaProps{
						Type: "object", XPreserveUnknownFields: &preserve}}}},
			},
		}
		gomega.NewWithT(t).Expect(c.Create(t.Context(), crd)).To(gomega.Succeed())
	}
}

// Clusterctl runs clusterctl, as built from Cluster API's module, with the
// local repository's config.
func Clusterctl(t testing.TB, config string, args ...string) string {
	t.Helper()
	cmd := exec.Command(filepath.Join(ClusterAPIDir(), "clusterctl"), append(args, "--config", config, "-v", "2")...)
	cmd.Env = append(os.Environ(), "HOME="+filepath.Dir(config))
	out, err := cmd.CombinedOutput()
	gomega.NewWithT(t).Expect(err).NotTo(gomega.HaveOccurred(), "clusterctl %v:\n%s", args, out)
	return string(out)
}

func labelCRD(t testing.TB, c client.Client, name, label string) {
	t.Helper()
	crd := &apiextensionsv1.CustomResourceDefinition{ObjectMeta: metav1.ObjectMeta{Name: name}}
	gomega.NewWithT(t).Expect(c.Patch(t.Context(), crd, client.RawPatch(types.MergePatchType,
		[]byte(`{"metadata":{"labels":{"`+label+`":""}}}`)))).To(gomega.Succeed())
}

// InitWithClusterctl installs, with clusterctl init from the local
// repository at config, Cluster API's core, kubeadm's bootstrap provider
// and this provider at CAPTVersion (or, without withCAPT, kubeadm's
// control plane provider in its place) on env, whose kubeconfig file is
// kubeconfig; cert-manager is stood in for. It then takes docs/move.md's
// admin step: provider-terraform's namespaced Workspace CRD labelled for
// move.
func InitWithClusterctl(t testing.TB, env *Env, config, kubeconfig string, withCAPT bool) {
	t.Helper()
	CertManagerStandIn(t, env.Client)
	controlPlane := "capt:" + CAPTVersion
	if !withCAPT {
		controlPlane = "kubeadm:" + ClusterAPIVersion
	}
	Clusterctl(t, config, "init", "--kubeconfig", kubeconfig, "--core", "cluster-api:"+ClusterAPIVersion,
		"--bootstrap", "kubeadm:"+ClusterAPIVersion, "--control-plane", controlPlane)
	labelCRD(t, env.Client, "workspaces.tf.m.upbound.io", "clusterctl.cluster.x-k8s.io")
}
