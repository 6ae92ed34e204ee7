package ownership

import (
	"strings"

	"sigs.k8s.io/structured-merge-diff/v6/fieldpath"
	"sigs.k8s.io/structured-merge-diff/v6/value"

	controlplanev1beta1 "github.com/capt-controlplane/capt-controlplane/apis/controlplane/v1beta1"
	tfv1beta1 "github.com/capt-controlplane/capt-controlplane/apis/external/tf/v1beta1"
	infrastructurev1beta1 "github.com/capt-controlplane/capt-controlplane/apis/infrastructure/v1beta1"
)

// Field is a field, or a node of fields, that one manager owns.
type Field struct {
	Manager string
	Path    fieldpath.Path
	// Leaf says that Path is itself the owned field (a scalar, a set item,
	// a map key), not a node whose fields are owned.
	Leaf bool
}

// Fields are the fields our managers own in one kind's main resource or
// status. A field belongs to the first entry of Owners whose Path starts
// its path; a field no entry starts is not ours (a person's, Cluster API's,
// provider-terraform's).
type Fields struct {
	Kind        string
	Subresource string // "" for the main resource, or "status"
	// NameSuffix, when set, restricts the entry to objects whose name ends
	// so (the two kubeconfig Secrets).
	NameSuffix string
	Owners     []Field
	// Atomic are paths owned as one value (x-kubernetes-map-type: atomic):
	// a field below one is owned as the atomic path itself.
	Atomic []fieldpath.Path
}

// The field-manager table of docs/design.md, in code: the migration hands
// fields over by it (internal/upstream), kubectl capt owners shows it
// beside the live owners, and the lifecycle tests check every object
// against it.
var (
	ControlPlaneStatus = Fields{Kind: "CAPTControlPlane", Subresource: "status",
		Owners: []Field{
			{Manager: WorkspaceStatus, Path: path("status", "workspaceStatus")},
			{Manager: Kubeconfig, Path: condition(controlplanev1beta1.ConditionKubeconfigReady)},
			{Manager: ControlPlane, Path: path("status")},
		},
		Atomic: []fieldpath.Path{path("status", "workspaceStatus", "atProvider")},
	}
	ControlPlaneMain = Fields{Kind: "CAPTControlPlane",
		Owners: []Field{
			{Manager: ControlPlane, Path: finalizer(controlplanev1beta1.CAPTControlPlaneFinalizer), Leaf: true},
			{Manager: ControlPlane, Path: path("spec", "controlPlaneEndpoint")},
			{Manager: ControlPlane, Path: path("spec", "workspaceTemplateApplyName"), Leaf: true},
		},
	}
	ApplyMain = Fields{Kind: "WorkspaceTemplateApply",
		Owners: []Field{
			{Manager: WorkspaceTemplateApply, Path: finalizer(infrastructurev1beta1.WorkspaceTemplateApplyFinalizer), Leaf: true},
			{Manager: ControlPlane, Path: path("metadata", "ownerReferences")},
			{Manager: ControlPlane, Path: path("metadata", "labels")},
			{Manager: ControlPlane, Path: path("spec")},
		},
	}
	ApplyStatus = Fields{Kind: "WorkspaceTemplateApply", Subresource: "status",
		Owners: []Field{{Manager: WorkspaceTemplateApply, Path: path("status")}},
	}
	// Both kinds: a namespaced Workspace also has the apply as its
	// controller owner.
	WorkspaceMain = Fields{Kind: "Workspace",
		Owners: []Field{
			// Crossplane's pause, while the apply's Cluster is paused, and
			// the management policies the hold took Delete out of.
			{Manager: WorkspaceTemplateApply, Path: path("metadata", "annotations", tfv1beta1.AnnotationPaused), Leaf: true},
			{Manager: WorkspaceTemplateApply, Path: path("metadata", "annotations", infrastructurev1beta1.AnnotationHeldManagementPolicies), Leaf: true},
			{Manager: WorkspaceTemplateApply, Path: path("metadata", "labels")},
			{Manager: WorkspaceTemplateApply, Path: path("metadata", "ownerReferences")},
			{Manager: WorkspaceTemplateApply, Path: path("spec")},
		},
	}
	// Before KubeconfigSecret: "-user-kubeconfig" ends in "-kubeconfig".
	UserKubeconfigSecret = secret(ControlPlane, controlplanev1beta1.UserKubeconfigSecretSuffix)
	KubeconfigSecret     = secret(Kubeconfig, controlplanev1beta1.KubeconfigSecretSuffix,
		Field{Manager: Kubeconfig, Path: path("metadata", "annotations", controlplanev1beta1.AnnotationTokenExpires), Leaf: true})

	// Table is every entry above.
	Table = []Fields{ControlPlaneStatus, ControlPlaneMain, ApplyMain, ApplyStatus, WorkspaceMain, UserKubeconfigSecret, KubeconfigSecret}
)

// OwnerOf is the manager the table gives field p of the object of kind and
// name, in subresource; "" when the field is not ours.
func OwnerOf(kind, name, subresource string, p fieldpath.Path) string {
	for _, f := range Table {
		if f.Kind == kind && f.Subresource == subresource && strings.HasSuffix(name, f.NameSuffix) {
			return f.OwnerOf(p)
		}
	}
	return ""
}

// OwnerOf is the manager of field p; "" when it is not ours.
func (f Fields) OwnerOf(p fieldpath.Path) string {
	_, owner, ok := f.Owning(p)
	if !ok {
		return ""
	}
	return owner.Manager
}

// Owning finds who owns field p: the field as owned (p, or the atomic path
// above it) and the first entry of Owners whose Path starts it; ok is
// false when none does.
func (f Fields) Owning(p fieldpath.Path) (owned fieldpath.Path, owner Field, ok bool) {
	for _, a := range f.Atomic {
		if HasPrefix(p, a) {
			p = a
			break
		}
	}
	for _, o := range f.Owners {
		if HasPrefix(p, o.Path) {
			return p, o, true
		}
	}
	return p, Field{}, false
}

// HasPrefix reports whether path p starts with prefix.
func HasPrefix(p, prefix fieldpath.Path) bool {
	return len(p) >= len(prefix) && p[:len(prefix)].Equals(prefix)
}

func secret(manager, suffix string, extra ...Field) Fields {
	return Fields{Kind: "Secret", NameSuffix: suffix,
		Owners: append(extra,
			Field{Manager: manager, Path: path("metadata", "labels")},
			Field{Manager: manager, Path: path("metadata", "ownerReferences")},
			Field{Manager: manager, Path: path("type"), Leaf: true},
			Field{Manager: manager, Path: path("data")},
		),
	}
}

func path(parts ...any) fieldpath.Path { return fieldpath.MakePathOrDie(parts...) }

func finalizer(name string) fieldpath.Path {
	return path("metadata", "finalizers", value.NewValueInterface(name))
}

func condition(conditionType string) fieldpath.Path {
	return path("status", "conditions", &value.FieldList{{Name: "type", Value: value.NewValueInterface(conditionType)}})
}
