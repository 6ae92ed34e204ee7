package skeleton

import "sigs.k8s.io/controller-runtime/pkg/client"

// DeleteForMoveAnnotation is what clusterctl move puts on each object of
// the source management cluster just before deleting it: the object lives
// on in the target, so its deletion here must not clean up what it
// manages.
const DeleteForMoveAnnotation = "clusterctl.cluster.x-k8s.io/delete-for-move"

// DeletedForMove reports whether obj is being deleted by clusterctl move.
// Cluster API's providers let such an object go without touching what it
// manages; a paused Cluster alone does not protect it, because the cache
// can see the source's Cluster gone before the object's last deletion
// event.
func DeletedForMove(obj client.Object) bool {
	_, moving := obj.GetAnnotations()[DeleteForMoveAnnotation]
	return moving && !obj.GetDeletionTimestamp().IsZero()
}
