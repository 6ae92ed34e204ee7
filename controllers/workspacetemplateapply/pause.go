package workspacetemplateapply

import (
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	tfv1beta1 "github.com/capt-controlplane/capt-controlplane/apis/external/tf/v1beta1"
	tfmv1beta1 "github.com/capt-controlplane/capt-controlplane/apis/external/tfm/v1beta1"
	tfac "github.com/capt-controlplane/capt-controlplane/applyconfig/tf/tf/v1beta1"
	tfmac "github.com/capt-controlplane/capt-controlplane/applyconfig/tfm/tfm/v1beta1"
)

// Provider-terraform ignores Cluster API's pause, so a paused apply carries
// it to its Workspace as Crossplane's (clusterctl move pauses the Cluster,
// then deletes the source's objects).

// holdWorkspace, with hold, puts tfv1beta1.AnnotationPaused on ws, the
// apply's own Workspace (nil: none), beside what FieldManager owns of it and
// nothing else: no template change reaches a paused Workspace. Without hold
// it takes the annotation away again, if FieldManager put it there: a
// render does that itself (its Workspace has no such annotation), a refused
// render or a deletion calls this. It reports whether it sent the
// Workspace.
func (r *Reconciler) holdWorkspace(ctx context.Context, ws tfv1beta1.AnyWorkspace, hold bool) (bool, error) {
	if ws == nil {
		return false, nil
	}
	// Already as wanted (whoever's the annotation is): nothing to extract.
	// An admin's own pause is never FieldManager's to take away.
	if value, set := ws.GetAnnotations()[tfv1beta1.AnnotationPaused]; set == hold && (!hold || value == "true") {
		return false, nil
	}
	var desired runtime.ApplyConfiguration
	switch ws := ws.(type) {
	case *tfv1beta1.Workspace:
		owned, err := tfac.ExtractWorkspaceFrom(ws, FieldManager, "")
		if err != nil {
			return false, err
		}
		var changed bool
		if owned.Annotations, changed = withPause(owned.Annotations, hold); !changed {
			return false, nil
		}
		desired = owned.WithUID(ws.UID)
	case *tfmv1beta1.Workspace:
		owned, err := tfmac.ExtractWorkspaceFrom(ws, FieldManager, "")
		if err != nil {
			return false, err
		}
		var changed bool
		if owned.Annotations, changed = withPause(owned.Annotations, hold); !changed {
			return false, nil
		}
		desired = owned.WithUID(ws.UID)
	default:
		return false, nil
	}
	// The UID makes the apply fail, not create the Workspace again, when it
	// was deleted since the cache saw it (clusterctl move deletes it while
	// its Cluster is paused).
	err := r.Client.Apply(ctx, desired, client.FieldOwner(FieldManager), client.ForceOwnership)
	if apierrors.IsConflict(err) || apierrors.IsNotFound(err) {
		return false, nil // gone: nothing left to hold, and its deletion is an event
	}
	if err != nil {
		return false, fmt.Errorf("carrying the pause to workspace %s: %w", tfv1beta1.NameOf(ws), err)
	}
	return true, nil
}

// withPause returns the annotations FieldManager owns with (hold) or
// without tfv1beta1.AnnotationPaused, and whether that changes them.
func withPause(owned map[string]string, hold bool) (map[string]string, bool) {
	if hold {
		if owned[tfv1beta1.AnnotationPaused] == "true" {
			return owned, false
		}
		if owned == nil {
			owned = map[string]string{}
		}
		owned[tfv1beta1.AnnotationPaused] = "true"
		return owned, true
	}
	if _, ours := owned[tfv1beta1.AnnotationPaused]; !ours {
		return owned, false
	}
	delete(owned, tfv1beta1.AnnotationPaused)
	if len(owned) == 0 {
		return nil, true
	}
	return owned, true
}
