package kubeconfig

import (
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	controlplanev1beta1 "github.com/capt-controlplane/capt-controlplane/apis/controlplane/v1beta1"
	tfv1beta1 "github.com/capt-controlplane/capt-controlplane/apis/external/tf/v1beta1"
	"github.com/capt-controlplane/capt-controlplane/internal/kubeconfigs"
)

// SecretName is Cluster API's name of a cluster's kubeconfig Secret.
func SecretName(cluster string) string { return cluster + controlplanev1beta1.KubeconfigSecretSuffix }

// targetOf is the workload cluster a control plane's kubeconfig points at:
// its owner Cluster's name, the endpoint the control plane recorded and
// the EKS name and CA from its mirrored Terraform outputs, else from the
// Workspace's connection Secret (connection, nil when not read). False
// until all are known.
func targetOf(cp *controlplanev1beta1.CAPTControlPlane, connection map[string][]byte) (kubeconfigs.Cluster, bool) {
	cluster := controlplanev1beta1.OwnerClusterName(cp)
	endpoint := cp.Spec.ControlPlaneEndpoint
	if cluster == "" || endpoint.Host == "" || cp.Status.WorkspaceStatus == nil || cp.Status.WorkspaceStatus.AtProvider == nil {
		return kubeconfigs.Cluster{}, false
	}
	c := kubeconfigs.Cluster{Name: cluster, Server: endpoint.Server()}
	if cp.Spec.ControlPlaneConfig != nil {
		c.Region = cp.Spec.ControlPlaneConfig.Region
	}
	c = kubeconfigs.FromOutputs(c, tfv1beta1.ObservationOf(cp.Status.WorkspaceStatus.AtProvider), connection)
	return c, len(c.CA) > 0 && c.Region != ""
}

// controlPlaneInputs is everything a reconcile reads from the control
// plane, for the event filter: what the kubeconfig is made from, the
// pause annotation, the deletion and the KubeconfigReady condition (put
// back when another writer removes it). Comparable: two are equal when
// nothing the reconcile reads changed.
type controlPlaneInputs struct {
	name, eksName, server, ca, region string
	complete, paused, deleting        bool
	ready                             metav1.ConditionStatus
	reason, message                   string
}

// inputs are cp's controlPlaneInputs.
func inputs(cp *controlplanev1beta1.CAPTControlPlane) controlPlaneInputs {
	target, ok := targetOf(cp, nil)
	_, paused := cp.Annotations[clusterv1.PausedAnnotation]
	in := controlPlaneInputs{
		name: target.Name, eksName: target.EKSName, server: target.Server, ca: string(target.CA), region: target.Region,
		complete: ok, paused: paused, deleting: cp.DeletionTimestamp != nil,
	}
	if c := meta.FindStatusCondition(cp.Status.Conditions, controlplanev1beta1.ConditionKubeconfigReady); c != nil {
		in.ready, in.reason, in.message = c.Status, c.Reason, c.Message
	}
	return in
}
