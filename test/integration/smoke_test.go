package integration

import (
	"testing"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// TestSmoke proves the locally built kube-apiserver and etcd serve reads and
// writes.
func TestSmoke(t *testing.T) {
	g := NewWithT(t)
	ctx := t.Context()
	cm := &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: "smoke", Namespace: "default"},
		Data:       map[string]string{"hello": "world"},
	}
	g.Expect(env.Client.Create(ctx, cm)).To(Succeed())

	got := &corev1.ConfigMap{}
	g.Expect(env.Client.Get(ctx, client.ObjectKeyFromObject(cm), got)).To(Succeed())
	g.Expect(got.Data).To(Equal(map[string]string{"hello": "world"}))
	g.Expect(got.UID).NotTo(BeEmpty())
}
