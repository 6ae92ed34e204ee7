package testenv

import (
	"context"
	"slices"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"

	tfv1beta1 "github.com/capt-controlplane/capt-controlplane/apis/external/tf/v1beta1"
	tfmv1beta1 "github.com/capt-controlplane/capt-controlplane/apis/external/tfm/v1beta1"
)

// What Crossplane's managed reconciler puts on a managed resource before it
// creates the external resource: its finalizer, and the external name and
// create annotations.
const (
	ProviderFinalizer                 = "finalizer.managedresource.crossplane.io"
	AnnotationExternalName            = "crossplane.io/external-name"
	AnnotationExternalCreatePending   = "crossplane.io/external-create-pending"
	AnnotationExternalCreateSucceeded = "crossplane.io/external-create-succeeded"

	// annotationPlayed marks a Workspace that this player claimed, so that
	// ReleaseDeletedWorkspaces never takes the finalizer of a Workspace the
	// real provider-terraform (test/provider) runs.
	annotationPlayed = "test.capt-controlplane.io/played-provider"
)

// claimWorkspace puts the provider's finalizer and annotations on the
// Workspace with a plain update of its main resource, as the real provider
// does before its first apply; nothing when they are there.
func claimWorkspace(ctx context.Context, c client.Client, workspace types.NamespacedName) error {
	return retry.RetryOnConflict(retry.DefaultRetry, func() error {
		ws, err := GetWorkspace(ctx, c, workspace)
		if err != nil {
			return err
		}
		if slices.Contains(ws.GetFinalizers(), ProviderFinalizer) {
			return nil
		}
		ws.SetFinalizers(append(ws.GetFinalizers(), ProviderFinalizer))
		annotations := ws.GetAnnotations()
		if annotations == nil {
			annotations = map[string]string{}
		}
		now := time.Now().UTC().Format(time.RFC3339)
		annotations[AnnotationExternalName] = ws.GetName()
		annotations[AnnotationExternalCreatePending] = now
		annotations[AnnotationExternalCreateSucceeded] = now
		annotations[annotationPlayed] = "true"
		ws.SetAnnotations(annotations)
		return c.Update(ctx, ws, client.FieldOwner(ProviderFieldManager))
	})
}

// ReleaseDeletedWorkspaces plays the provider's side of a Workspace's
// deletion until ctx ends: a deleted Workspace that the player claimed
// loses the provider's finalizer (terraform destroy done, at once). Every
// envtest environment runs it, for each Workspace kind served.
func ReleaseDeletedWorkspaces(ctx context.Context, c client.WithWatch) {
	for _, list := range []client.ObjectList{&tfv1beta1.WorkspaceList{}, &tfmv1beta1.WorkspaceList{}} {
		go releaseDeleted(ctx, c, list)
	}
}

func releaseDeleted(ctx context.Context, c client.WithWatch, list client.ObjectList) {
	for ctx.Err() == nil {
		w, err := c.Watch(ctx, list)
		if err != nil {
			// Also a kind not served yet: its CRD may be installed later.
			time.Sleep(200 * time.Millisecond)
			continue
		}
		for ev := range w.ResultChan() {
			ws, ok := ev.Object.(tfv1beta1.AnyWorkspace)
			if !ok || ev.Type == watch.Deleted || ws.GetDeletionTimestamp() == nil ||
				ws.GetAnnotations()[annotationPlayed] == "" || !slices.Contains(ws.GetFinalizers(), ProviderFinalizer) {
				continue
			}
			_ = retry.RetryOnConflict(retry.DefaultRetry, func() error {
				live, err := GetWorkspace(ctx, c, client.ObjectKeyFromObject(ws))
				if err != nil {
					return client.IgnoreNotFound(err)
				}
				live.SetFinalizers(slices.DeleteFunc(live.GetFinalizers(), func(f string) bool { return f == ProviderFinalizer }))
				if err := c.Update(ctx, live, client.FieldOwner(ProviderFieldManager)); !apierrors.IsNotFound(err) {
					return err
				}
				return nil
			})
		}
		w.Stop()
	}
}
