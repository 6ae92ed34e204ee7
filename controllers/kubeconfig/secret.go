package kubeconfig

import (
	"bytes"
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	corev1ac "k8s.io/client-go/applyconfigurations/core/v1"
	"k8s.io/client-go/tools/clientcmd"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	"sigs.k8s.io/controller-runtime/pkg/client"

	controlplanev1beta1 "github.com/capt-controlplane/capt-controlplane/apis/controlplane/v1beta1"
	"github.com/capt-controlplane/capt-controlplane/internal/ekstoken"
	"github.com/capt-controlplane/capt-controlplane/internal/kubeconfigs"
	"github.com/capt-controlplane/capt-controlplane/internal/ssa"
	"github.com/capt-controlplane/capt-controlplane/internal/upstream"
)

const (
	// dataKey is the key Cluster API reads the kubeconfig from.
	dataKey = "value"
	// AnnotationTokenExpires says when the Secret's token expires (RFC 3339).
	AnnotationTokenExpires = controlplanev1beta1.AnnotationTokenExpires
)

// stillValid reports whether the current Secret is ours, points at target
// and holds a token that is good for longer than RenewBefore, and returns
// when that token expires.
func stillValid(current *corev1.Secret, cp *controlplanev1beta1.CAPTControlPlane, target kubeconfigs.Cluster, now time.Time) (time.Time, bool) {
	if current == nil || !metav1.IsControlledBy(current, cp) {
		return time.Time{}, false
	}
	expires, err := time.Parse(time.RFC3339, current.Annotations[AnnotationTokenExpires])
	if err != nil || expires.Sub(now) <= RenewBefore {
		return time.Time{}, false
	}
	cfg, err := clientcmd.Load(current.Data[dataKey])
	if err != nil || cfg.Contexts[cfg.CurrentContext] == nil || cfg.AuthInfos[cfg.Contexts[cfg.CurrentContext].AuthInfo] == nil {
		return time.Time{}, false
	}
	token := cfg.AuthInfos[cfg.Contexts[cfg.CurrentContext].AuthInfo].Token
	// The same kubeconfig with the token it holds: nothing but the token
	// may differ from what this control plane needs now.
	want, err := kubeconfigs.Token(target, token)
	return expires, err == nil && bytes.Equal(want, current.Data[dataKey])
}

// caOf is the CA of the cluster the current Secret's kubeconfig uses; nil
// when there is none.
func caOf(current *corev1.Secret) []byte {
	if current == nil {
		return nil
	}
	cfg, err := clientcmd.Load(current.Data[dataKey])
	if err != nil || cfg.Contexts[cfg.CurrentContext] == nil || cfg.Clusters[cfg.Contexts[cfg.CurrentContext].Cluster] == nil {
		return nil
	}
	return cfg.Clusters[cfg.Contexts[cfg.CurrentContext].Cluster].CertificateAuthorityData
}

// applySecret signs a new token and applies the Secret with it: one write
// per renewal. live is the Secret of that name the cache did not hold
// (nil when none): upstream CAPT's, whose ownership is handed over first
// (internal/upstream). It returns when the new token expires.
func (r *Reconciler) applySecret(ctx context.Context, cp *controlplanev1beta1.CAPTControlPlane, target kubeconfigs.Cluster, creds aws.Credentials, live *corev1.Secret, now time.Time) (time.Time, error) {
	name := SecretName(target.Name)
	if live != nil {
		if sent, err := ssa.Migrate(ctx, r.Client, live, upstream.KubeconfigSecret()); err != nil {
			return time.Time{}, err
		} else if sent {
			r.log(ctx).Info("migrated upstream CAPT's ownership of the kubeconfig Secret", "secret", name)
		}
	}
	token, err := ekstoken.New(ctx, creds, target.Region, target.EKSName, now)
	if err != nil {
		return time.Time{}, err
	}
	kubeconfig, err := kubeconfigs.Token(target, token.Value)
	if err != nil {
		return time.Time{}, err
	}
	desired := corev1ac.Secret(name, cp.Namespace).
		WithType(clusterv1.ClusterSecretType).
		// The control-plane labels select the Secret into the manager's
		// cache, which holds no other Secret.
		WithLabels(map[string]string{
			clusterv1.ClusterNameLabel:                     target.Name,
			controlplanev1beta1.LabelControlPlaneNamespace: cp.Namespace,
			controlplanev1beta1.LabelControlPlaneName:      cp.Name,
		}).
		WithAnnotations(map[string]string{AnnotationTokenExpires: token.Expires.UTC().Format(time.RFC3339)}).
		WithOwnerReferences(ssa.ControllerReference(controlplanev1beta1.GroupVersion.String(), "CAPTControlPlane", cp)).
		WithData(map[string][]byte{dataKey: kubeconfig})
	if err := r.Client.Apply(ctx, desired, client.FieldOwner(FieldManager), client.ForceOwnership); err != nil {
		return time.Time{}, fmt.Errorf("kubeconfig secret %s/%s: %w", cp.Namespace, name, err)
	}
	return token.Expires, nil
}
