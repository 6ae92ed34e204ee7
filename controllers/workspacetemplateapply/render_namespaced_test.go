package workspacetemplateapply

import (
	"reflect"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	tfv1beta1 "github.com/capt-controlplane/capt-controlplane/apis/external/tf/v1beta1"
	infrastructurev1beta1 "github.com/capt-controlplane/capt-controlplane/apis/infrastructure/v1beta1"
)

// The template's providerConfigRef.kind reaches a namespaced Workspace (the
// namespace's own ProviderConfig) and never a cluster-scoped one, whose
// providerConfigRef has no kind.
func TestProviderConfigKindByWorkspaceKind(t *testing.T) {
	tmpl := &infrastructurev1beta1.WorkspaceTemplate{Spec: infrastructurev1beta1.WorkspaceTemplateSpec{
		Template: infrastructurev1beta1.WorkspaceTemplateDefinition{Spec: tfv1beta1.WorkspaceSpec{
			ForProvider:             tfv1beta1.WorkspaceParameters{Module: "m", Source: tfv1beta1.ModuleSourceInline},
			ProviderConfigReference: &tfv1beta1.ProviderConfigReference{Name: "team", Kind: "ProviderConfig"},
		}},
	}}
	apply := &infrastructurev1beta1.WorkspaceTemplateApply{ObjectMeta: metav1.ObjectMeta{Name: "a-apply", Namespace: "team-a"}}
	for _, tc := range []struct {
		namespaced bool
		want       map[string]any
	}{
		{false, map[string]any{"name": "team"}},
		{true, map[string]any{"name": "team", "kind": "ProviderConfig"}},
	} {
		tree, err := render(tmpl, apply, tc.namespaced)
		if err != nil {
			t.Fatal(err)
		}
		if got := tree["providerConfigRef"]; !reflect.DeepEqual(got, tc.want) {
			t.Errorf("namespaced %t: providerConfigRef %v, want %v", tc.namespaced, got, tc.want)
		}
	}
}
