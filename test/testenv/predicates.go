package testenv

import (
	"testing"

	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
)

// UpdateCase is one update event for CheckUpdates: Edit turns a copy of
// the base object into the new one; Want is whether the event passes.
type UpdateCase[T client.Object] struct {
	Name string
	Edit func(T)
	Want bool
}

// CheckUpdates runs each case as an update from base() to an edited base()
// through p.
func CheckUpdates[T client.Object](t *testing.T, p predicate.Predicate, base func() T, cases []UpdateCase[T]) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.Name, func(t *testing.T) {
			old, cur := base(), base()
			tc.Edit(cur)
			if got := p.Update(event.UpdateEvent{ObjectOld: old, ObjectNew: cur}); got != tc.Want {
				t.Fatalf("update passes = %v, want %v", got, tc.Want)
			}
		})
	}
}
