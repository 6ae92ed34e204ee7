// Package workspacetemplateapply renders a cluster-scoped Workspace from a
// WorkspaceTemplate for each WorkspaceTemplateApply, with server-side apply
// under the field manager capt-workspacetemplateapply, and reports the
// Workspace's Ready and Synced conditions in the apply's status.
package workspacetemplateapply
