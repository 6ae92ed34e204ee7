// Package controlplane reconciles CAPTControlPlanes under the field manager
// capt-controlplane: the finalizer and the recorded spec fields, the
// WorkspaceTemplateApply that renders the Terraform Workspace, the Cluster
// API contract (endpoint, initialization, kubeconfig Secret) and every
// status field but workspaceStatus, which the workspacestatus controller owns.
package controlplane
