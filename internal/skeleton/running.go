package skeleton

import (
	"sync"
	"time"
)

// The reconciles running now, for the liveness check: a reconcile that
// never returns holds one of its controller's workers for good, and a
// manager whose workers are all held reconciles nothing while it looks
// alive.
var inFlight sync.Map // *flight -> struct{}

type flight struct {
	controller string
	start      time.Time
}

// Running records a reconcile of controller as running until the returned
// func is called; Reconcile calls it for every reconcile.
func Running(controller string) (done func()) {
	f := &flight{controller: controller, start: time.Now()}
	inFlight.Store(f, struct{}{})
	return func() { inFlight.Delete(f) }
}

// Oldest is the controller of the reconcile that has run longest and for
// how long; 0 when none runs.
func Oldest() (controller string, age time.Duration) {
	now := time.Now()
	inFlight.Range(func(k, _ any) bool {
		if f := k.(*flight); now.Sub(f.start) > age {
			controller, age = f.controller, now.Sub(f.start)
		}
		return true
	})
	return controller, age
}
