// Package controlplane reconciles CAPTControlPlanes under the field manager
// capt-controlplane: the finalizer and the recorded spec fields, the
// WorkspaceTemplateApply that renders the Terraform Workspace, the Cluster
// API contract (endpoint, initialization, versions, conditions), the
// people's kubeconfig Secret ("<cluster>-user-kubeconfig", an exec
// kubeconfig; Cluster API's "<cluster>-kubeconfig" with its token is the
// kubeconfig controller's) and every status field but workspaceStatus,
// which the workspacestatus controller owns.
package controlplane
