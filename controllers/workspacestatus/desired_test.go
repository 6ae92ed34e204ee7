package workspacestatus

import (
	"encoding/json"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	tfv1beta1 "github.com/capt-controlplane/capt-controlplane/apis/external/tf/v1beta1"
	cpac "github.com/capt-controlplane/capt-controlplane/applyconfig/controlplane/controlplane/v1beta1"
	"github.com/capt-controlplane/capt-controlplane/internal/ssa"
)

func workspace(atProvider string, ready *tfv1beta1.Condition) *tfv1beta1.Workspace {
	ws := &tfv1beta1.Workspace{ObjectMeta: metav1.ObjectMeta{Name: "ws"}}
	if atProvider != "" {
		if err := json.Unmarshal([]byte(atProvider), &ws.Status.AtProvider); err != nil {
			panic(err)
		}
	}
	if ready != nil {
		ws.Status.Conditions = []tfv1beta1.Condition{*ready}
	}
	return ws
}

func readyCondition(status metav1.ConditionStatus, reason string) *tfv1beta1.Condition {
	return &tfv1beta1.Condition{Type: tfv1beta1.TypeReady, Status: status, Reason: reason}
}

func TestDesiredWorkspaceStatus(t *testing.T) {
	const old = `{"checksum":"old","outputs":{"cluster_endpoint":"https://old"}}`
	const fresh = `{"checksum":"new","outputs":{"cluster_endpoint":"https://new","n":3,"l":[true,null]}}`
	// remoteSource is provider-terraform v1's; invented stands for any field
	// a later provider adds.
	const undeclared = `{"checksum":"c","remoteSource":"git::https://example.com/eks.git?ref=v2","invented":{"a":[1,{"b":false}],"z":0}}`
	last := cpac.WorkspaceStatus().WithReady(true).WithState("Available").WithAtProvider(runtime.RawExtension{Raw: []byte(old)})

	cases := []struct {
		name string
		ws   tfv1beta1.AnyWorkspace
		last *cpac.WorkspaceStatusApplyConfiguration
		want string // JSON of the desired workspaceStatus; "" for nothing to mirror
		// refused is the Event reason when the atProvider is not mirrored.
		refused string
	}{
		{"no workspace, nothing mirrored yet", nil, nil, "", ""},
		{"workspace deleted keeps the last atProvider", nil, last,
			`{"ready":false,"state":"Deleted","atProvider":` + old + `}`, ""},
		{"workspace deleted, nothing but ready mirrored", nil, cpac.WorkspaceStatus().WithReady(true).WithState("Creating"),
			`{"ready":false,"state":"Deleted"}`, ""},
		{"ready and available", workspace(fresh, readyCondition(metav1.ConditionTrue, "Available")), nil,
			`{"ready":true,"state":"Available","atProvider":` + fresh + `}`, ""},
		{"creating", workspace(fresh, readyCondition(metav1.ConditionFalse, "Creating")), nil,
			`{"ready":false,"state":"Creating","atProvider":` + fresh + `}`, ""},
		{"no Ready condition yet", workspace("", nil), nil, `{"ready":false,"state":"Unknown"}`, ""},
		{"gap keeps the last atProvider", workspace("", readyCondition(metav1.ConditionFalse, "Unavailable")), last,
			`{"ready":false,"state":"Unavailable","atProvider":` + old + `}`, ""},
		{"empty outputs map is a gap too", workspace(`{"outputs":{}}`, readyCondition(metav1.ConditionTrue, "Available")), last,
			`{"ready":true,"state":"Available","atProvider":` + old + `}`, ""},
		{"newer observation replaces the last", workspace(fresh, readyCondition(metav1.ConditionTrue, "Available")), last,
			`{"ready":true,"state":"Available","atProvider":` + fresh + `}`, ""},
		{"unknown status", workspace(fresh, readyCondition(metav1.ConditionUnknown, "Unavailable")), nil,
			`{"ready":false,"state":"Unavailable","atProvider":` + fresh + `}`, ""},
		{"null is a gap", workspace(`null`, readyCondition(metav1.ConditionTrue, "Available")), last,
			`{"ready":true,"state":"Available","atProvider":` + old + `}`, ""},
		{"a string is refused", workspace(`"oops"`, readyCondition(metav1.ConditionTrue, "Available")), last,
			`{"ready":true,"state":"Available","atProvider":` + old + `}`, ReasonInvalidAtProvider},
		{"a number is refused", workspace(`42`, readyCondition(metav1.ConditionTrue, "Available")), last,
			`{"ready":true,"state":"Available","atProvider":` + old + `}`, ReasonInvalidAtProvider},
		{"a list is refused", workspace(`[{"checksum":"x"}]`, readyCondition(metav1.ConditionFalse, "Creating")), last,
			`{"ready":false,"state":"Creating","atProvider":` + old + `}`, ReasonInvalidAtProvider},
		{"fields no Go type declares are mirrored as written", workspace(undeclared, readyCondition(metav1.ConditionTrue, "Available")), last,
			`{"ready":true,"state":"Available","atProvider":` + undeclared + `}`, ""},
		{"outputs that are not an object are mirrored all the same", workspace(`{"checksum":"x","outputs":[1]}`, readyCondition(metav1.ConditionTrue, "Available")), last,
			`{"ready":true,"state":"Available","atProvider":{"checksum":"x","outputs":[1]}}`, ""},
		{"empty fields alone are a gap", workspace(`{"checksum":"","outputs":{},"remoteSource":null}`, readyCondition(metav1.ConditionFalse, "Unavailable")), last,
			`{"ready":false,"state":"Unavailable","atProvider":` + old + `}`, ""},
		{"refused with nothing mirrored yet", workspace(`"oops"`, readyCondition(metav1.ConditionTrue, "Available")), nil,
			`{"ready":true,"state":"Available"}`, ReasonInvalidAtProvider},
		{"too large is refused", workspace(`{"checksum":"`+strings.Repeat("x", DefaultMaxAtProviderBytes)+`"}`, readyCondition(metav1.ConditionTrue, "Available")), last,
			`{"ready":true,"state":"Available","atProvider":` + old + `}`, ReasonAtProviderTooLarge},
	}
	// The cases whose atProvider is the Workspace's own, not the last kept.
	fromWorkspace := map[string]bool{
		"ready and available": true, "creating": true, "newer observation replaces the last": true, "unknown status": true,
		"fields no Go type declares are mirrored as written": true, "outputs that are not an object are mirrored all the same": true,
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, fromWS, refused := desiredWorkspaceStatus(tc.ws, tc.last, 0)
			if reason := refusedReason(refused); reason != tc.refused {
				t.Fatalf("refused with %q, want %q", reason, tc.refused)
			}
			if fromWS != fromWorkspace[tc.name] {
				t.Fatalf("fromWorkspace = %v", fromWS)
			}
			if tc.want == "" {
				if got != nil {
					t.Fatalf("want nothing to mirror, got %+v", got)
				}
				return
			}
			var want any
			if err := json.Unmarshal([]byte(tc.want), &want); err != nil {
				t.Fatal(err)
			}
			equal, err := ssa.JSONEqual(got, want)
			if err != nil {
				t.Fatal(err)
			}
			if !equal {
				raw, _ := json.Marshal(got)
				t.Fatalf("got %s\nwant %s", raw, tc.want)
			}
		})
	}
}

func refusedReason(r *refusedAtProvider) string {
	if r == nil {
		return ""
	}
	if !strings.Contains(r.message, "workspace ws:") {
		panic("the message does not name the workspace: " + r.message)
	}
	return r.reason
}

func TestMirroredPrefersOwnedAndFillsAtProviderFromMemory(t *testing.T) {
	at := runtime.RawExtension{Raw: []byte(`{"checksum":"x"}`)}
	last := cpac.WorkspaceStatus().WithReady(true).WithState("Available").WithAtProvider(at)
	owned := cpac.WorkspaceStatus().WithReady(false).WithState("Creating")

	if got := mirrored(nil, last); got != last {
		t.Fatalf("nothing owned: want the last status")
	}
	got := mirrored(owned, last)
	if *got.State != "Creating" || got.AtProvider == nil || string(got.AtProvider.Raw) != `{"checksum":"x"}` {
		t.Fatalf("want owned fields with the last atProvider, got %+v", got)
	}
	if owned.AtProvider != nil {
		t.Fatalf("mirrored modified the owned apply configuration")
	}
	if got := mirrored(owned, nil); got != owned {
		t.Fatalf("nothing last: want the owned status")
	}
	// An owned atProvider another writer's value was migrated into loses
	// to what this process sent.
	migrated := cpac.WorkspaceStatus().WithReady(true).WithState("Available").WithAtProvider(runtime.RawExtension{Raw: []byte(`{"checksum":"stale"}`)})
	if got := mirrored(migrated, last); string(got.AtProvider.Raw) != `{"checksum":"x"}` {
		t.Fatalf("want the last atProvider over a migrated one, got %s", got.AtProvider.Raw)
	}
}

func TestKnownOnlyFromObject(t *testing.T) {
	at := func(c string) *cpac.WorkspaceStatusApplyConfiguration {
		return cpac.WorkspaceStatus().WithReady(false).WithState("Unavailable").WithAtProvider(runtime.RawExtension{Raw: []byte(`{"checksum":"` + c + `"}`)})
	}
	cases := []struct {
		name                 string
		fromWorkspace        bool
		desired, owned, last *cpac.WorkspaceStatusApplyConfiguration
		want                 bool
	}{
		{"gap in a new process keeps the object's value", false, at("a"), at("a"), nil, true},
		{"the value comes from memory", false, at("a"), at("a"), at("a"), false},
		{"the value comes from the Workspace", true, at("b"), at("a"), nil, false},
		{"the Workspace holds the object's value", true, at("a"), at("a"), nil, false},
		{"nothing owned", false, at("a"), nil, nil, false},
		{"nothing to send", false, cpac.WorkspaceStatus().WithReady(false), at("a"), nil, false},
	}
	for _, tc := range cases {
		if got := knownOnlyFromObject(tc.fromWorkspace, tc.desired, tc.owned, tc.last); got != tc.want {
			t.Errorf("%s: got %v, want %v", tc.name, got, tc.want)
		}
	}
}
