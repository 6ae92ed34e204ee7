// Package skeleton is the one reconcile every controller of this project
// runs (Reconcile): get the object (forgetting what is remembered of it
// once it is gone), observe its inputs, skip when they are the ones the
// last reconcile settled on, decide whether the object is paused (one
// policy, Paused), then let the controller act. A controller supplies only
// Observe and Act; the record of settled inputs (Memory) and the predicate
// that drops the echo of the controller's own write (Memory.NotOwnEcho)
// live here.
package skeleton
