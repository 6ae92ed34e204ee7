package controlplane

import (
	"context"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	controlplanev1beta1 "github.com/capt-controlplane/capt-controlplane/apis/controlplane/v1beta1"
	"github.com/capt-controlplane/capt-controlplane/controllers/ssa"
	"github.com/capt-controlplane/capt-controlplane/internal/upstream"
)

// migrateFromUpstream hands what upstream CAPT's manager owns of the control
// plane's main resource (finalizer, endpoint, apply name) to FieldManager,
// once (internal/upstream). The cache keeps every managedFields entry of
// control planes, so the legacy entries are seen here. It reports whether
// it sent the patch; the watch then brings the migrated object.
func (r *Reconciler) migrateFromUpstream(ctx context.Context, cp *controlplanev1beta1.CAPTControlPlane) (bool, error) {
	sent, err := ssa.Migrate(ctx, r.Client, cp, upstream.ControlPlane())
	if sent {
		r.log(ctx).Info("migrated upstream CAPT's ownership of the control plane")
	}
	return sent, err
}

// migrateKubeconfigFromUpstream hands a kubeconfig Secret upstream CAPT
// wrote to FieldManager, once. The cache holds only the Secrets this
// manager labelled, so a Secret it has not written yet is read from the API
// server (for a new cluster: one read that finds nothing, then the apply).
// It reports whether it sent the patch.
func (r *Reconciler) migrateKubeconfigFromUpstream(ctx context.Context, namespace, name string) (bool, error) {
	secret := &corev1.Secret{}
	if err := r.APIReader.Get(ctx, types.NamespacedName{Namespace: namespace, Name: name}, secret); err != nil {
		return false, client.IgnoreNotFound(err)
	}
	sent, err := ssa.Migrate(ctx, r.Client, secret, upstream.KubeconfigSecret())
	if sent {
		r.log(ctx).Info("migrated upstream CAPT's ownership of the kubeconfig Secret", "secret", name)
	}
	return sent, err
}
