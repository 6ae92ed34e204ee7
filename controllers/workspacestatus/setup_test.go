package workspacestatus

import (
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/event"

	controlplanev1beta1 "github.com/capt-controlplane/capt-controlplane/apis/controlplane/v1beta1"
)

func TestNotOwnEchoDropsOnlyTheSettledVersion(t *testing.T) {
	at := func(rv string) *controlplanev1beta1.CAPTControlPlane {
		return &controlplanev1beta1.CAPTControlPlane{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "cp", UID: "u", ResourceVersion: rv}}
	}
	r := &Reconciler{}
	// The mirror was applied and the response (version 5) settled.
	r.settled.Store(types.NamespacedName{Namespace: "ns", Name: "cp"}, inputsOf(at("5"), nil, nil))
	for _, c := range []struct {
		what     string
		old, cur string
		want     bool
	}{
		{"the echo of our own apply", "4", "5", false},
		{"a resync of that version", "5", "5", true},
		{"another writer's change after it", "5", "6", true},
	} {
		if got := r.notOwnEcho(event.UpdateEvent{ObjectOld: at(c.old), ObjectNew: at(c.cur)}); got != c.want {
			t.Errorf("%s (%s → %s): reconcile %v, want %v", c.what, c.old, c.cur, got, c.want)
		}
	}
}
