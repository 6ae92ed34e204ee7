// Package testenv starts a real kube-apiserver and etcd (controller-runtime
// envtest) with the project's CRDs installed, for integration tests. The
// binaries come from bin/k8s, built from source by `make k8s-binaries`.
package testenv

import (
	"cmp"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"time"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	k8sruntime "k8s.io/apimachinery/pkg/runtime"

	"github.com/capt-controlplane/capt-controlplane/internal/scheme"
)

// Env is a running control plane for tests.
type Env struct {
	// Config reaches the API server as an administrator.
	Config *rest.Config
	// Client is an uncached client with Scheme.
	Client client.Client
	// Scheme knows the built-in types and the project's APIs.
	Scheme *k8sruntime.Scheme

	env *envtest.Environment
	// stopPlayers ends the environment's own provider-terraform player
	// (ReleaseDeletedWorkspaces).
	stopPlayers context.CancelFunc
}

// RepoRoot is the root of this repository.
func RepoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}

// Start starts kube-apiserver and etcd with the project's CRDs from
// config/crd/bases and provider-terraform's own (ProviderTerraformCRDs)
// installed and Established.
func Start() (*Env, error) { return start("", nil, nil, ProviderTerraformGeneration()) }

// StartProviderTerraform is Start with the CRDs of provider-terraform
// generation gen (v1 or v0), whatever the environment says.
func StartProviderTerraform(gen string) (*Env, error) { return start("", nil, nil, gen) }

// StartRestartable is Start with the API server's certificates kept in
// certDir, so that StopAPIServer and StartAPIServer bring it back on the
// same port with the same certificates and the same etcd: clients and
// kubeconfigs stay valid across the restart.
func StartRestartable(certDir string) (*Env, error) {
	return start(certDir, nil, nil, ProviderTerraformGeneration())
}

// StartWithClusterAPI is StartProviderTerraform(gen) with the given Cluster
// API CRDs installed in place of the Cluster CRD alone (ClusterAPICRDs for
// all of core's), and kube-apiserver started with apiServerFlags added.
func StartWithClusterAPI(gen string, crds []*apiextensionsv1.CustomResourceDefinition, apiServerFlags map[string]string) (*Env, error) {
	return start("", crds, apiServerFlags, gen)
}

// StartWithoutDependencies starts an API server with this project's CRDs
// alone: neither provider-terraform's nor Cluster API's (tests install them
// later, as users do).
func StartWithoutDependencies() (*Env, error) {
	return start("", []*apiextensionsv1.CustomResourceDefinition{}, nil, "")
}

func start(certDir string, clusterAPI []*apiextensionsv1.CustomResourceDefinition, apiServerFlags map[string]string, gen string) (*Env, error) {
	root := RepoRoot()
	s := scheme.New()
	crdDirs := []string{filepath.Join(root, "config", "crd", "bases")}
	if gen != "" {
		crdDirs = append(crdDirs, ProviderTerraformCRDs(gen))
	}
	if clusterAPI == nil {
		crdDirs = append(crdDirs, filepath.Join(root, "bin", "crds", "cluster-api")) // `make cluster-api-crds`
	}
	apiServer := &envtest.APIServer{CertDir: certDir}
	for flag, value := range apiServerFlags {
		apiServer.Configure().Set(flag, value)
	}
	env := &envtest.Environment{
		ControlPlane:            envtest.ControlPlane{APIServer: apiServer},
		BinaryAssetsDirectory:   filepath.Join(root, "bin", "k8s"), // KUBEBUILDER_ASSETS wins when set
		CRDDirectoryPaths:       crdDirs,
		CRDs:                    clusterAPI,
		ErrorIfCRDPathMissing:   true,
		ControlPlaneStopTimeout: stopTimeout(certDir),
		Scheme:                  s,
	}
	cfg, err := env.Start()
	if err != nil {
		return nil, fmt.Errorf("starting envtest (run `make k8s-binaries` first?): %w", err)
	}
	// Tests drive many writes; the default client-side limit only slows them.
	cfg.QPS, cfg.Burst = 1000, 2000
	c, err := client.New(cfg, client.Options{Scheme: s})
	if err != nil {
		_ = env.Stop()
		return nil, err
	}
	wc, err := client.NewWithWatch(cfg, client.Options{Scheme: s})
	if err != nil {
		_ = env.Stop()
		return nil, err
	}
	ctx, stopPlayers := context.WithCancel(context.Background())
	ReleaseDeletedWorkspaces(ctx, wc)
	return &Env{Config: cfg, Client: c, Scheme: s, env: env, stopPlayers: stopPlayers}, nil
}

// ProviderTerraformGeneration is the generation of provider-terraform whose
// CRDs the tests install: v1 (crossplane-contrib, crossplane-runtime v2,
// the default) or v0 (upbound, what upstream CAPT users run), from the
// environment variable PROVIDER_TERRAFORM_GENERATION.
func ProviderTerraformGeneration() string {
	return cmp.Or(os.Getenv("PROVIDER_TERRAFORM_GENERATION"), "v1")
}

// ProviderTerraformCRDs is the folder of provider-terraform's own CRDs of
// generation gen, copied from its module (`make provider-terraform-crds`).
func ProviderTerraformCRDs(gen string) string {
	return filepath.Join(RepoRoot(), "bin", "provider-terraform", gen, "crds")
}

// ProviderTerraformBinary is provider-terraform of generation gen, built
// from its module (`make provider-terraform`).
func ProviderTerraformBinary(gen string) string {
	return filepath.Join(RepoRoot(), "bin", "provider-terraform", gen, "provider")
}

// TerraformDir is the folder whose `terraform` is OpenTofu, built from its
// module (`make provider-terraform`): the provider finds it on PATH.
func TerraformDir() string {
	return filepath.Join(RepoRoot(), "bin", "provider-terraform")
}

// stopTimeout is short for a restartable API server: a restart is a crash
// and a start, not a wait for the graceful end of every open watch.
func stopTimeout(certDir string) time.Duration {
	if certDir != "" {
		return 5 * time.Second
	}
	return 0 // envtest's default
}

// StopAPIServer stops kube-apiserver and leaves etcd running.
func (e *Env) StopAPIServer() error { return e.env.ControlPlane.APIServer.Stop() }

// StartAPIServer starts kube-apiserver again after StopAPIServer.
func (e *Env) StartAPIServer() error { return e.env.ControlPlane.APIServer.Start() }

// Stop stops the control plane.
func (e *Env) Stop() error {
	e.stopPlayers()
	return e.env.Stop()
}

// KubeconfigFile writes a kubeconfig for an administrator into dir and
// returns its path, for kubectl.
func (e *Env) KubeconfigFile(dir string) (string, error) {
	user, err := e.env.ControlPlane.AddUser(envtest.User{Name: "admin", Groups: []string{"system:masters"}}, nil)
	if err != nil {
		return "", err
	}
	kc, err := user.KubeConfig()
	if err != nil {
		return "", err
	}
	path := filepath.Join(dir, "kubeconfig")
	return path, os.WriteFile(path, kc, 0o600)
}

// Kubectl is the path of the kubectl built into bin/k8s.
func Kubectl() string {
	if assets := os.Getenv("KUBEBUILDER_ASSETS"); assets != "" {
		return filepath.Join(assets, "kubectl")
	}
	return filepath.Join(RepoRoot(), "bin", "k8s", "kubectl")
}
