// Package fairqueue is the controllers' work queue: requests are served
// round-robin across namespaces, first in first out within one, so that
// one namespace's burst (a team creating 200 control planes) does not
// starve another's. controller-runtime's default priority queue serves by
// priority, then arrival: every new control plane's events share one
// priority, so a burst queues ahead of everything that arrives after it.
//
// Only the order changes: de-duplication, the one-worker-per-request rule,
// delays and rate limiting are client-go's workqueue, of which this is the
// ordering (workqueue.Queue).
package fairqueue

import (
	"k8s.io/client-go/util/workqueue"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
)

// New is controller.Options.NewQueue: client-go's rate-limiting queue over
// a namespace-fair order, with the controller's name for its metrics.
func New(controllerName string, rateLimiter workqueue.TypedRateLimiter[reconcile.Request]) workqueue.TypedRateLimitingInterface[reconcile.Request] {
	return workqueue.NewTypedRateLimitingQueueWithConfig(rateLimiter, workqueue.TypedRateLimitingQueueConfig[reconcile.Request]{
		Name: controllerName,
		DelayingQueue: workqueue.NewTypedDelayingQueueWithConfig(workqueue.TypedDelayingQueueConfig[reconcile.Request]{
			Name: controllerName,
			Queue: workqueue.NewTypedWithConfig(workqueue.TypedQueueConfig[reconcile.Request]{
				Name:  controllerName,
				Queue: &RoundRobin{},
			}),
		}),
	})
}

// RoundRobin orders requests by namespace in turn. client-go's queue calls
// it under its own lock and only for requests not already queued.
type RoundRobin struct {
	// turns are the namespaces with queued requests, in the order they
	// are served; next is the index of the one served next.
	turns []string
	next  int
	// queued are each namespace's requests, oldest first.
	queued map[string][]reconcile.Request
	n      int
}

var _ workqueue.Queue[reconcile.Request] = &RoundRobin{}

// Touch keeps a request that is added again where it is.
func (q *RoundRobin) Touch(reconcile.Request) {}

// Push queues a request behind the others of its namespace; a namespace
// with nothing queued takes its turn just before the one served next.
func (q *RoundRobin) Push(item reconcile.Request) {
	if q.queued == nil {
		q.queued = map[string][]reconcile.Request{}
	}
	ns := item.Namespace
	if len(q.queued[ns]) == 0 {
		// Inserted before next: served after every namespace already
		// waiting, not ahead of them.
		q.turns = append(q.turns, "")
		copy(q.turns[q.next+1:], q.turns[q.next:])
		q.turns[q.next] = ns
		q.next++
		if q.next == len(q.turns) {
			q.next = 0
		}
	}
	q.queued[ns] = append(q.queued[ns], item)
	q.n++
}

// Len is the number of queued requests.
func (q *RoundRobin) Len() int { return q.n }

// Pop serves the oldest request of the namespace whose turn it is.
func (q *RoundRobin) Pop() reconcile.Request {
	ns := q.turns[q.next]
	items := q.queued[ns]
	item := items[0]
	q.n--
	if len(items) == 1 {
		delete(q.queued, ns)
		q.turns = append(q.turns[:q.next], q.turns[q.next+1:]...)
	} else {
		items[0] = reconcile.Request{} // nothing kept alive by the backing array
		q.queued[ns] = items[1:]
		q.next++
	}
	if q.next >= len(q.turns) {
		q.next = 0
	}
	return item
}
