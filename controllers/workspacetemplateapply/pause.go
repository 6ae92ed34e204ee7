package workspacetemplateapply

import (
	"context"
	"fmt"

	"k8s.io/apimachinery/pkg/runtime"

	tfv1beta1 "github.com/capt-controlplane/capt-controlplane/apis/external/tf/v1beta1"
	tfmv1beta1 "github.com/capt-controlplane/capt-controlplane/apis/external/tfm/v1beta1"
	infrastructurev1beta1 "github.com/capt-controlplane/capt-controlplane/apis/infrastructure/v1beta1"
	tfac "github.com/capt-controlplane/capt-controlplane/applyconfig/tf/tf/v1beta1"
	tfmac "github.com/capt-controlplane/capt-controlplane/applyconfig/tfm/tfm/v1beta1"
	"github.com/capt-controlplane/capt-controlplane/internal/ssa"
)

// Provider-terraform ignores Cluster API's pause, so a paused apply carries
// it to its Workspace as Crossplane's (clusterctl move pauses the Cluster,
// then deletes the source's objects).

// holdWorkspace, with hold, puts tfv1beta1.AnnotationPaused on the apply's
// own Workspace, beside what FieldManager owns of it and nothing else: no
// template change reaches a paused Workspace. Without hold it takes the
// annotation away again, if FieldManager put it there: a render does that
// itself (its Workspace has no such annotation), a refused render or a
// deletion calls this. It reports whether it sent the Workspace.
func (r *Reconciler) holdWorkspace(ctx context.Context, apply *infrastructurev1beta1.WorkspaceTemplateApply, hold bool) (bool, error) {
	live, err := r.liveWorkspaces(ctx, apply)
	if err != nil {
		return false, err
	}
	ws := live.boundTo(apply)
	if ws == nil {
		return false, nil
	}
	// Already as wanted (whoever's the annotation is): nothing to extract.
	// An admin's own pause is never FieldManager's to take away.
	if value, set := ws.GetAnnotations()[tfv1beta1.AnnotationPaused]; set == hold && (!hold || value == "true") {
		return false, nil
	}
	var desired, owned runtime.ApplyConfiguration
	switch ws := ws.(type) {
	case *tfv1beta1.Workspace:
		have, err := tfac.ExtractWorkspaceFrom(ws, FieldManager, "")
		if err != nil {
			return false, err
		}
		held, err := tfac.ExtractWorkspaceFrom(ws, FieldManager, "")
		if err != nil {
			return false, err
		}
		held.Annotations = pausedAnnotations(held.Annotations, hold)
		desired, owned = held.WithUID(ws.UID), have
	case *tfmv1beta1.Workspace:
		have, err := tfmac.ExtractWorkspaceFrom(ws, FieldManager, "")
		if err != nil {
			return false, err
		}
		held, err := tfmac.ExtractWorkspaceFrom(ws, FieldManager, "")
		if err != nil {
			return false, err
		}
		held.Annotations = pausedAnnotations(held.Annotations, hold)
		desired, owned = held.WithUID(ws.UID), have
	default:
		return false, nil
	}
	// The UID makes the apply fail, not create the Workspace again, when it
	// was deleted since the cache saw it (clusterctl move deletes it while
	// its Cluster is paused).
	sent, err := ssa.ApplyIfChanged(ctx, r.Client, FieldManager, desired, owned)
	if err != nil {
		return false, fmt.Errorf("carrying the pause to workspace %s: %w", apply.WorkspaceName(), err)
	}
	return sent, nil
}

// pausedAnnotations are the annotations FieldManager owns with (hold) or
// without tfv1beta1.AnnotationPaused.
func pausedAnnotations(owned map[string]string, hold bool) map[string]string {
	if hold {
		if owned == nil {
			owned = map[string]string{}
		}
		owned[tfv1beta1.AnnotationPaused] = "true"
		return owned
	}
	delete(owned, tfv1beta1.AnnotationPaused)
	if len(owned) == 0 {
		return nil
	}
	return owned
}
