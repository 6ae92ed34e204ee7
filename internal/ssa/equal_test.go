package ssa

import (
	"encoding/json"
	"reflect"
	"testing"

	"k8s.io/apimachinery/pkg/runtime"
)

func raw(s string) runtime.RawExtension { return runtime.RawExtension{Raw: []byte(s)} }

func TestJSONEqual(t *testing.T) {
	cases := []struct {
		name string
		a, b any
		want bool
	}{
		{"reordered keys", raw(`{"a":1,"b":{"c":2,"d":3}}`), raw(`{"b":{"d":3,"c":2},"a":1}`), true},
		{"whitespace", raw(`{ "a" : [ 1 , 2 ] }`), raw(`{"a":[1,2]}`), true},
		{"number spelling", raw(`{"n":1e3}`), raw(`{"n":1000}`), true},
		{"float spelling", raw(`{"n":0.50}`), raw(`{"n":5e-1}`), true},
		{"typed and raw", map[string]any{"x": true}, raw(`{"x":true}`), true},
		{"different value", raw(`{"a":1}`), raw(`{"a":2}`), false},
		{"missing key", raw(`{"a":1,"b":null}`), raw(`{"a":1}`), false},
		{"list order matters", raw(`[1,2]`), raw(`[2,1]`), false},
		{"string is not number", raw(`{"a":"1"}`), raw(`{"a":1}`), false},
		{"nil and empty object", nil, map[string]any{}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := JSONEqual(tc.a, tc.b)
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Fatalf("JSONEqual = %v, want %v", got, tc.want)
			}
		})
	}
}

// FuzzJSONEqual checks that the comparison is reflexive and symmetric and
// agrees with equality of canonical JSON (compact, keys sorted).
func FuzzJSONEqual(f *testing.F) {
	for _, seed := range [][2]string{
		{`{"a":1}`, `{"a":1.0}`},
		{`{"a":{"b":[1,"x",true,null]}}`, `{"a":{"b":[1,"x",true,null]}}`},
		{`{"n":1e3}`, `{"n":1000}`},
		{`[]`, `{}`},
		{`"s"`, `"t"`},
		{`{"n":-0}`, `{"n":0}`},
		{`{"a":1,"b":2}`, `{"b":2,"a":1}`},
	} {
		f.Add(seed[0], seed[1])
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		var va, vb any
		if json.Unmarshal([]byte(a), &va) != nil || json.Unmarshal([]byte(b), &vb) != nil {
			t.Skip()
		}
		ra, rb := raw(a), raw(b)
		self, err := JSONEqual(ra, ra)
		if err != nil || !self {
			t.Fatalf("not reflexive for %q: %v %v", a, self, err)
		}
		ab, errAB := JSONEqual(ra, rb)
		ba, errBA := JSONEqual(rb, ra)
		if errAB != nil || errBA != nil || ab != ba {
			t.Fatalf("not symmetric for %q, %q: %v %v (%v %v)", a, b, ab, ba, errAB, errBA)
		}
		// The oracle: the decoded values, compared as Go values.
		if want := reflect.DeepEqual(va, vb); ab != want {
			t.Fatalf("JSONEqual(%q, %q) = %v, but the decoded values are equal: %v", a, b, ab, want)
		}
	})
}

// TestCurrent: the no-op check sends nothing only when the owned fields
// are exactly the desired ones; a uid in desired is a precondition, not a
// value Extract can return.
func TestCurrent(t *testing.T) {
	cases := []struct {
		name           string
		desired, owned string
		want           bool
	}{
		{"same", `{"metadata":{"name":"a"},"spec":{"a":1}}`, `{"metadata":{"name":"a"},"spec":{"a":1}}`, true},
		{"uid is a precondition", `{"metadata":{"name":"a","uid":"u-1"},"spec":{"a":1}}`, `{"metadata":{"name":"a"},"spec":{"a":1}}`, true},
		{"changed value", `{"spec":{"a":"x"}}`, `{"spec":{"a":"y"}}`, false},
		{"field no longer desired", `{"spec":{"a":"x"}}`, `{"spec":{"a":"x","entrypoint":"m"}}`, false},
		{"list item no longer desired", `{"l":[1]}`, `{"l":[1,2]}`, false},
		{"new field", `{"spec":{"a":"x","b":1}}`, `{"spec":{"a":"x"}}`, false},
		{"other metadata still compared", `{"metadata":{"labels":{"a":"b"}}}`, `{"metadata":{}}`, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := current(raw(tc.desired), raw(tc.owned))
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Fatalf("current = %v, want %v", got, tc.want)
			}
		})
	}
}
