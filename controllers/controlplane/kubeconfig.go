package controlplane

import (
	"context"
	"errors"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"

	corev1ac "k8s.io/client-go/applyconfigurations/core/v1"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"

	controlplanev1beta1 "github.com/capt-controlplane/capt-controlplane/apis/controlplane/v1beta1"
	tfv1beta1 "github.com/capt-controlplane/capt-controlplane/apis/external/tf/v1beta1"
	"github.com/capt-controlplane/capt-controlplane/internal/kubeconfigs"
	"github.com/capt-controlplane/capt-controlplane/internal/ownership"
	"github.com/capt-controlplane/capt-controlplane/internal/ssa"
)

// kubeconfigKey is the data key Cluster API reads the kubeconfig from.
const kubeconfigKey = "value"

// kubeconfigSecretName is the name of a cluster's kubeconfig for people
// (Cluster API's own, "<cluster>-kubeconfig", carries a token and is the
// kubeconfig controller's).
func kubeconfigSecretName(cluster string) string {
	return cluster + controlplanev1beta1.UserKubeconfigSecretSuffix
}

// applyKubeconfig applies the people's kubeconfig Secret
// "<cluster>-user-kubeconfig" once the endpoint is known, and reports whether it
// exists and whether it sent it. A control plane without a Cluster gets none.
func (r *Reconciler) applyKubeconfig(ctx context.Context, cp *controlplanev1beta1.CAPTControlPlane, obs observed, endpoint *controlplanev1beta1.APIEndpoint) (exists, sent bool, err error) {
	cluster := controlplanev1beta1.OwnerClusterName(cp)
	if cluster == "" || endpoint == nil || obs.workspace == nil {
		return false, false, nil
	}
	kubeconfig, err := buildKubeconfig(cluster, cp, obs, *endpoint)
	if err != nil {
		return false, false, err
	}
	name := kubeconfigSecretName(cluster)
	desired := corev1ac.Secret(name, cp.Namespace).
		WithType(clusterv1.ClusterSecretType).
		// The control-plane labels select the Secret into the manager's
		// cache, which holds no other Secret.
		WithLabels(map[string]string{
			clusterv1.ClusterNameLabel:                     cluster,
			controlplanev1beta1.LabelControlPlaneNamespace: cp.Namespace,
			controlplanev1beta1.LabelControlPlaneName:      cp.Name,
		}).
		WithOwnerReferences(ssa.ControllerReference(controlplanev1beta1.GroupVersion.String(), "CAPTControlPlane", cp)).
		WithData(map[string][]byte{kubeconfigKey: kubeconfig})

	// A Secret of the name someone else created is never adopted (the
	// cache holds the Secrets labelled for a control plane, the API server
	// the others): said in an Event and the log; secretsReady stays false.
	key := types.NamespacedName{Namespace: cp.Namespace, Name: name}
	if _, err := ownership.SecretFor(ctx, r.APIReader, key, obs.kubeconfig, cp, FieldManager); errors.As(err, new(ownership.SecretTakenError)) {
		r.Recorder.Eventf(cp, nil, corev1.EventTypeWarning, controlplanev1beta1.ReasonSecretNameTaken, "WriteKubeconfig", "%s", err.Error())
		ctrl.LoggerFrom(ctx).Info("people's kubeconfig not written", "reason", err.Error())
		return false, false, nil
	} else if err != nil {
		return false, false, err
	}
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

// buildKubeconfig writes the people's kubeconfig of the EKS endpoint, which
// gets its token from `aws eks get-token`.
func buildKubeconfig(cluster string, cp *controlplanev1beta1.CAPTControlPlane, obs observed, endpoint controlplanev1beta1.APIEndpoint) ([]byte, error) {
	c := kubeconfigs.Cluster{Name: cluster, Server: endpoint.Server()}
	if cp.Spec.ControlPlaneConfig != nil {
		c.Region = cp.Spec.ControlPlaneConfig.Region
	}
	return kubeconfigs.Exec(kubeconfigs.FromOutputs(c, tfv1beta1.ObservationOf(obs.workspace.Observed().AtProvider), kubeconfigs.DataOf(obs.connection)))
}
