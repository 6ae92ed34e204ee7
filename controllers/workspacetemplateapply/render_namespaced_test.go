package workspacetemplateapply

import (
	"reflect"
	"strings"
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

// Every ConfigMap and Secret a rendered Workspace reads or writes is in the
// apply's namespace, whatever the kind: a reference into another namespace
// is refused (nothing rendered), one without a namespace is the apply's
// (kept on a cluster-scoped Workspace, dropped on a namespaced one, which
// reads its own).
func TestReferencesStayInTheApplysNamespace(t *testing.T) {
	ref := func(ns string) *tfv1beta1.KeyReference {
		return &tfv1beta1.KeyReference{Namespace: ns, Name: "s", Key: "k"}
	}
	for _, tc := range []struct {
		name    string
		edit    func(*infrastructurev1beta1.WorkspaceTemplate, *infrastructurev1beta1.WorkspaceTemplateApply)
		refused string // the path named in the refusal; empty: rendered
	}{
		{"env from a Secret of another namespace", func(tmpl *infrastructurev1beta1.WorkspaceTemplate, _ *infrastructurev1beta1.WorkspaceTemplateApply) {
			tmpl.Spec.Template.Spec.ForProvider.Env = []tfv1beta1.EnvVar{{Name: "AWS", SecretKeyReference: ref("crossplane-system")}}
		}, "spec.forProvider.env[0].secretKeyRef in namespace crossplane-system"},
		{"varFiles from a Secret of another team", func(tmpl *infrastructurev1beta1.WorkspaceTemplate, _ *infrastructurev1beta1.WorkspaceTemplateApply) {
			tmpl.Spec.Template.Spec.ForProvider.VarFiles = []tfv1beta1.VarFile{{Source: "SecretKey", SecretKeyReference: ref("team-b")}}
		}, "spec.forProvider.varFiles[0].secretKeyRef in namespace team-b"},
		{"varFiles from a ConfigMap of another namespace", func(tmpl *infrastructurev1beta1.WorkspaceTemplate, _ *infrastructurev1beta1.WorkspaceTemplateApply) {
			tmpl.Spec.Template.Spec.ForProvider.VarFiles = []tfv1beta1.VarFile{{Source: "ConfigMapKey", ConfigMapKeyReference: ref("kube-system")}}
		}, "spec.forProvider.varFiles[0].configMapKeyRef in namespace kube-system"},
		{"the apply's connection Secret in kube-system", func(_ *infrastructurev1beta1.WorkspaceTemplate, apply *infrastructurev1beta1.WorkspaceTemplateApply) {
			apply.Spec.WriteConnectionSecretToRef = &infrastructurev1beta1.SecretReference{Name: "out", Namespace: "kube-system"}
		}, "spec.writeConnectionSecretToRef in namespace kube-system"},
		{"the template's connection Secret in another namespace", func(tmpl *infrastructurev1beta1.WorkspaceTemplate, _ *infrastructurev1beta1.WorkspaceTemplateApply) {
			tmpl.Spec.WriteConnectionSecretToRef = &infrastructurev1beta1.SecretReference{Name: "out", Namespace: "team-b"}
		}, "spec.writeConnectionSecretToRef in namespace team-b"},
		{"references in the apply's namespace, or in none", func(tmpl *infrastructurev1beta1.WorkspaceTemplate, _ *infrastructurev1beta1.WorkspaceTemplateApply) {
			tmpl.Spec.Template.Spec.ForProvider.Env = []tfv1beta1.EnvVar{{Name: "A", SecretKeyReference: ref("team-a")}, {Name: "B", ConfigMapKeyReference: ref("")}}
			tmpl.Spec.WriteConnectionSecretToRef = &infrastructurev1beta1.SecretReference{Name: "out"}
		}, ""},
	} {
		for _, namespaced := range []bool{false, true} {
			tmpl := &infrastructurev1beta1.WorkspaceTemplate{Spec: infrastructurev1beta1.WorkspaceTemplateSpec{
				Template: infrastructurev1beta1.WorkspaceTemplateDefinition{Spec: tfv1beta1.WorkspaceSpec{
					ForProvider: tfv1beta1.WorkspaceParameters{Module: "m", Source: tfv1beta1.ModuleSourceInline},
				}},
			}}
			apply := &infrastructurev1beta1.WorkspaceTemplateApply{ObjectMeta: metav1.ObjectMeta{Name: "a-apply", Namespace: "team-a"}}
			tc.edit(tmpl, apply)
			tree, err := render(tmpl, apply, namespaced)
			if tc.refused != "" {
				if err == nil || !isTemplateError(err) || !strings.Contains(err.Error(), tc.refused) {
					t.Errorf("%s (namespaced %t): err %v, want a refusal naming %q", tc.name, namespaced, err, tc.refused)
				}
				continue
			}
			if err != nil {
				t.Fatalf("%s (namespaced %t): %v", tc.name, namespaced, err)
			}
			env := tree["forProvider"].(map[string]any)["env"].([]any)
			for _, ref := range []any{env[0].(map[string]any)["secretKeyRef"], env[1].(map[string]any)["configMapKeyRef"], tree["writeConnectionSecretToRef"]} {
				ns, has := ref.(map[string]any)["namespace"]
				if namespaced && has || !namespaced && ns != "team-a" {
					t.Errorf("%s (namespaced %t): reference %v", tc.name, namespaced, ref)
				}
			}
		}
	}
}
