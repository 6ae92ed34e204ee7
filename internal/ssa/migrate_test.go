package ssa

import (
	"encoding/json"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/structured-merge-diff/v6/fieldpath"
	"sigs.k8s.io/structured-merge-diff/v6/value"

	"github.com/capt-controlplane/capt-controlplane/internal/ownership"
)

// migrated applies m to an object whose only entry is an Update by
// "legacy" owning fields, and returns the resulting entries by manager.
func migrated(t *testing.T, fields string, m Migration) map[string]string {
	t.Helper()
	obj := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "s", ResourceVersion: "1", ManagedFields: []metav1.ManagedFieldsEntry{{
		Manager: "legacy", Operation: metav1.ManagedFieldsOperationUpdate, APIVersion: "v1", FieldsType: "FieldsV1", FieldsV1: metav1.NewFieldsV1(fields),
	}}}}
	patch, err := m.PatchFor(obj)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	if patch == nil {
		return out
	}
	raw, err := patch.Data(obj)
	if err != nil {
		t.Fatal(err)
	}
	var ops []struct {
		Path  string          `json:"path"`
		Value json.RawMessage `json:"value"`
	}
	if err := json.Unmarshal(raw, &ops); err != nil {
		t.Fatal(err)
	}
	var entries []metav1.ManagedFieldsEntry
	if err := json.Unmarshal(ops[0].Value, &entries); err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		out[e.Manager+" "+string(e.Operation)] = e.FieldsV1.GetRawString()
	}
	return out
}

func TestMigration(t *testing.T) {
	legacy := func(manager string, _ *fieldpath.Set) bool { return manager == "legacy" }
	finalizer := fieldpath.MakePathOrDie("metadata", "finalizers", value.NewValueInterface("ours"))
	cases := []struct {
		name   string
		fields string
		m      Migration
		want   map[string]string
	}{{
		name:   "several handovers to one manager hand over every field",
		fields: `{"f:data":{".":{},"f:stale":{},"f:value":{}},"f:type":{},"f:metadata":{"f:labels":{".":{},"f:a":{}}}}`,
		m: Migration{Migrates: legacy, Fields: ownership.Fields{Owners: []ownership.Field{
			{Manager: "new", Path: fieldpath.MakePathOrDie("metadata", "labels")},
			{Manager: "new", Path: fieldpath.MakePathOrDie("type"), Leaf: true},
			{Manager: "new", Path: fieldpath.MakePathOrDie("data")},
		}}},
		want: map[string]string{"new Apply": `{"f:data":{"f:stale":{},"f:value":{}},"f:metadata":{"f:labels":{"f:a":{}}},"f:type":{}}`},
	}, {
		name:   "a set item is handed over; fields of no handover stay, and the emptied list node goes",
		fields: `{"f:metadata":{"f:finalizers":{".":{},"v:\"ours\"":{}},"f:ownerReferences":{".":{},"k:{\"uid\":\"u\"}":{}}}}`,
		m:      Migration{Migrates: legacy, Fields: ownership.Fields{Owners: []ownership.Field{{Manager: "new", Path: finalizer, Leaf: true}}}},
		want: map[string]string{
			"new Apply":     `{"f:metadata":{"f:finalizers":{"v:\"ours\"":{}}}}`,
			"legacy Update": `{"f:metadata":{"f:ownerReferences":{".":{},"k:{\"uid\":\"u\"}":{}}}}`,
		},
	}, {
		name:   "below an atomic path, the path itself is handed over",
		fields: `{"f:data":{"f:value":{".":{},"f:x":{}}}}`,
		m: Migration{Migrates: legacy, Fields: ownership.Fields{Owners: []ownership.Field{{Manager: "new", Path: fieldpath.MakePathOrDie("data")}},
			Atomic: []fieldpath.Path{fieldpath.MakePathOrDie("data", "value")}}},
		want: map[string]string{"new Apply": `{"f:data":{"f:value":{}}}`},
	}, {
		name:   "nothing of ours: no patch",
		fields: `{"f:metadata":{"f:ownerReferences":{".":{},"k:{\"uid\":\"u\"}":{}}}}`,
		m:      Migration{Migrates: legacy, Fields: ownership.Fields{Owners: []ownership.Field{{Manager: "new", Path: finalizer, Leaf: true}}}},
		want:   map[string]string{},
	}}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := migrated(t, c.fields, c.m)
			if len(got) != len(c.want) {
				t.Fatalf("entries %v, want %v", got, c.want)
			}
			for k, want := range c.want {
				var a, b any
				_ = json.Unmarshal([]byte(got[k]), &a)
				_ = json.Unmarshal([]byte(want), &b)
				if !jsonEqual(a, b) {
					t.Errorf("%s: got %s, want %s", k, got[k], want)
				}
			}
		})
	}
}

func jsonEqual(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}
