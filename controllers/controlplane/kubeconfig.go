package controlplane

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"

	corev1ac "k8s.io/client-go/applyconfigurations/core/v1"
	metav1ac "k8s.io/client-go/applyconfigurations/meta/v1"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api/v1"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	"sigs.k8s.io/yaml"

	controlplanev1beta1 "github.com/capt-controlplane/capt-controlplane/apis/controlplane/v1beta1"
	"github.com/capt-controlplane/capt-controlplane/controllers/ssa"
)

// kubeconfigKey is the data key Cluster API reads the kubeconfig from.
const kubeconfigKey = "value"

// kubeconfigSecretName is Cluster API's name of a cluster's kubeconfig.
func kubeconfigSecretName(cluster string) string { return cluster + "-kubeconfig" }

// applyKubeconfig applies the Cluster API kubeconfig Secret
// "<cluster>-kubeconfig" once the endpoint is known, and reports whether it
// exists and whether it sent it. A control plane without a Cluster gets none.
func (r *Reconciler) applyKubeconfig(ctx context.Context, cp *controlplanev1beta1.CAPTControlPlane, obs observed, endpoint *controlplanev1beta1.APIEndpoint) (exists, sent bool, err error) {
	cluster := ownerClusterName(cp)
	if cluster == "" || endpoint == nil || obs.workspace == nil {
		return false, false, nil
	}
	kubeconfig, err := buildKubeconfig(cluster, cp, obs, *endpoint)
	if err != nil {
		return false, false, err
	}
	name := kubeconfigSecretName(cluster)
	if obs.kubeconfig == nil {
		// The apply below needs no resourceVersion: it goes on from the
		// migrated ownership (an unlabelled Secret sends no watch event).
		if _, err := r.migrateKubeconfigFromUpstream(ctx, cp.Namespace, name); err != nil {
			return false, false, err
		}
	}
	desired := corev1ac.Secret(name, cp.Namespace).
		WithType(clusterv1.ClusterSecretType).
		// The control-plane labels select the Secret into the manager's
		// cache, which holds no other Secret.
		WithLabels(map[string]string{
			clusterv1.ClusterNameLabel:                     cluster,
			controlplanev1beta1.LabelControlPlaneNamespace: cp.Namespace,
			controlplanev1beta1.LabelControlPlaneName:      cp.Name,
		}).
		WithOwnerReferences(metav1ac.OwnerReference().
			WithAPIVersion(controlplanev1beta1.GroupVersion.String()).WithKind("CAPTControlPlane").
			WithName(cp.Name).WithUID(cp.UID).WithController(true).WithBlockOwnerDeletion(true)).
		WithData(map[string][]byte{kubeconfigKey: kubeconfig})

	var owned *corev1ac.SecretApplyConfiguration
	if obs.kubeconfig != nil {
		if owned, err = corev1ac.ExtractSecret(obs.kubeconfig, FieldManager); err != nil {
			return false, false, err
		}
	}
	if sent, err = ssa.ApplyIfChanged(ctx, r.Client, FieldManager, desired, owned); err != nil {
		return false, false, fmt.Errorf("kubeconfig secret %s/%s: %w", cp.Namespace, name, err)
	}
	return true, sent, nil
}

// buildKubeconfig writes a kubeconfig for the EKS endpoint that gets its
// token from `aws eks get-token`, as EKS kubeconfigs do.
func buildKubeconfig(cluster string, cp *controlplanev1beta1.CAPTControlPlane, obs observed, endpoint controlplanev1beta1.APIEndpoint) ([]byte, error) {
	outputs := obs.workspace.Status.AtProvider.Outputs
	eksName := cluster
	if raw, ok := outputs[outputName]; ok {
		_ = json.Unmarshal(raw.Raw, &eksName)
	}
	var ca []byte
	if raw, ok := outputs[outputCA]; ok {
		var encoded string
		if err := json.Unmarshal(raw.Raw, &encoded); err == nil {
			if decoded, err := base64.StdEncoding.DecodeString(encoded); err == nil {
				ca = decoded
			}
		}
	}
	region := ""
	if cp.Spec.ControlPlaneConfig != nil {
		region = cp.Spec.ControlPlaneConfig.Region
	}
	user := cluster + "-admin"
	cfg := clientcmdapi.Config{
		APIVersion: "v1",
		Kind:       "Config",
		Clusters: []clientcmdapi.NamedCluster{{Name: cluster, Cluster: clientcmdapi.Cluster{
			Server:                   fmt.Sprintf("https://%s:%d", hostOf(endpoint), endpoint.Port),
			CertificateAuthorityData: ca,
		}}},
		AuthInfos: []clientcmdapi.NamedAuthInfo{{Name: user, AuthInfo: clientcmdapi.AuthInfo{Exec: &clientcmdapi.ExecConfig{
			APIVersion:      "client.authentication.k8s.io/v1beta1",
			Command:         "aws",
			Args:            []string{"eks", "get-token", "--cluster-name", eksName, "--region", region},
			InteractiveMode: clientcmdapi.NeverExecInteractiveMode,
		}}}},
		Contexts:       []clientcmdapi.NamedContext{{Name: user + "@" + cluster, Context: clientcmdapi.Context{Cluster: cluster, AuthInfo: user}}},
		CurrentContext: user + "@" + cluster,
	}
	return yaml.Marshal(cfg)
}
