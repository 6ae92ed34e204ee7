package mapping

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

func TestToControlPlaneFollowsTheControllerReference(t *testing.T) {
	secret := func(refs ...metav1.OwnerReference) *corev1.Secret {
		return &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "s", OwnerReferences: refs}}
	}
	ref := func(apiVersion, kind, name string, controller bool) metav1.OwnerReference {
		return metav1.OwnerReference{APIVersion: apiVersion, Kind: kind, Name: name, UID: "u", Controller: ptr.To(controller)}
	}
	for _, c := range []struct {
		what string
		obj  *corev1.Secret
		want string
	}{
		{"controlled by a control plane", secret(ref("cluster.x-k8s.io/v1beta2", "Cluster", "c", false), ref("controlplane.cluster.x-k8s.io/v1beta1", "CAPTControlPlane", "cp", true)), "ns/cp"},
		{"at another version of the group", secret(ref("controlplane.cluster.x-k8s.io/v1beta2", "CAPTControlPlane", "cp", true)), "ns/cp"},
		{"a control plane that is an owner, not the controller", secret(ref("controlplane.cluster.x-k8s.io/v1beta1", "CAPTControlPlane", "cp", false)), ""},
		{"the same kind in another group", secret(ref("example.com/v1", "CAPTControlPlane", "cp", true)), ""},
		{"another kind", secret(ref("controlplane.cluster.x-k8s.io/v1beta1", "KubeadmControlPlane", "cp", true)), ""},
		{"no owner", secret(), ""},
	} {
		got := ""
		if requests := ToControlPlane(t.Context(), c.obj); len(requests) == 1 {
			got = requests[0].String()
		} else if len(requests) > 1 {
			t.Errorf("%s: %d requests", c.what, len(requests))
		}
		if got != c.want {
			t.Errorf("%s: %q, want %q", c.what, got, c.want)
		}
	}
}
