package ssa

import (
	"bytes"
	"encoding/json"
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/client-go/util/csaupgrade"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/structured-merge-diff/v6/fieldpath"
)

// Handover says which apply manager takes over which fields of the
// Update-managed entries being migrated: the first Handover whose Prefix
// starts a field's path takes it; a nil Prefix takes everything.
type Handover struct {
	Manager string
	Prefix  fieldpath.Path
}

// MigrationPatch computes the one-time JSON patch that hands the fields
// owned by Update-operation entries of subresource that own anything under
// trigger (other than the apply managers themselves) to the apply managers
// in handovers, so that later
// applies can remove them. client-go's csaupgrade does the merging; since
// it hands a legacy manager's fields to one manager only, each legacy entry
// is split by handover first. The patch replaces resourceVersion too, so
// it fails with a conflict if the object changed since it was read.
//
// It returns nil when there is nothing to migrate.
func MigrationPatch(obj client.Object, subresource string, trigger fieldpath.Path, handovers []Handover) (client.Patch, error) {
	applyManagers := sets.New[string]()
	for _, h := range handovers {
		applyManagers.Insert(h.Manager)
	}

	var entries []metav1.ManagedFieldsEntry
	migrating := false
	parts := make([]sets.Set[string], len(handovers))
	for i := range parts {
		parts[i] = sets.New[string]()
	}
	for _, e := range obj.GetManagedFields() {
		if e.Operation != metav1.ManagedFieldsOperationUpdate || e.Subresource != subresource || applyManagers.Has(e.Manager) {
			entries = append(entries, e)
			continue
		}
		set, err := decode(e)
		if err != nil {
			return nil, err
		}
		if !ownsUnder(set, trigger) {
			entries = append(entries, e)
			continue
		}
		// The legacy entry is replaced by its parts; one that owned nothing
		// but a handover's node has no parts and simply goes.
		migrating = true
		split, err := splitEntry(e, set, handovers)
		if err != nil {
			return nil, err
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
	for i, h := range handovers {
		if parts[i].Len() == 0 {
			continue
		}
		if err := csaupgrade.UpgradeManagedFields(migrated, parts[i], h.Manager, csaupgrade.Subresource(subresource)); err != nil {
			return nil, fmt.Errorf("migrating managedFields to %s: %w", h.Manager, err)
		}
	}

	patch, err := json.Marshal([]map[string]any{
		{"op": "replace", "path": "/metadata/managedFields", "value": migrated.GetManagedFields()},
		{"op": "replace", "path": "/metadata/resourceVersion", "value": obj.GetResourceVersion()},
	})
	if err != nil {
		return nil, err
	}
	return client.RawPatch("application/json-patch+json", patch), nil
}

// splitEntry splits one Update entry into an entry per handover, each named
// after the legacy manager and the handover so that csaupgrade can merge it
// alone. A handover that takes no field gets nil.
func splitEntry(e metav1.ManagedFieldsEntry, set *fieldpath.Set, handovers []Handover) ([]*metav1.ManagedFieldsEntry, error) {
	split := make([]*fieldpath.Set, len(handovers))
	for i := range split {
		split[i] = &fieldpath.Set{}
	}
	set.Iterate(func(p fieldpath.Path) {
		for i, h := range handovers {
			if len(h.Prefix) > 0 && p.Equals(h.Prefix) {
				// The node itself (".", its existence) is nobody's to take:
				// the new owner applies its fields, not the node. It is
				// dropped, or the legacy manager would keep a share of it.
				return
			}
			if hasPrefix(p, h.Prefix) {
				split[i].Insert(p)
				return
			}
		}
	})
	out := make([]*metav1.ManagedFieldsEntry, len(handovers))
	for i, s := range split {
		if s.Empty() {
			continue
		}
		raw, err := s.ToJSON()
		if err != nil {
			return nil, err
		}
		part := e.DeepCopy()
		part.Manager = e.Manager + " -> " + handovers[i].Manager
		part.FieldsV1 = metav1.NewFieldsV1(string(raw))
		out[i] = part
	}
	return out, nil
}

func decode(e metav1.ManagedFieldsEntry) (*fieldpath.Set, error) {
	set := &fieldpath.Set{}
	if e.FieldsV1 != nil {
		if err := set.FromJSON(bytes.NewReader(e.FieldsV1.GetRawBytes())); err != nil {
			return nil, fmt.Errorf("decoding managedFields of %q: %w", e.Manager, err)
		}
	}
	return set, nil
}

func ownsUnder(set *fieldpath.Set, prefix fieldpath.Path) bool {
	found := false
	set.Iterate(func(p fieldpath.Path) {
		if !found && hasPrefix(p, prefix) {
			found = true
		}
	})
	return found
}

func hasPrefix(p, prefix fieldpath.Path) bool {
	if len(prefix) > len(p) {
		return false
	}
	for i := range prefix {
		if !p[i].Equals(prefix[i]) {
			return false
		}
	}
	return true
}
