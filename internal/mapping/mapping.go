// Package mapping turns the objects a watch event points at into reconcile
// requests, for the controllers' map functions.
package mapping

import (
	"context"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
)

// ListRequests lists into list with opts and returns a request for each
// item. The list holds the cache's own objects, not copies: a watch event
// that maps to many objects would otherwise copy each whole object to
// read its name. Nothing else may read the list.
func ListRequests(ctx context.Context, c client.Reader, list client.ObjectList, opts ...client.ListOption) ([]reconcile.Request, error) {
	if err := c.List(ctx, list, append(opts, client.UnsafeDisableDeepCopy)...); err != nil {
		return nil, err
	}
	var requests []reconcile.Request
	err := meta.EachListItem(list, func(o runtime.Object) error {
		requests = append(requests, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(o.(client.Object))})
		return nil
	})
	return requests, err
}
