package fairqueue

import (
	"fmt"
	"testing"

	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/workqueue"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
)

func req(ns string, i int) reconcile.Request {
	return reconcile.Request{NamespacedName: types.NamespacedName{Namespace: ns, Name: fmt.Sprint(i)}}
}

// TestRoundRobin: namespaces take turns, each first in first out, and a
// namespace that starts waiting is served after those already waiting.
func TestRoundRobin(t *testing.T) {
	for _, tc := range []struct {
		name string
		push []reconcile.Request
		want []reconcile.Request
	}{
		{"one namespace is FIFO", []reconcile.Request{req("a", 1), req("a", 2), req("a", 3)}, []reconcile.Request{req("a", 1), req("a", 2), req("a", 3)}},
		{"a burst does not hold back a later namespace",
			[]reconcile.Request{req("a", 1), req("a", 2), req("a", 3), req("a", 4), req("b", 1)},
			[]reconcile.Request{req("a", 1), req("b", 1), req("a", 2), req("a", 3), req("a", 4)}},
		{"three namespaces in turn, newcomers last",
			[]reconcile.Request{req("a", 1), req("a", 2), req("b", 1), req("b", 2), req("c", 1)},
			[]reconcile.Request{req("a", 1), req("b", 1), req("c", 1), req("a", 2), req("b", 2)}},
		{"cluster-scoped requests are one namespace", []reconcile.Request{req("", 1), req("a", 1), req("", 2)},
			[]reconcile.Request{req("", 1), req("a", 1), req("", 2)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q := &RoundRobin{}
			for _, r := range tc.push {
				q.Push(r)
			}
			if q.Len() != len(tc.push) {
				t.Fatalf("Len %d, want %d", q.Len(), len(tc.push))
			}
			for i, want := range tc.want {
				if got := q.Pop(); got != want {
					t.Fatalf("pop %d: %v, want %v", i, got, want)
				}
			}
			if q.Len() != 0 {
				t.Fatalf("Len %d after every pop", q.Len())
			}
		})
	}
}

// TestPushWhilePopping: a namespace that empties and comes back takes its
// turn after those waiting.
func TestPushWhilePopping(t *testing.T) {
	q := &RoundRobin{}
	q.Push(req("a", 1))
	q.Push(req("b", 1))
	if got := q.Pop(); got != req("a", 1) {
		t.Fatalf("got %v", got)
	}
	q.Push(req("a", 2)) // a emptied; back behind b
	q.Push(req("c", 1))
	for _, want := range []reconcile.Request{req("b", 1), req("a", 2), req("c", 1)} {
		if got := q.Pop(); got != want {
			t.Fatalf("got %v, want %v", got, want)
		}
	}
}

// TestNewQueue: through client-go's queue, a request of another namespace
// added after a burst of 200 is among the first two served, and a
// request added twice is served once.
func TestNewQueue(t *testing.T) {
	q := New("fairqueue-test", workqueue.DefaultTypedControllerRateLimiter[reconcile.Request]())
	defer q.ShutDown()
	for i := range 200 {
		q.Add(req("team-a", i))
	}
	q.Add(req("team-a", 0))
	q.Add(req("team-b", 0))
	if q.Len() != 201 {
		t.Fatalf("Len %d, want 201", q.Len())
	}
	first, _ := q.Get()
	second, _ := q.Get()
	if first != req("team-a", 0) || second != req("team-b", 0) {
		t.Fatalf("served %v then %v", first, second)
	}
}
