package testenv

import (
	"encoding/json"
	"fmt"
	"reflect"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// ManagedFieldsEntries returns the managedFields entries of manager.
func ManagedFieldsEntries(obj metav1.Object, manager string) []metav1.ManagedFieldsEntry {
	var out []metav1.ManagedFieldsEntry
	for _, e := range obj.GetManagedFields() {
		if e.Manager == manager {
			out = append(out, e)
		}
	}
	return out
}

// FieldsV1 parses an entry's fieldsV1 into a generic JSON value.
func FieldsV1(e metav1.ManagedFieldsEntry) any {
	if e.FieldsV1 == nil {
		return nil
	}
	var v any
	if err := json.Unmarshal(e.FieldsV1.GetRawBytes(), &v); err != nil {
		panic(fmt.Sprintf("fieldsV1 of %s is not JSON: %v", e.Manager, err))
	}
	return v
}

// MustJSON parses a JSON literal, for expected values in tests.
func MustJSON(s string) any {
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		panic(fmt.Sprintf("bad JSON literal %q: %v", s, err))
	}
	return v
}

// JSONEqual reports whether two values are equal as canonical JSON.
func JSONEqual(a, b any) bool {
	return reflect.DeepEqual(canonical(a), canonical(b))
}

func canonical(v any) any {
	raw, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	var out any
	if err := json.Unmarshal(raw, &out); err != nil {
		panic(err)
	}
	return out
}

// Entry is the part of a managedFields entry that tests assert exactly.
type Entry struct {
	Manager     string
	Operation   metav1.ManagedFieldsOperationType
	Subresource string
	FieldsV1    any
}

// SummarizeManager is Summarize for the entries of one manager.
func SummarizeManager(obj metav1.Object, manager string) []Entry {
	var out []Entry
	for _, e := range Summarize(obj) {
		if e.Manager == manager {
			out = append(out, e)
		}
	}
	return out
}

// Summarize reduces managedFields to what tests assert: who, how, where,
// which fields (time and API version left out).
func Summarize(obj metav1.Object) []Entry { return SummarizeEntries(obj.GetManagedFields()) }

// SummarizeEntries is Summarize for entries not (yet) on an object.
func SummarizeEntries(entries []metav1.ManagedFieldsEntry) []Entry {
	var out []Entry
	for _, e := range entries {
		out = append(out, Entry{Manager: e.Manager, Operation: e.Operation, Subresource: e.Subresource, FieldsV1: FieldsV1(e)})
	}
	return out
}

// Keys are the keys of a decoded fieldsV1 map, for asserting its shape.
func Keys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

// The exact fieldsV1 of capt-workspace-status's entry (an Apply on the
// status subresource): every field the mirror applies, with atProvider
// owned as one value, and the same before the Workspace observed anything.
// Every test that asserts that entry uses these, so a new mirrored field
// changes its expectation here.
const (
	WorkspaceStatusFields                  = `{"f:status":{"f:workspaceStatus":{"f:atProvider":{},"f:ready":{},"f:state":{}}}}`
	WorkspaceStatusFieldsBeforeObservation = `{"f:status":{"f:workspaceStatus":{"f:ready":{},"f:state":{}}}}`
)
