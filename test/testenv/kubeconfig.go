package testenv

import (
	"k8s.io/client-go/tools/clientcmd"
)

// ManagerServiceAccount is the user the manager runs as when installed from
// config/default.
const ManagerServiceAccount = "system:serviceaccount:capt-system:capt-manager"

// ImpersonatingKubeconfig rewrites an administrator's kubeconfig so that
// every request impersonates the manager's ServiceAccount: the manager then
// runs out of cluster with exactly the RBAC of config/default.
func ImpersonatingKubeconfig(admin []byte) ([]byte, error) {
	cfg, err := clientcmd.Load(admin)
	if err != nil {
		return nil, err
	}
	for _, auth := range cfg.AuthInfos {
		auth.Impersonate = ManagerServiceAccount
		auth.ImpersonateGroups = []string{"system:serviceaccounts", "system:serviceaccounts:capt-system", "system:authenticated"}
	}
	return clientcmd.Write(*cfg)
}
