package kubeconfigs

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	tfv1beta1 "github.com/capt-controlplane/capt-controlplane/apis/external/tf/v1beta1"
)

// Connection reads ws's connection Secret, where
// provider-terraform writes every Terraform output, sensitive ones
// included, when the observation lacks an output a kubeconfig needs. It is
// read by name from the API server (the manager caches no such Secret); nil
// when the observation has everything, when the Workspace names no Secret
// or when the Secret does not exist yet.
func Connection(ctx context.Context, apiReader client.Reader, ws tfv1beta1.AnyWorkspace) (*corev1.Secret, error) {
	ref, ok := ws.ConnectionSecret()
	if !ok || !NeedsConnection(tfv1beta1.ObservationOf(ws.Observed().AtProvider)) {
		return nil, nil
	}
	secret := &corev1.Secret{}
	switch err := apiReader.Get(ctx, ref, secret); {
	case apierrors.IsNotFound(err):
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("reading the connection secret %s of workspace %s: %w", ref, ws.GetName(), err)
	}
	return secret, nil
}

// DataOf is a Secret's data; nil for no Secret.
func DataOf(secret *corev1.Secret) map[string][]byte {
	if secret == nil {
		return nil
	}
	return secret.Data
}
