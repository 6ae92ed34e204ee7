package testenv

import (
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/onsi/gomega"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	infrastructurev1beta1 "github.com/capt-controlplane/capt-controlplane/apis/infrastructure/v1beta1"
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
	RunKubectl(t, env, append([]string{"apply", "--server-side"}, args...)...)
}

// RunKubectl runs kubectl as the administrator with args and returns what
// it printed; it fails the test when kubectl fails.
func RunKubectl(t testing.TB, env *Env, args ...string) string {
	t.Helper()
	g := gomega.NewWithT(t)
	kubeconfig, err := env.KubeconfigFile(t.TempDir())
	g.Expect(err).NotTo(gomega.HaveOccurred())
	out, err := exec.Command(Kubectl(), append([]string{"--kubeconfig", kubeconfig}, args...)...).CombinedOutput()
	g.Expect(err).NotTo(gomega.HaveOccurred(), string(out))
	return string(out)
}

// InstallGrantsNow deletes the ProviderConfigGrant CRD (and every grant
// with it) and installs it again from config/crd/bases: an API server
// where the objects created so far predate grants, as after an upgrade
// from a release without them.
func InstallGrantsNow(t testing.TB, env *Env) {
	t.Helper()
	g := gomega.NewWithT(t)
	crd := &apiextensionsv1.CustomResourceDefinition{ObjectMeta: metav1.ObjectMeta{Name: infrastructurev1beta1.ProviderConfigGrantCRD}}
	g.Expect(env.Client.Delete(t.Context(), crd)).To(gomega.Succeed())
	g.Eventually(func() bool {
		return apierrors.IsNotFound(env.Client.Get(t.Context(), client.ObjectKeyFromObject(crd), crd))
	}, time.Minute, 100*time.Millisecond).Should(gomega.BeTrue())
	// Creation times have a one-second grain.
	time.Sleep(1100 * time.Millisecond)
	KubectlApply(t, env, "-f", filepath.Join(RepoRoot(), "config", "crd", "bases", "infrastructure.cluster.x-k8s.io_providerconfiggrants.yaml"))
	g.Eventually(func() error {
		return env.Client.List(t.Context(), &infrastructurev1beta1.ProviderConfigGrantList{})
	}, time.Minute, 100*time.Millisecond).Should(gomega.Succeed(), "grants served again")
}
