package capi

import (
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/capt-controlplane/capt-controlplane/test/testenv"
)

// kubectl runs kubectl with the administrator's kubeconfig.
func kubectl(kubeconfig, stdin string, args ...string) (string, error) {
	cmd := exec.Command(testenv.Kubectl(), append([]string{"--kubeconfig", kubeconfig}, args...)...)
	if stdin != "" {
		cmd.Stdin = strings.NewReader(stdin)
	}
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// clusterctl runs Cluster API's clusterctl with the administrator's
// kubeconfig.
func clusterctl(kubeconfig string, args ...string) (string, error) {
	cmd := exec.Command(filepath.Join(testenv.ClusterAPIDir(), "clusterctl"), append(args, "--kubeconfig", kubeconfig)...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}
