package workspacetemplateapply

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	utilyaml "k8s.io/apimachinery/pkg/util/yaml"

	infrastructurev1beta1 "github.com/capt-controlplane/capt-controlplane/apis/infrastructure/v1beta1"
)

// compatObjects reads the upstream-compatibility manifests: every field
// upstream CAPT's and provider-terraform's schemas define.
func compatObjects(t *testing.T) map[string]map[string]any {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "..", "test", "testdata", "upstream-compat.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]map[string]any{}
	decoder := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(raw), 4096)
	for {
		obj := map[string]any{}
		if err := decoder.Decode(&obj); err != nil {
			break
		}
		if len(obj) > 0 {
			out[obj["metadata"].(map[string]any)["name"].(string)] = obj
		}
	}
	return out
}

func into(t *testing.T, from any, to any) {
	t.Helper()
	raw, err := json.Marshal(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, to); err != nil {
		t.Fatal(err)
	}
}

// TestEveryForProviderFieldIsRendered: every field a template may carry
// reaches the Workspace, placeholders filled, and the apply's connection
// Secret in place of the template's.
func TestEveryForProviderFieldIsRendered(t *testing.T) {
	objects := compatObjects(t)
	tmpl := &infrastructurev1beta1.WorkspaceTemplate{}
	into(t, objects["compat-every-field"], tmpl)
	apply := &infrastructurev1beta1.WorkspaceTemplateApply{}
	into(t, objects["compat-apply"], apply)

	rendered, err := render(tmpl, apply, false)
	if err != nil {
		t.Fatal(err)
	}
	var got any
	into(t, rendered, &got)

	want := objects["compat-every-field"]["spec"].(map[string]any)["template"].(map[string]any)["spec"].(map[string]any)
	want["forProvider"].(map[string]any)["vars"] = []any{map[string]any{"key": "cluster_name", "value": "compat"}}
	want["writeConnectionSecretToRef"] = map[string]any{"name": "compat-outputs", "namespace": "compat"}
	var wantJSON any
	into(t, want, &wantJSON)
	if !reflect.DeepEqual(got, wantJSON) {
		gotRaw, _ := json.MarshalIndent(got, "", " ")
		wantRaw, _ := json.MarshalIndent(wantJSON, "", " ")
		t.Fatalf("rendered Workspace spec:\n%s\nwant:\n%s", gotRaw, wantRaw)
	}
}
