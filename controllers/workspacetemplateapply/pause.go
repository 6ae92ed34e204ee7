package workspacetemplateapply

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	tfv1beta1 "github.com/capt-controlplane/capt-controlplane/apis/external/tf/v1beta1"
	tfmv1beta1 "github.com/capt-controlplane/capt-controlplane/apis/external/tfm/v1beta1"
	infrastructurev1beta1 "github.com/capt-controlplane/capt-controlplane/apis/infrastructure/v1beta1"
	tfac "github.com/capt-controlplane/capt-controlplane/applyconfig/tf/tf/v1beta1"
	tfmac "github.com/capt-controlplane/capt-controlplane/applyconfig/tfm/tfm/v1beta1"
)

// Provider-terraform ignores Cluster API's pause, so a paused apply carries
// it to its Workspace as Crossplane's (clusterctl move pauses the Cluster,
// then deletes the source's objects).

// holdWorkspace, with hold, puts tfv1beta1.AnnotationPaused on ws, the
// apply's own Workspace (nil: none), and takes Delete out of its
// management policies (recording the policies tmpl renders for apply —
// nil for a release — in infrastructurev1beta1.AnnotationHeldManagementPolicies:
// never the live ones, which are the held ones when clusterctl move's
// patch replaced the annotations of a held Workspace), beside what
// FieldManager owns of it and nothing else: no template change reaches a
// paused Workspace, and if it is deleted while held — clusterctl move
// replaces its annotations, pause included, just before deleting it — the
// provider lets the external resources be. Without hold it releases the
// Workspace: the annotations go and the recorded policies come back, if
// FieldManager held it (a render releases it too: it sends neither). It
// reports whether it sent the Workspace.
func (r *Reconciler) holdWorkspace(ctx context.Context, apply *infrastructurev1beta1.WorkspaceTemplateApply, ws tfv1beta1.AnyWorkspace, hold bool,
	tmpl *infrastructurev1beta1.WorkspaceTemplate) (bool, error) {
	if ws == nil || !holdChanges(ws, hold) {
		return false, nil
	}
	// Rendered only when a hold is sent: a held apply is reconciled on
	// every event of its inputs, and sends nothing once held.
	var rendered []tfv1beta1.ManagementAction
	if hold {
		rendered = renderedPolicies(tmpl, apply, ws)
	}
	var desired runtime.ApplyConfiguration
	switch ws := ws.(type) {
	case *tfv1beta1.Workspace:
		owned, err := tfac.ExtractWorkspaceFrom(ws, FieldManager, "")
		if err != nil {
			return false, err
		}
		if owned.Spec == nil {
			owned.Spec = tfac.WorkspaceSpec()
		}
		owned.Annotations, owned.Spec.ManagementPolicies = held(owned.Annotations, rendered, ws.Spec.ManagementPolicies, hold)
		desired = owned.WithUID(ws.UID)
	case *tfmv1beta1.Workspace:
		owned, err := tfmac.ExtractWorkspaceFrom(ws, FieldManager, "")
		if err != nil {
			return false, err
		}
		if owned.Spec == nil {
			owned.Spec = tfmac.WorkspaceSpec()
		}
		owned.Annotations, owned.Spec.ManagementPolicies = held(owned.Annotations, rendered, ws.Spec.ManagementPolicies, hold)
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

// holdChanges reports whether holding (or releasing) ws changes it. Held:
// paused, by anyone, with no Delete among its policies. Released: the
// policies recorded by a hold are back (FieldManager's pause goes with
// them; an admin's own pause is never taken away).
func holdChanges(ws tfv1beta1.AnyWorkspace, hold bool) bool {
	annotations := ws.GetAnnotations()
	_, recorded := annotations[infrastructurev1beta1.AnnotationHeldManagementPolicies]
	if !hold {
		return recorded
	}
	return annotations[tfv1beta1.AnnotationPaused] != "true" || mayDelete(policiesOf(ws))
}

// held returns the annotations and management policies FieldManager
// applies to hold (or release) a Workspace, from the annotations it owns,
// the rendered policies and the Workspace's live ones.
func held(annotations map[string]string, rendered, live []tfv1beta1.ManagementAction, hold bool) (map[string]string, []tfv1beta1.ManagementAction) {
	if annotations == nil {
		annotations = map[string]string{}
	}
	if hold {
		annotations[infrastructurev1beta1.AnnotationHeldManagementPolicies] = joinPolicies(rendered)
		annotations[tfv1beta1.AnnotationPaused] = "true"
		return annotations, withoutDelete(live)
	}
	recorded := annotations[infrastructurev1beta1.AnnotationHeldManagementPolicies]
	delete(annotations, infrastructurev1beta1.AnnotationHeldManagementPolicies)
	delete(annotations, tfv1beta1.AnnotationPaused)
	if len(annotations) == 0 {
		annotations = nil
	}
	return annotations, splitPolicies(recorded)
}

// renderedPolicies are the management policies the apply's template
// renders for ws: what a hold records and a release restores. Where the
// template renders nothing (gone, or in error), the live policies when
// they are not a hold's, else none (the CRD's default, "*").
func renderedPolicies(tmpl *infrastructurev1beta1.WorkspaceTemplate, apply *infrastructurev1beta1.WorkspaceTemplateApply, ws tfv1beta1.AnyWorkspace) []tfv1beta1.ManagementAction {
	if ws == nil {
		return nil
	}
	if tmpl != nil {
		if tree, err := render(tmpl, apply, ws.GetNamespace() != ""); err == nil {
			var policies []tfv1beta1.ManagementAction
			if raw, err := json.Marshal(tree["managementPolicies"]); err == nil && json.Unmarshal(raw, &policies) == nil {
				return policies
			}
		}
	}
	if live := policiesOf(ws); mayDelete(live) {
		return live
	}
	return nil
}

func policiesOf(ws tfv1beta1.AnyWorkspace) []tfv1beta1.ManagementAction {
	switch ws := ws.(type) {
	case *tfv1beta1.Workspace:
		return ws.Spec.ManagementPolicies
	case *tfmv1beta1.Workspace:
		return ws.Spec.ManagementPolicies
	}
	return nil
}

// mayDelete reports whether policies let the provider destroy the
// external resources: "*" (also what none means, by the CRDs' default) or
// Delete.
func mayDelete(policies []tfv1beta1.ManagementAction) bool {
	return len(policies) == 0 || slices.Contains(policies, "*") || slices.Contains(policies, "Delete")
}

// withoutDelete is policies with everything but Delete.
func withoutDelete(policies []tfv1beta1.ManagementAction) []tfv1beta1.ManagementAction {
	if len(policies) == 0 || slices.Contains(policies, "*") {
		return tfv1beta1.ManagementPoliciesWithoutDelete()
	}
	return slices.DeleteFunc(slices.Clone(policies), func(p tfv1beta1.ManagementAction) bool { return p == "Delete" })
}

func joinPolicies(policies []tfv1beta1.ManagementAction) string {
	parts := make([]string, len(policies))
	for i, p := range policies {
		parts[i] = string(p)
	}
	return strings.Join(parts, ",")
}

func splitPolicies(joined string) []tfv1beta1.ManagementAction {
	if joined == "" {
		return nil
	}
	var policies []tfv1beta1.ManagementAction
	for _, p := range strings.Split(joined, ",") {
		policies = append(policies, tfv1beta1.ManagementAction(p))
	}
	return policies
}
