package upstream

import (
	"bytes"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

// A kubectl get -o yaml List, as docs/upgrade.md saves it: a template with
// what the API server and kubectl set, and another kind.
const saved = `apiVersion: v1
kind: List
items:
- apiVersion: controlplane.cluster.x-k8s.io/v1beta1
  kind: CaptControlPlaneTemplate
  metadata:
    name: eks
    namespace: team-a
    uid: 0a1b
    resourceVersion: "42"
    generation: 3
    creationTimestamp: "2026-01-01T00:00:00Z"
    managedFields: [{manager: kubectl, operation: Apply}]
    labels: {team: a}
    annotations:
      kubectl.kubernetes.io/last-applied-configuration: "{}"
      note: kept
  spec:
    template:
      spec:
        workspaceTemplateRef: {name: eks}
- apiVersion: v1
  kind: ConfigMap
  metadata: {name: other, namespace: team-a}
`

func TestTemplatesMigratesTheKindAndDropsWhatTheServerSet(t *testing.T) {
	var out bytes.Buffer
	if err := Templates(strings.NewReader(saved), &out); err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := yaml.Unmarshal(bytes.TrimPrefix(out.Bytes(), []byte("---\n")), &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"apiVersion": "controlplane.cluster.x-k8s.io/v1beta1",
		"kind":       "CAPTControlPlaneTemplate",
		"metadata": map[string]any{"name": "eks", "namespace": "team-a",
			"labels": map[string]any{"team": "a"}, "annotations": map[string]any{"note": "kept"}},
		"spec": map[string]any{"template": map[string]any{"spec": map[string]any{"workspaceTemplateRef": map[string]any{"name": "eks"}}}},
	}
	gotYAML, _ := yaml.Marshal(got)
	wantYAML, _ := yaml.Marshal(want)
	if !bytes.Equal(gotYAML, wantYAML) {
		t.Fatalf("got\n%s\nwant\n%s", gotYAML, wantYAML)
	}
	if strings.Count(out.String(), "---") != 1 {
		t.Fatalf("want the template alone, got\n%s", out.String())
	}
}

func TestTemplatesRefusesAnInputWithoutTemplates(t *testing.T) {
	if err := Templates(strings.NewReader("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n"), &bytes.Buffer{}); err == nil {
		t.Fatal("no error for an input without templates")
	}
}
