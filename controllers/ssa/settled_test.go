package ssa

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

func TestHoldsVersionOf(t *testing.T) {
	key := types.NamespacedName{Namespace: "ns", Name: "cp"}
	at := func(uid, rv string) *corev1.ConfigMap {
		return &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{UID: types.UID(uid), ResourceVersion: rv}}
	}
	var s Settled
	if s.HoldsVersionOf(key, "controlplane", at("u", "5")) {
		t.Fatal("nothing settled yet, yet a version is held")
	}
	in := &Inputs{}
	in.Add("controlplane", at("u", "5"))
	in.Add("apply", at("a", "15"))
	in.Add("workspace", nil)
	s.Store(key, in)
	for _, c := range []struct {
		name string
		obj  *corev1.ConfigMap
		want bool
	}{
		{"controlplane", at("u", "5"), true},
		{"controlplane", at("u", "6"), false},
		{"controlplane", at("u", "15"), false},
		{"controlplane", at("other", "5"), false},
		{"apply", at("a", "15"), true},
		{"apply", at("a", "5"), false},
		{"workspace", at("w", "1"), false},
	} {
		if got := s.HoldsVersionOf(key, c.name, c.obj); got != c.want {
			t.Errorf("%s %s@%s: %v, want %v", c.name, c.obj.UID, c.obj.ResourceVersion, got, c.want)
		}
	}
	if s.HoldsVersionOf(types.NamespacedName{Namespace: "ns", Name: "other"}, "controlplane", at("u", "5")) {
		t.Error("another key's inputs are held")
	}
}
