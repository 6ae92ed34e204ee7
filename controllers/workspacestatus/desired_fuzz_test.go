package workspacestatus

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	tfv1beta1 "github.com/capt-controlplane/capt-controlplane/apis/external/tf/v1beta1"
	cpac "github.com/capt-controlplane/capt-controlplane/applyconfig/controlplane/controlplane/v1beta1"
)

// fuzzMaxBytes is small so that the size guard is reached often.
const fuzzMaxBytes = 256

// FuzzDesiredWorkspaceStatus feeds any JSON as the Workspace's atProvider
// (and as the last mirrored one) with any Ready condition, and checks the
// mirror's rules: no panic and no error; nothing to mirror only when there
// is neither a Workspace nor a previous mirror; ready and state always
// sent and following the condition; a usable observation mirrored exactly;
// otherwise the last atProvider kept, never erased; a refusal exactly when
// the observation is invalid or too large, naming the Workspace.
func FuzzDesiredWorkspaceStatus(f *testing.F) {
	for _, seed := range []struct {
		atProvider, status, reason, last string
		deleted                          bool
	}{
		{`{"checksum":"a","outputs":{"cluster_endpoint":"https://x","n":1e3,"l":[1,null,{"k":false}]}}`, "True", "Available", "", false},
		{`{}`, "False", "Unavailable", `{"checksum":"old"}`, false},
		{`null`, "True", "Available", `{"checksum":"old"}`, false},
		{`"oops"`, "True", "Available", `{"checksum":"old"}`, false},
		{`[1,2]`, "Unknown", "", `{"checksum":"old"}`, false},
		{`{"outputs":"x"}`, "True", "Available", "", false},
		{`{"checksum":"c","remoteSource":"git::https://example.com/m.git","invented":{"a":[1,{"b":null}]}}`, "True", "Available", `{"checksum":"old"}`, false},
		{`{"checksum":"","outputs":{},"remoteSource":null,"l":[]}`, "False", "Unavailable", `{"checksum":"old"}`, false},
		{`{"checksum":"` + strings.Repeat("x", 300) + `"}`, "True", "Available", `{"checksum":"old"}`, false},
		{``, "", "", `{"checksum":"old"}`, true},
	} {
		f.Add(seed.atProvider, seed.status, seed.reason, seed.last, seed.deleted)
	}
	f.Fuzz(func(t *testing.T, atProvider, status, reason, last string, deleted bool) {
		var ws tfv1beta1.AnyWorkspace // an untyped nil when deleted
		if !deleted {
			w := &tfv1beta1.Workspace{ObjectMeta: metav1.ObjectMeta{Name: "ws"}}
			if atProvider != "" {
				if _, ok := decoded(atProvider); !ok {
					t.Skip() // the API server never serves it
				}
				w.Status.AtProvider = &runtime.RawExtension{Raw: []byte(atProvider)}
			}
			if status != "" {
				w.Status.Conditions = []tfv1beta1.Condition{{Type: tfv1beta1.TypeReady, Status: metav1.ConditionStatus(status), Reason: reason}}
			}
			ws = w
		}
		var previous *cpac.WorkspaceStatusApplyConfiguration
		if last != "" {
			var v any
			if json.Unmarshal([]byte(last), &v) != nil {
				t.Skip()
			}
			previous = cpac.WorkspaceStatus().WithReady(true).WithState("Available")
			if _, isObject := v.(map[string]any); isObject {
				previous.WithAtProvider(runtime.RawExtension{Raw: []byte(last)})
			}
		}

		desired, fromWorkspace, refused := desiredWorkspaceStatus(ws, previous, fuzzMaxBytes)
		if ws == nil && previous == nil {
			if desired != nil || refused != nil {
				t.Fatalf("nothing to mirror, got %+v %+v", desired, refused)
			}
			return
		}
		if desired == nil || desired.Ready == nil || desired.State == nil {
			t.Fatalf("ready and state must always be sent: %+v", desired)
		}
		if ws != nil && status != "" && (*desired.Ready != (status == "True") || *desired.State != reason) {
			t.Fatalf("ready/state %v/%q do not follow the condition %q/%q", *desired.Ready, *desired.State, status, reason)
		}

		// Every field of an object is mirrored as it is, whatever its name.
		var want any
		var usable, invalid bool
		if ws != nil && atProvider != "" {
			want, _ = decoded(atProvider)
			_, isObject := want.(map[string]any)
			invalid = want != nil && !isObject
			usable = isObject && !emptyObservation(want)
		}
		tooLarge := usable && len(atProvider) > fuzzMaxBytes
		wantRefused := invalid || tooLarge
		if (refused != nil) != wantRefused {
			t.Fatalf("refused = %v, want %v (atProvider %q)", refused, wantRefused, atProvider)
		}
		if refused != nil && !strings.Contains(refused.message, "workspace ws") {
			t.Fatalf("the refusal does not name the workspace: %s", refused.message)
		}

		if fromWorkspace != (usable && !tooLarge) {
			t.Fatalf("fromWorkspace = %v for atProvider %q", fromWorkspace, atProvider)
		}
		switch {
		case usable && !tooLarge:
			var got any
			if desired.AtProvider == nil || json.Unmarshal(desired.AtProvider.Raw, &got) != nil || !reflect.DeepEqual(got, want) {
				t.Fatalf("the observation is not mirrored exactly: %v, want %v", desired.AtProvider, want)
			}
		case previous != nil && previous.AtProvider != nil:
			if desired.AtProvider == nil || !bytes.Equal(desired.AtProvider.Raw, previous.AtProvider.Raw) {
				t.Fatalf("the last atProvider was not kept: %v", desired.AtProvider)
			}
		default:
			if desired.AtProvider != nil {
				t.Fatalf("an atProvider out of nowhere: %s", desired.AtProvider.Raw)
			}
		}
	})
}

// The oracles, from the fuzzed JSON itself and not from the code under
// test: what it decodes to, whether it is an object, and whether it is
// empty (null, or an object whose every field is null, "", {} or []).
func decoded(raw string) (v any, ok bool) {
	return v, json.Unmarshal([]byte(raw), &v) == nil
}

func emptyObservation(v any) bool {
	if v == nil {
		return true
	}
	m, isObject := v.(map[string]any)
	if !isObject {
		return false
	}
	for _, field := range m {
		if !reflect.DeepEqual(field, nil) && !reflect.DeepEqual(field, "") &&
			!reflect.DeepEqual(field, map[string]any{}) && !reflect.DeepEqual(field, []any{}) {
			return false
		}
	}
	return true
}
