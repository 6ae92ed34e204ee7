package testenv

import (
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/onsi/gomega"
)

// InstallConfigDefault installs config/default (namespace, RBAC, CRDs) with
// kubectl, as a user does, applying it server-side.
func InstallConfigDefault(t testing.TB, env *Env) {
	t.Helper()
	KubectlApply(t, env, "-k", filepath.Join(RepoRoot(), "config", "default"))
}

// KubectlApply runs `kubectl apply --server-side` as the administrator with
// args (a -f or -k and its path).
func KubectlApply(t testing.TB, env *Env, args ...string) {
	t.Helper()
	g := gomega.NewWithT(t)
	kubeconfig, err := env.KubeconfigFile(t.TempDir())
	g.Expect(err).NotTo(gomega.HaveOccurred())
	out, err := exec.Command(Kubectl(), append([]string{"--kubeconfig", kubeconfig, "apply", "--server-side"}, args...)...).CombinedOutput()
	g.Expect(err).NotTo(gomega.HaveOccurred(), string(out))
}
