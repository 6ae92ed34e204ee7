package workspacetemplateapply

import (
	"context"

	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	tfv1beta1 "github.com/capt-controlplane/capt-controlplane/apis/external/tf/v1beta1"
	infrastructurev1beta1 "github.com/capt-controlplane/capt-controlplane/apis/infrastructure/v1beta1"
	"github.com/capt-controlplane/capt-controlplane/internal/ownership"
	"github.com/capt-controlplane/capt-controlplane/internal/ssa"
	"github.com/capt-controlplane/capt-controlplane/internal/upstream"
)

// migrateFromUpstream hands what upstream CAPT's manager owns of the apply
// (main resource and status) and of its Workspace to the managers that own
// those fields now, once (internal/upstream). It looks only while
// FieldManager has not yet applied the apply: before its first apply after
// the upgrade, or of a new apply. The cache keeps upstream's entries of
// applies and Workspaces (internal/manager), so an apply this manager
// created, whose Workspace it renders, is never read from the API server;
// one that upstream left is, with its Workspace: the patch replaces every
// entry, those the cache drops included. A Workspace is adopted only when
// upstream provably rendered it for this apply (ownership.BoundTo). One
// patch per reconcile (the next would carry a stale resourceVersion); it
// reports whether it sent one.
func (r *Reconciler) migrateFromUpstream(ctx context.Context, apply *infrastructurev1beta1.WorkspaceTemplateApply, cached *tfv1beta1.Workspace) (bool, error) {
	_, main := ssa.AppliedEntry(apply, FieldManager, "")
	_, status := ssa.AppliedEntry(apply, FieldManager, "status")
	if main && status {
		return false, nil
	}
	if !upstreamLeft(apply, cached) {
		return false, nil
	}
	// The Workspace first: upstream's record of it in the apply's status
	// is what proves upstream rendered it for this apply, and the apply's
	// migration hands that status over.
	ws := &tfv1beta1.Workspace{}
	switch err := r.APIReader.Get(ctx, types.NamespacedName{Name: apply.WorkspaceName()}, ws); {
	case err == nil && upstream.Left(ws) && ownership.BoundTo(ws, apply):
		sent, err := ssa.Migrate(ctx, r.Client, ws, upstream.Workspace())
		r.logMigration(ctx, sent, "Workspace "+ws.Name)
		if err != nil || sent {
			return sent, err
		}
	case err != nil && !ownership.Absent(err):
		return false, err
	}
	live := &infrastructurev1beta1.WorkspaceTemplateApply{}
	if err := r.APIReader.Get(ctx, client.ObjectKeyFromObject(apply), live); err != nil {
		return false, client.IgnoreNotFound(err)
	}
	for _, m := range []ssa.Migration{upstream.Apply(), upstream.ApplyStatus()} {
		if sent, err := ssa.Migrate(ctx, r.Client, live, m); err != nil || sent {
			r.logMigration(ctx, sent, "WorkspaceTemplateApply")
			return sent, err
		}
	}
	return false, nil
}

// upstreamLeft says whether the cached apply or its cached Workspace
// (Observe's; nil when none) has an entry of upstream's managers.
func upstreamLeft(apply *infrastructurev1beta1.WorkspaceTemplateApply, cached *tfv1beta1.Workspace) bool {
	return upstream.Left(apply) || cached != nil && upstream.Left(cached) && ownership.BoundTo(cached, apply)
}

func (r *Reconciler) logMigration(ctx context.Context, sent bool, what string) {
	if sent {
		r.log(ctx).Info("migrated upstream CAPT's ownership of the " + what)
	}
}
