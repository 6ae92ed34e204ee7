// Package ownership names the field managers of capt-controlplane, each
// defined once. Every write the manager makes is a server-side apply under
// one of them; search for a name to find where its fields are written.
package ownership

const (
	// WorkspaceStatus owns status.workspaceStatus of every CAPTControlPlane
	// (ready, state, atProvider) and nothing else.
	WorkspaceStatus = "capt-workspace-status"

	// ControlPlane owns the control plane's finalizer and recorded spec
	// fields, every other status field, its WorkspaceTemplateApply and the
	// people's kubeconfig Secret "<cluster>-user-kubeconfig".
	ControlPlane = "capt-controlplane"

	// Kubeconfig owns Cluster API's kubeconfig Secret "<cluster>-kubeconfig"
	// (a renewed bearer token) and the control plane's KubeconfigReady
	// condition.
	Kubeconfig = "capt-kubeconfig"

	// WorkspaceTemplateApply owns the rendered Workspaces (spec and labels,
	// and Crossplane's pause annotation while the Cluster is paused), the
	// apply's finalizer and the apply's status.
	WorkspaceTemplateApply = "capt-workspacetemplateapply"
)

// FieldManagers are every name the manager applies under.
var FieldManagers = []string{WorkspaceStatus, ControlPlane, WorkspaceTemplateApply, Kubeconfig}
