// Package workspacestatus is the owner of CAPTControlPlane
// status.workspaceStatus: it mirrors the control plane's Terraform Workspace
// (Ready condition, checksum and outputs) with server-side apply under the
// field manager capt-workspace-status, which owns that field and nothing
// else, and re-applies it whenever another writer changes or removes it.
package workspacestatus
