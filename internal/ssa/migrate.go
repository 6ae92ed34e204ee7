package ssa

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/client-go/util/csaupgrade"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/structured-merge-diff/v6/fieldpath"

	"github.com/capt-controlplane/capt-controlplane/internal/ownership"
)

// Migration is a one-time handover of fields that Update entries of one
// subresource own to the apply managers that own those fields now, so that
// the apply managers' next applies can remove what nobody sends any more.
type Migration struct {
	// Fields say which apply manager takes which field: the first owner
	// whose Path starts the field's path (the ownership table); a field of
	// a migrated entry that no owner takes stays with that entry. A field
	// below an atomic path is handed over as the atomic path itself, the
	// way the new owner's apply owns it.
	ownership.Fields
	// Migrates says whether the Update entry of manager, owning fields, is
	// migrated. Entries of the owners themselves never are.
	Migrates func(manager string, fields *fieldpath.Set) bool
}

// PatchFor computes the JSON patch of managedFields that carries out the
// migration on obj. client-go's csaupgrade does the merging; since it hands
// a legacy manager's fields to one manager only, each migrated entry is
// split by handover first. The patch replaces resourceVersion too, so it
// fails with a conflict if the object changed since it was read.
//
// It returns nil when no field changes hands: the migration has run, or
// there was nothing to migrate.
func (m Migration) PatchFor(obj client.Object) (client.Patch, error) {
	managers := m.managers()
	applyManagers := sets.New(managers...)

	var entries []metav1.ManagedFieldsEntry
	migrating := false
	parts := make([]sets.Set[string], len(managers))
	for i := range parts {
		parts[i] = sets.New[string]()
	}
	for _, e := range obj.GetManagedFields() {
		if e.Operation != metav1.ManagedFieldsOperationUpdate || e.Subresource != m.Subresource || applyManagers.Has(e.Manager) {
			entries = append(entries, e)
			continue
		}
		set, err := FieldSet(e)
		if err != nil {
			return nil, err
		}
		if !m.Migrates(e.Manager, set) {
			entries = append(entries, e)
			continue
		}
		split, rest, changed, err := m.splitEntry(e, set)
		if err != nil {
			return nil, err
		}
		if !changed {
			entries = append(entries, e) // nothing of it changes hands
			continue
		}
		// The entry is replaced by its parts and what no handover took; one
		// that owned nothing but a handover's node has neither and goes.
		migrating = true
		if rest != nil {
			entries = append(entries, *rest)
		}
		for i, part := range split {
			if part == nil {
				continue
			}
			entries = append(entries, *part)
			parts[i].Insert(part.Manager)
		}
	}
	if !migrating {
		return nil, nil
	}

	migrated := obj.DeepCopyObject().(client.Object)
	migrated.SetManagedFields(entries)
	for i, manager := range managers {
		if parts[i].Len() == 0 {
			continue
		}
		if err := csaupgrade.UpgradeManagedFields(migrated, parts[i], manager, csaupgrade.Subresource(m.Subresource)); err != nil {
			return nil, fmt.Errorf("migrating managedFields to %s: %w", manager, err)
		}
	}

	// An entry the handover made or changed says when, as the API server's
	// own entries do.
	now := metav1.Now()
	managed := migrated.GetManagedFields()
	for i := range managed {
		if managed[i].Time == nil {
			managed[i].Time = &now
		}
	}
	patch, err := json.Marshal([]map[string]any{
		{"op": "replace", "path": "/metadata/managedFields", "value": managed},
		{"op": "replace", "path": "/metadata/resourceVersion", "value": obj.GetResourceVersion()},
	})
	if err != nil {
		return nil, err
	}
	return client.RawPatch("application/json-patch+json", patch), nil
}

// managers are the handovers' managers, each once, in order.
func (m Migration) managers() []string {
	var out []string
	for _, h := range m.Owners {
		if !slices.Contains(out, h.Manager) {
			out = append(out, h.Manager)
		}
	}
	return out
}

// splitEntry splits one Update entry into an entry per new manager (in the
// order of managers()), each named after the legacy manager and the new one
// so that csaupgrade can merge it alone (nil for a manager that takes no
// field), and the entry itself with
// the fields no handover takes (nil when none are left). changed says
// whether any field left the entry.
func (m Migration) splitEntry(e metav1.ManagedFieldsEntry, set *fieldpath.Set) (parts []*metav1.ManagedFieldsEntry, rest *metav1.ManagedFieldsEntry, changed bool, err error) {
	managers := m.managers()
	split := make([]*fieldpath.Set, len(managers))
	for i := range split {
		split[i] = &fieldpath.Set{}
	}
	kept := &fieldpath.Set{}
	set.Iterate(func(p fieldpath.Path) {
		p, h, ok := m.Owning(p)
		switch {
		case !ok:
			kept.Insert(p)
		case len(h.Path) > 0 && !h.Leaf && p.Equals(h.Path):
			// The node itself (".", its existence) is nobody's to take:
			// the new owner applies its fields, not the node. It is
			// dropped, or the legacy manager would keep a share of it.
			changed = true
		default:
			split[slices.Index(managers, h.Manager)].Insert(p)
			changed = true
		}
	})
	kept = withoutEmptiedNodes(kept, split)
	parts = make([]*metav1.ManagedFieldsEntry, len(managers))
	for i, s := range split {
		if s.Empty() {
			continue
		}
		raw, err := s.ToJSON()
		if err != nil {
			return nil, nil, false, err
		}
		part := e.DeepCopy()
		part.Manager = e.Manager + " -> " + managers[i]
		part.FieldsV1 = metav1.NewFieldsV1(string(raw))
		parts[i] = part
	}
	if kept.Empty() {
		return parts, nil, changed, nil
	}
	raw, err := kept.ToJSON()
	if err != nil {
		return nil, nil, false, err
	}
	rest = e.DeepCopy()
	rest.FieldsV1 = metav1.NewFieldsV1(string(raw))
	return parts, rest, changed, nil
}

// withoutEmptiedNodes drops from kept the nodes (a list's or map's own
// existence) whose every field was handed over: the entry would otherwise
// keep a share of a node it no longer has a field in.
func withoutEmptiedNodes(kept *fieldpath.Set, handed []*fieldpath.Set) *fieldpath.Set {
	out := &fieldpath.Set{}
	kept.Iterate(func(node fieldpath.Path) {
		emptied, stillParent := false, false
		for _, h := range handed {
			h.Iterate(func(p fieldpath.Path) {
				if len(p) > len(node) && ownership.HasPrefix(p, node) {
					emptied = true
				}
			})
		}
		kept.Iterate(func(p fieldpath.Path) {
			if len(p) > len(node) && ownership.HasPrefix(p, node) {
				stillParent = true
			}
		})
		if !emptied || stillParent {
			out.Insert(node)
		}
	})
	return out
}

// FieldSet is the set of fields a managedFields entry owns.
func FieldSet(e metav1.ManagedFieldsEntry) (*fieldpath.Set, error) {
	set := &fieldpath.Set{}
	if e.FieldsV1 != nil {
		if err := set.FromJSON(bytes.NewReader(e.FieldsV1.GetRawBytes())); err != nil {
			return nil, fmt.Errorf("decoding managedFields of %q: %w", e.Manager, err)
		}
	}
	return set, nil
}

// OwnsUnder reports whether set holds prefix or anything below it.
func OwnsUnder(set *fieldpath.Set, prefix fieldpath.Path) bool {
	found := false
	set.Iterate(func(p fieldpath.Path) {
		if !found && ownership.HasPrefix(p, prefix) {
			found = true
		}
	})
	return found
}

// Migrate sends m's patch of obj, if it has one, and reports whether it
// did. This is the one write that is not an apply (docs/design.md, rule 6):
// a JSON patch of managedFields, guarded by the resourceVersion it was
// computed from, sent to the main resource (the status endpoint ignores
// metadata). A conflict counts as sent: the newer object is on its way
// through the watch, and the migration is computed again from it.
func Migrate(ctx context.Context, c client.Client, obj client.Object, m Migration) (bool, error) {
	patch, err := m.PatchFor(obj)
	if err != nil || patch == nil {
		return false, err
	}
	return SendMigration(ctx, c, obj, patch)
}

// SendMigration sends a patch Migration.PatchFor computed of obj, as Migrate
// does.
func SendMigration(ctx context.Context, c client.Client, obj client.Object, patch client.Patch) (bool, error) {
	if err := c.Patch(ctx, obj.DeepCopyObject().(client.Object), patch); err != nil {
		if apierrors.IsConflict(err) {
			return true, nil
		}
		return false, fmt.Errorf("migrating managedFields of %s/%s: %w", obj.GetNamespace(), obj.GetName(), err)
	}
	return true, nil
}
