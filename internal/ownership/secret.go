package ownership

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// SecretFor checks the Secret key that the manager writes for cp under
// manager: cached is the cache's copy (nil when the cache does not hold
// it: it holds only Secrets labelled for a control plane), otherwise the
// Secret is read from the API server. It returns the Secret read from the
// API server when there is one this manager may write (WrittenFor; nil
// when cached was given or there is none), and a SecretTakenError when the
// Secret of the name is someone else's: it is never adopted.
func SecretFor(ctx context.Context, c client.Reader, key types.NamespacedName, cached *corev1.Secret, cp metav1.Object, manager string) (*corev1.Secret, error) {
	if cached != nil {
		if !WrittenFor(cached, cp, manager) {
			return nil, SecretTakenError{Secret: key}
		}
		return nil, nil
	}
	secret := &corev1.Secret{}
	if err := c.Get(ctx, key, secret); err != nil {
		return nil, client.IgnoreNotFound(err)
	}
	if !WrittenFor(secret, cp, manager) {
		return nil, SecretTakenError{Secret: key}
	}
	return secret, nil
}

// WrittenFor reports whether secret is one the manager may write for cp:
// controlled by cp, and written by manager or, before the upgrade, by
// upstream CAPT's manager, which created its kubeconfig Secrets so.
func WrittenFor(secret metav1.Object, cp metav1.Object, manager string) bool {
	return metav1.IsControlledBy(secret, cp) && hasEntryOf(secret, func(e metav1.ManagedFieldsEntry) bool {
		return e.Manager == manager || e.Manager == UpstreamManager
	})
}

// SecretTakenError says that a Secret of the name the manager writes
// exists and is not its own.
type SecretTakenError struct{ Secret types.NamespacedName }

func (e SecretTakenError) Error() string {
	return fmt.Sprintf("Secret %s exists and was not created by capt-controlplane for this control plane: it is left as it is; delete or rename it", e.Secret)
}
