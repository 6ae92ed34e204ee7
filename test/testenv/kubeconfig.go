package testenv

import (
	"fmt"
	"testing"
	"time"

	"github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"

	controlplanev1beta1 "github.com/capt-controlplane/capt-controlplane/apis/controlplane/v1beta1"
)

// ManagerServiceAccount is the user the manager runs as when installed from
// config/default.
const ManagerServiceAccount = "system:serviceaccount:capt-system:capt-manager"

// Manager is the ServiceAccount of config/default.
var Manager = ServiceAccount{Namespace: "capt-system", Name: "capt-manager"}

// ImpersonatingKubeconfig rewrites an administrator's kubeconfig so that
// every request impersonates the manager's ServiceAccount: the manager then
// runs out of cluster with exactly the RBAC of config/default.
func ImpersonatingKubeconfig(admin []byte) ([]byte, error) {
	return ImpersonatingKubeconfigAs(admin, Manager)
}

// ImpersonatingKubeconfigAs rewrites an administrator's kubeconfig so that
// every request impersonates sa, with the groups a ServiceAccount's token
// carries.
func ImpersonatingKubeconfigAs(admin []byte, sa ServiceAccount) ([]byte, error) {
	cfg, err := clientcmd.Load(admin)
	if err != nil {
		return nil, err
	}
	for _, auth := range cfg.AuthInfos {
		auth.Impersonate = "system:serviceaccount:" + sa.Namespace + ":" + sa.Name
		auth.ImpersonateGroups = []string{"system:serviceaccounts", "system:serviceaccounts:" + sa.Namespace, "system:authenticated"}
	}
	return clientcmd.Write(*cfg)
}

// WaitKubeconfigCAs waits until both kubeconfig Secrets of the cluster
// named cluster in namespace — Cluster API's and the people's — name ca
// as the CA of every cluster they hold.
func WaitKubeconfigCAs(t testing.TB, c client.Client, namespace, cluster string, ca []byte, timeout, poll time.Duration) {
	t.Helper()
	for _, name := range []string{cluster + controlplanev1beta1.KubeconfigSecretSuffix, cluster + controlplanev1beta1.UserKubeconfigSecretSuffix} {
		gomega.NewWithT(t).Eventually(func(g gomega.Gomega) {
			secret := &corev1.Secret{}
			g.Expect(c.Get(t.Context(), types.NamespacedName{Namespace: namespace, Name: name}, secret)).To(gomega.Succeed())
			cfg, err := clientcmd.Load(secret.Data["value"])
			g.Expect(err).NotTo(gomega.HaveOccurred())
			g.Expect(cfg.Clusters).NotTo(gomega.BeEmpty())
			for _, cl := range cfg.Clusters {
				g.Expect(string(cl.CertificateAuthorityData)).To(gomega.Equal(string(ca)), "the CA of %s", name)
			}
		}, timeout, poll).Should(gomega.Succeed())
	}
}

// BearerToken is the token of the current context of a kubeconfig, as in
// the value of the manager's token kubeconfig Secrets.
func BearerToken(kubeconfig []byte) (string, error) {
	cfg, err := clientcmd.Load(kubeconfig)
	if err != nil {
		return "", err
	}
	context, ok := cfg.Contexts[cfg.CurrentContext]
	if !ok {
		return "", fmt.Errorf("no current context %q", cfg.CurrentContext)
	}
	auth, ok := cfg.AuthInfos[context.AuthInfo]
	if !ok {
		return "", fmt.Errorf("no user %q", context.AuthInfo)
	}
	return auth.Token, nil
}
