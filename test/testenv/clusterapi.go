package testenv

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"
)

// ClusterAPIServiceAccount is where `clusterctl init` runs Cluster API's
// manager: its config/default's namespace and name prefix.
var ClusterAPIServiceAccount = ServiceAccount{Namespace: "capi-system", Name: "capi-manager"}

// StartClusterAPIManager runs Cluster API's core manager (built by `make
// capi-binaries`) as its ServiceAccount with its shipped RBAC, behind a
// recording proxy, and waits until it is ready. env must have been started
// with ClusterAPICRDs (StartWithClusterAPI).
//
// What Cluster API needs here, beyond its shipped manifests:
//   - a self-signed serving certificate for its webhook server, which it
//     will not start without; the API server is given no webhook
//     configuration, so its defaulting and validation do not run and the
//     objects a test writes must be complete;
//   - no leader election: out of a cluster it cannot tell its namespace;
//   - its aggregated ClusterRole filled in (envtest runs no
//     kube-controller-manager, so no aggregation and no garbage collector).
func StartClusterAPIManager(t testing.TB, env *Env, extraArgs ...string) *Process {
	t.Helper()
	g := gomega.NewWithT(t)
	ctx := context.Background()
	dir := t.TempDir()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ClusterAPIServiceAccount.Namespace}}
	g.Expect(client.IgnoreAlreadyExists(env.Client.Create(ctx, ns))).To(gomega.Succeed())
	rbac, err := clusterAPIRBAC(dir)
	g.Expect(err).NotTo(gomega.HaveOccurred())
	KubectlApply(t, env, "-k", rbac)
	g.Expect(aggregateClusterRoles(ctx, env.Client)).To(gomega.Succeed())
	certDir := filepath.Join(dir, "webhook-certs")
	g.Expect(os.MkdirAll(certDir, 0o700)).To(gomega.Succeed())
	g.Expect(webhookCerts(certDir)).To(gomega.Succeed())
	var ports [3]int
	for i := range ports {
		ports[i], err = FreePort()
		g.Expect(err).NotTo(gomega.HaveOccurred())
	}
	args := append([]string{
		fmt.Sprintf("--diagnostics-address=127.0.0.1:%d", ports[0]), "--insecure-diagnostics",
		fmt.Sprintf("--health-addr=127.0.0.1:%d", ports[1]),
		fmt.Sprintf("--webhook-port=%d", ports[2]), "--webhook-cert-dir=" + certDir,
	}, extraArgs...)
	p := StartProcess(t, env, ClusterAPIServiceAccount, filepath.Join(ClusterAPIDir(), "manager"), args...)
	g.Eventually(func() (int, error) {
		resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/readyz", ports[1]))
		if err != nil {
			return 0, err
		}
		_ = resp.Body.Close()
		return resp.StatusCode, nil
	}, 60*time.Second, 200*time.Millisecond).Should(gomega.Equal(http.StatusOK), "Cluster API's manager becomes ready")
	return p
}

// ClusterAPIDir is where `make capi-binaries` puts Cluster API's manager,
// clusterctl, core CRDs and RBAC, all from the same module version.
func ClusterAPIDir() string { return filepath.Join(RepoRoot(), "bin", "cluster-api") }

// ClusterAPICRDs reads Cluster API's core CRDs as shipped and keeps only
// their storage version, with conversion None: without Cluster API's
// conversion webhook (which needs a serving certificate the API server
// trusts) an older served version could not be converted, and this suite
// speaks v1beta2 only.
func ClusterAPICRDs() ([]*apiextensionsv1.CustomResourceDefinition, error) {
	files, err := filepath.Glob(filepath.Join(ClusterAPIDir(), "crds", "*.yaml"))
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("no CRDs in %s: run `make capi-binaries` first", ClusterAPIDir())
	}
	var crds []*apiextensionsv1.CustomResourceDefinition
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		crd := &apiextensionsv1.CustomResourceDefinition{}
		if err := yaml.UnmarshalStrict(raw, crd); err != nil {
			return nil, fmt.Errorf("%s: %w", f, err)
		}
		var storage []apiextensionsv1.CustomResourceDefinitionVersion
		for _, v := range crd.Spec.Versions {
			if v.Storage {
				storage = append(storage, v)
			}
		}
		crd.Spec.Versions = storage
		crd.Spec.Conversion = &apiextensionsv1.CustomResourceConversion{Strategy: apiextensionsv1.NoneConverter}
		crds = append(crds, crd)
	}
	return crds, nil
}

// clusterAPIRBAC writes a kustomization of Cluster API's shipped RBAC
// (config/rbac, with config/default's aggregation patch, namespace and name
// prefix, as `clusterctl init` installs it) into dir and returns dir.
func clusterAPIRBAC(dir string) (string, error) {
	out := filepath.Join(dir, "capi-rbac")
	if err := os.MkdirAll(filepath.Join(out, "rbac"), 0o755); err != nil {
		return "", err
	}
	files, err := filepath.Glob(filepath.Join(ClusterAPIDir(), "rbac", "*.yaml"))
	if err != nil {
		return "", err
	}
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			return "", err
		}
		name := filepath.Base(f)
		if name == "manager_role_aggregation_patch.yaml" { // from config/default
			if err := os.WriteFile(filepath.Join(out, name), raw, 0o644); err != nil {
				return "", err
			}
			continue
		}
		if err := os.WriteFile(filepath.Join(out, "rbac", name), raw, 0o644); err != nil {
			return "", err
		}
	}
	kustomization := `namespace: capi-system
namePrefix: capi-
resources:
- rbac
patches:
- path: manager_role_aggregation_patch.yaml
`
	return out, os.WriteFile(filepath.Join(out, "kustomization.yaml"), []byte(kustomization), 0o644)
}

// webhookCerts writes a self-signed serving certificate for 127.0.0.1 into
// dir as tls.crt and tls.key: Cluster API's manager will not start its
// webhook server (nor its readiness check) without one. The API server is
// not told about these webhooks, so it never calls them.
func webhookCerts(dir string) error {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "capi-webhook"},
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return err
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "tls.crt"), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "tls.key"), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600)
}

// aggregateClusterRoles does what kube-controller-manager's clusterrole
// aggregation controller would (envtest runs no controller manager): every
// ClusterRole with an aggregation rule gets the rules of the ClusterRoles
// its selectors match. Cluster API's manager is bound to such a role.
func aggregateClusterRoles(ctx context.Context, c client.Client) error {
	roles := &rbacv1.ClusterRoleList{}
	if err := c.List(ctx, roles); err != nil {
		return err
	}
	for i := range roles.Items {
		aggregated := &roles.Items[i]
		if aggregated.AggregationRule == nil {
			continue
		}
		var rules []rbacv1.PolicyRule
		for _, selector := range aggregated.AggregationRule.ClusterRoleSelectors {
			s, err := metav1.LabelSelectorAsSelector(&selector)
			if err != nil {
				return err
			}
			for _, r := range roles.Items {
				if r.Name != aggregated.Name && s.Matches(labels.Set(r.Labels)) {
					rules = append(rules, r.Rules...)
				}
			}
		}
		aggregated.Rules = rules
		if err := c.Update(ctx, aggregated); err != nil {
			return err
		}
	}
	return nil
}

// InfrastructureTemplateCRD is InfrastructureCRD's template kind, for a
// ClusterClass.
func InfrastructureTemplateCRD() *apiextensionsv1.CustomResourceDefinition {
	crd := InfrastructureCRD()
	crd.Name = "testinfraclustertemplates.infrastructure.cluster.x-k8s.io"
	crd.Spec.Names = apiextensionsv1.CustomResourceDefinitionNames{Kind: "TestInfraClusterTemplate", ListKind: "TestInfraClusterTemplateList",
		Plural: "testinfraclustertemplates", Singular: "testinfraclustertemplate"}
	crd.Spec.Versions[0].Subresources = nil
	return crd
}

// InfrastructureCRD stands in for an infrastructure provider: a Cluster
// API v1beta2-contract infrastructure cluster kind whose status the test
// writes, as an EKS infrastructure provider would report the network it
// made.
func InfrastructureCRD() *apiextensionsv1.CustomResourceDefinition {
	preserve := true
	return &apiextensionsv1.CustomResourceDefinition{
		ObjectMeta: metav1.ObjectMeta{
			Name:   "testinfraclusters.infrastructure.cluster.x-k8s.io",
			Labels: map[string]string{"cluster.x-k8s.io/v1beta2": "v1beta1"},
		},
		Spec: apiextensionsv1.CustomResourceDefinitionSpec{
			Group: "infrastructure.cluster.x-k8s.io",
			Names: apiextensionsv1.CustomResourceDefinitionNames{Kind: "TestInfraCluster", ListKind: "TestInfraClusterList", Plural: "testinfraclusters", Singular: "testinfracluster"},
			Scope: apiextensionsv1.NamespaceScoped,
			Versions: []apiextensionsv1.CustomResourceDefinitionVersion{{
				Name: "v1beta1", Served: true, Storage: true,
				Subresources: &apiextensionsv1.CustomResourceSubresources{Status: &apiextensionsv1.CustomResourceSubresourceStatus{}},
				Schema: &apiextensionsv1.CustomResourceValidation{OpenAPIV3Schema: &apiextensionsv1.JSONSchemaProps{
					Type: "object", XPreserveUnknownFields: &preserve,
				}},
			}},
		},
	}
}
