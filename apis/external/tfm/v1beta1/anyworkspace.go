package v1beta1

import (
	"k8s.io/apimachinery/pkg/types"

	tfv1beta1 "github.com/capt-controlplane/capt-controlplane/apis/external/tf/v1beta1"
)

var _ tfv1beta1.AnyWorkspace = &Workspace{}

// Observed is the Workspace's status.
func (w *Workspace) Observed() *tfv1beta1.WorkspaceStatus { return &w.Status }

// ConnectionSecret is spec.writeConnectionSecretToRef, in the Workspace's
// namespace.
func (w *Workspace) ConnectionSecret() (types.NamespacedName, bool) {
	ref := w.Spec.WriteConnectionSecretToReference
	if ref == nil {
		return types.NamespacedName{}, false
	}
	return types.NamespacedName{Namespace: w.Namespace, Name: ref.Name}, true
}
