// Package kubeconfigs renders the kubeconfigs of an EKS workload cluster:
// the same cluster entry, and a user that authenticates either with a
// bearer token (for Cluster API's controllers) or with `aws eks get-token`
// (for people).
package kubeconfigs

import (
	"encoding/base64"
	"fmt"

	clientcmdapi "k8s.io/client-go/tools/clientcmd/api/v1"
	"sigs.k8s.io/yaml"

	tfv1beta1 "github.com/capt-controlplane/capt-controlplane/apis/external/tf/v1beta1"
)

// The Terraform outputs a kubeconfig is made from.
const (
	OutputEndpoint = "cluster_endpoint"
	OutputName     = "cluster_name"
	OutputCA       = "cluster_certificate_authority_data"
)

// Cluster is the workload cluster a kubeconfig points at.
type Cluster struct {
	// Name is Cluster API's name of the cluster; EKSName the EKS cluster's.
	Name, EKSName string
	// Server is the API server URL; CA its certificate authority (PEM).
	Server string
	CA     []byte
	// Region is the EKS cluster's AWS region.
	Region string
}

// FromOutputs fills the EKS name and the CA from the Terraform outputs:
// those in the Workspace's observation, else those in its connection Secret
// (connection, nil when not read). provider-terraform leaves a sensitive
// output out of status.atProvider and writes it only to the connection
// Secret, with every other output: a string as it is, any other value as
// JSON. The EKS name is the cluster's own when no output names it.
func FromOutputs(c Cluster, o tfv1beta1.Observation, connection map[string][]byte) Cluster {
	c.EKSName = c.Name
	if name, ok := stringOutput(o, connection, OutputName); ok {
		c.EKSName = name
	}
	if encoded, ok := stringOutput(o, connection, OutputCA); ok {
		if decoded, err := base64.StdEncoding.DecodeString(encoded); err == nil {
			c.CA = decoded
		}
	}
	return c
}

// NeedsConnection reports whether the observation has the endpoint but
// lacks the CA, which every kubeconfig needs, so that the connection Secret
// must be read. Without the endpoint no kubeconfig can be made: a Workspace
// not yet applied costs no read. (A module without a cluster_name output is
// common: its absence alone is no reason to read a Secret.)
func NeedsConnection(o tfv1beta1.Observation) bool {
	if endpoint, ok, err := o.StringOutput(OutputEndpoint); err != nil || !ok || endpoint == "" {
		return false
	}
	_, ok, err := o.StringOutput(OutputCA)
	return err != nil || !ok
}

func stringOutput(o tfv1beta1.Observation, connection map[string][]byte, name string) (string, bool) {
	if value, ok, err := o.StringOutput(name); err == nil && ok {
		return value, true
	}
	value, ok := connection[name]
	return string(value), ok && len(value) > 0
}

// Exec renders a kubeconfig whose user runs `aws eks get-token`, as EKS
// kubeconfigs for people do.
func Exec(c Cluster) ([]byte, error) {
	return render(c, clientcmdapi.AuthInfo{Exec: &clientcmdapi.ExecConfig{
		APIVersion:      "client.authentication.k8s.io/v1beta1",
		Command:         "aws",
		Args:            []string{"eks", "get-token", "--cluster-name", c.EKSName, "--region", c.Region},
		InteractiveMode: clientcmdapi.NeverExecInteractiveMode,
	}})
}

// Token renders a kubeconfig whose user presents token: what Cluster API's
// ClusterCache accepts (it refuses exec plugins).
func Token(c Cluster, token string) ([]byte, error) {
	return render(c, clientcmdapi.AuthInfo{Token: token})
}

func render(c Cluster, auth clientcmdapi.AuthInfo) ([]byte, error) {
	if c.Server == "" {
		return nil, fmt.Errorf("no server for cluster %s", c.Name)
	}
	user := c.Name + "-admin"
	cfg := clientcmdapi.Config{
		APIVersion:     "v1",
		Kind:           "Config",
		Clusters:       []clientcmdapi.NamedCluster{{Name: c.Name, Cluster: clientcmdapi.Cluster{Server: c.Server, CertificateAuthorityData: c.CA}}},
		AuthInfos:      []clientcmdapi.NamedAuthInfo{{Name: user, AuthInfo: auth}},
		Contexts:       []clientcmdapi.NamedContext{{Name: user + "@" + c.Name, Context: clientcmdapi.Context{Cluster: c.Name, AuthInfo: user}}},
		CurrentContext: user + "@" + c.Name,
	}
	return yaml.Marshal(cfg)
}
