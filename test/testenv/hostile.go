package testenv

import (
	"context"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	controlplanev1beta1 "github.com/capt-controlplane/capt-controlplane/apis/controlplane/v1beta1"
)

// Two of the writes that lose a mirror kept by Update or MergeFrom, as the
// chaos run and the benchmark send them. Each returns the resourceVersion
// the write produced ("" when the API server refused it).

// WriteAsOlderClient plays a client whose type has no
// status.workspaceStatus: it reads the control plane as unstructured, drops
// the field, and writes the status back with a plain update (as old-capt).
func WriteAsOlderClient(ctx context.Context, c client.Client, key types.NamespacedName) (string, error) {
	u := &unstructured.Unstructured{}
	u.SetGroupVersionKind(controlplanev1beta1.GroupVersion.WithKind("CAPTControlPlane"))
	if err := c.Get(ctx, key, u); err != nil {
		return "", err
	}
	unstructured.RemoveNestedField(u.Object, "status", "workspaceStatus")
	err := c.Status().Update(ctx, u, client.FieldOwner("old-capt"))
	return u.GetResourceVersion(), err
}

// MergePatchWorkspaceStatusToNull sends {"status":{"workspaceStatus":null}}
// (as merge-nuller).
func MergePatchWorkspaceStatusToNull(ctx context.Context, c client.Client, key types.NamespacedName) (string, error) {
	cp := &controlplanev1beta1.CAPTControlPlane{ObjectMeta: metav1.ObjectMeta{Name: key.Name, Namespace: key.Namespace}}
	err := c.Status().Patch(ctx, cp, client.RawPatch(types.MergePatchType, []byte(`{"status":{"workspaceStatus":null}}`)), client.FieldOwner("merge-nuller"))
	return cp.ResourceVersion, err
}
