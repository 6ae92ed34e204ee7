package capi

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
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	rbacv1 "k8s.io/api/rbac/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	"github.com/capt-controlplane/capt-controlplane/test/testenv"
)

// clusterAPIDir is where `make capi-binaries` puts Cluster API's manager,
// clusterctl, core CRDs and RBAC, all from the same module version.
func clusterAPIDir() string { return filepath.Join(testenv.RepoRoot(), "bin", "cluster-api") }

// clusterAPICRDs reads Cluster API's core CRDs as shipped and keeps only
// their storage version, with conversion None: without Cluster API's
// conversion webhook (which needs a serving certificate the API server
// trusts) an older served version could not be converted, and this suite
// speaks v1beta2 only.
func clusterAPICRDs() ([]*apiextensionsv1.CustomResourceDefinition, error) {
	files, err := filepath.Glob(filepath.Join(clusterAPIDir(), "crds", "*.yaml"))
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("no CRDs in %s: run `make capi-binaries` first", clusterAPIDir())
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
	files, err := filepath.Glob(filepath.Join(clusterAPIDir(), "rbac", "*.yaml"))
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

// kubectl runs kubectl with the administrator's kubeconfig.
func kubectl(kubeconfig, stdin string, args ...string) (string, error) {
	cmd := exec.Command(testenv.Kubectl(), append([]string{"--kubeconfig", kubeconfig}, args...)...)
	if stdin != "" {
		cmd.Stdin = strings.NewReader(stdin)
	}
	out, err := cmd.CombinedOutput()
	return string(out), err
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

// clusterctl runs Cluster API's clusterctl with the administrator's
// kubeconfig.
func clusterctl(kubeconfig string, args ...string) (string, error) {
	cmd := exec.Command(filepath.Join(clusterAPIDir(), "clusterctl"), append(args, "--kubeconfig", kubeconfig)...)
	out, err := cmd.CombinedOutput()
	return string(out), err
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

// infrastructureCRD stands in for an infrastructure provider: a Cluster
// API v1beta2-contract infrastructure cluster kind whose status the test
// writes, as an EKS infrastructure provider would report the network it
// made.
func infrastructureCRD() *apiextensionsv1.CustomResourceDefinition {
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
