package v1beta1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
)

// AnyWorkspace is a Workspace of either kind provider-terraform serves:
// this cluster-scoped tf.upbound.io one, or v1's namespaced tf.m.upbound.io
// one. Both report the same status; what the manager reads of a Workspace
// goes through this interface.
//
// +kubebuilder:object:generate=false
type AnyWorkspace interface {
	metav1.Object
	runtime.Object
	// Observed is the Workspace's status: its conditions and atProvider.
	Observed() *WorkspaceStatus
	// ConnectionSecret names the Secret the provider writes every output
	// to, sensitive ones included; false when none.
	ConnectionSecret() (types.NamespacedName, bool)
}

// Observed is the Workspace's status.
func (w *Workspace) Observed() *WorkspaceStatus { return &w.Status }

// ConnectionSecret is spec.writeConnectionSecretToRef.
func (w *Workspace) ConnectionSecret() (types.NamespacedName, bool) {
	ref := w.Spec.WriteConnectionSecretToReference
	if ref == nil {
		return types.NamespacedName{}, false
	}
	return types.NamespacedName{Namespace: ref.Namespace, Name: ref.Name}, true
}

// NameOf names a Workspace of either kind for messages: namespace/name for
// a namespaced one, the name alone for a cluster-scoped one.
func NameOf(ws metav1.Object) string {
	if ws.GetNamespace() != "" {
		return ws.GetNamespace() + "/" + ws.GetName()
	}
	return ws.GetName()
}
