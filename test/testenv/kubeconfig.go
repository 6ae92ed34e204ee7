package testenv

import (
	"k8s.io/client-go/tools/clientcmd"
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
