package integration

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	tfv1beta1 "github.com/capt-controlplane/capt-controlplane/apis/external/tf/v1beta1"
	tfmv1beta1 "github.com/capt-controlplane/capt-controlplane/apis/external/tfm/v1beta1"
	infrastructurev1beta1 "github.com/capt-controlplane/capt-controlplane/apis/infrastructure/v1beta1"
	"github.com/capt-controlplane/capt-controlplane/internal/grants"
	"github.com/capt-controlplane/capt-controlplane/test/testenv"
)

// TestModuleSourcesPolicy: config/policies, installed as an admin does and
// bound by namespace label, lets a restricted namespace's templates run
// only Remote modules from the allowed prefixes, with a message naming the
// policy; a namespace without the label is not affected.
func TestModuleSourcesPolicy(t *testing.T) {
	g := NewWithT(t)
	ctx := t.Context()
	g.Expect(client.IgnoreAlreadyExists(env.Client.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "capt-system"}}))).To(Succeed())
	testenv.KubectlApply(t, env, "-k", filepath.Join(testenv.RepoRoot(), "config", "policies"))
	restricted := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "policy-restricted",
		Labels: map[string]string{"capt.cluster.x-k8s.io/module-sources": "restricted"}}}
	open := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "policy-open"}}
	for _, ns := range []*corev1.Namespace{restricted, open} {
		g.Expect(env.Client.Create(ctx, ns)).To(Succeed())
	}
	template := func(ns, name string, source tfv1beta1.ModuleSource, module string) *infrastructurev1beta1.WorkspaceTemplate {
		return &infrastructurev1beta1.WorkspaceTemplate{
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
			Spec: infrastructurev1beta1.WorkspaceTemplateSpec{Template: infrastructurev1beta1.WorkspaceTemplateDefinition{Spec: tfv1beta1.WorkspaceSpec{
				ForProvider: tfv1beta1.WorkspaceParameters{Source: source, Module: module},
			}}},
		}
	}
	// The policy takes effect once the API server has compiled it.
	g.Eventually(func() bool {
		err := env.Client.Create(ctx, template(restricted.Name, "probe", tfv1beta1.ModuleSourceInline, `output "x" { value = 1 }`))
		return apierrors.IsInvalid(err) || apierrors.IsForbidden(err)
	}, 30*time.Second, 200*time.Millisecond).Should(BeTrue(), "the policy never took effect")

	const allowed = "git::https://github.com/terraform-aws-modules/terraform-aws-eks.git?ref=v20.31.0"
	for i, tc := range []struct {
		name, ns string
		source   tfv1beta1.ModuleSource
		module   string
		says     string // empty: admitted
		env      []tfv1beta1.EnvVar
		initArgs []string
	}{
		// What can lead a fetch outside the allowed prefixes.
		{name: "dot segments after an allowed prefix", ns: restricted.Name, source: tfv1beta1.ModuleSourceRemote,
			module: "git::https://github.com/terraform-aws-modules/../attacker/evil.git", says: "has a dot segment"},
		{name: "encoded dot segments after an allowed prefix", ns: restricted.Name, source: tfv1beta1.ModuleSourceRemote,
			module: "git::https://github.com/terraform-aws-modules/%2E%2E/attacker/evil.git", says: "has a dot segment"},
		{name: "a trailing dot segment", ns: restricted.Name, source: tfv1beta1.ModuleSourceRemote,
			module: "git::https://github.com/terraform-aws-modules/x/..", says: "has a dot segment"},
		{name: "git configuration in the environment", ns: restricted.Name, source: tfv1beta1.ModuleSourceRemote, module: allowed,
			env:  []tfv1beta1.EnvVar{{Name: "GIT_CONFIG_COUNT", Value: "1"}, {Name: "GIT_CONFIG_KEY_0", Value: "url.https://evil.example/.insteadOf"}},
			says: "environment variable GIT_CONFIG_COUNT can send a module fetch elsewhere"},
		{name: "a proxy in the environment", ns: restricted.Name, source: tfv1beta1.ModuleSourceRemote, module: allowed,
			env: []tfv1beta1.EnvVar{{Name: "https_proxy", Value: "http://evil.example:3128"}}, says: "environment variable https_proxy"},
		{name: "init from another module", ns: restricted.Name, source: tfv1beta1.ModuleSourceRemote, module: allowed,
			initArgs: []string{"-from-module=git::https://evil.example/x.git"}, says: "terraform init argument -from-module"},
		{name: "an ordinary environment and init argument", ns: restricted.Name, source: tfv1beta1.ModuleSourceRemote, module: allowed,
			env: []tfv1beta1.EnvVar{{Name: "TF_LOG", Value: "INFO"}}, initArgs: []string{"-upgrade"}},

		{name: "inline, restricted", ns: restricted.Name, source: tfv1beta1.ModuleSourceInline, module: `output "x" { value = 1 }`, says: "only Remote modules may run in namespace policy-restricted"},
		{name: "remote from elsewhere, restricted", ns: restricted.Name, source: tfv1beta1.ModuleSourceRemote, module: "git::https://example.com/mine.git", says: "is not from a source allowed in namespace policy-restricted"},
		{name: "remote from an allowed source, restricted", ns: restricted.Name, source: tfv1beta1.ModuleSourceRemote, module: allowed},
		{name: "inline, unrestricted namespace", ns: open.Name, source: tfv1beta1.ModuleSourceInline, module: `output "x" { value = 1 }`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			tmpl := template(tc.ns, fmt.Sprintf("t-%d", i), tc.source, tc.module)
			tmpl.Spec.Template.Spec.ForProvider.Env = tc.env
			tmpl.Spec.Template.Spec.ForProvider.InitArgs = tc.initArgs
			err := env.Client.Create(ctx, tmpl)
			if tc.says == "" {
				g.Expect(err).NotTo(HaveOccurred())
				return
			}
			g.Expect(err).To(HaveOccurred())
			g.Expect(err.Error()).To(And(ContainSubstring(tc.says), ContainSubstring("capt-module-sources")))
		})
	}

	t.Run("a namespaced Workspace created directly, restricted", func(t *testing.T) {
		g := NewWithT(t)
		ws := testenv.WorkspaceObject(testenv.WorkspaceKey(restricted.Name, "direct"), nil)
		if ws.GetNamespace() == "" {
			t.Skip("provider-terraform v0 serves no namespaced Workspace")
		}
		ws.(*tfmv1beta1.Workspace).Spec.ForProvider.Module = "git::https://example.com/mine.git"
		err := env.Client.Create(ctx, ws)
		g.Expect(err).To(HaveOccurred())
		g.Expect(err.Error()).To(ContainSubstring("is not from a source allowed in namespace policy-restricted"))
	})
}

// TestSingleTenantGrantsFile: config/grants/single-tenant.yaml, applied as
// an admin does, allows the configuration default, of both kinds, from
// any namespace, and nothing else.
func TestSingleTenantGrantsFile(t *testing.T) {
	g := NewWithT(t)
	testenv.KubectlApply(t, env, "-f", filepath.Join(testenv.RepoRoot(), "config", "grants", "single-tenant.yaml"))
	t.Cleanup(func() {
		_ = env.Client.DeleteAllOf(context.Background(), &infrastructurev1beta1.ProviderConfigGrant{})
	})
	view, err := grants.Read(t.Context(), env.Client, "any-namespace", time.Time{}, nil)
	g.Expect(err).NotTo(HaveOccurred())
	for _, kind := range []infrastructurev1beta1.GrantedKind{infrastructurev1beta1.GrantedProviderConfigKind, infrastructurev1beta1.GrantedClusterProviderConfigKind} {
		g.Expect(view.Allows(grants.Config{Kind: kind, Name: "default"}, nil)).To(Succeed(), "%s default", kind)
		g.Expect(view.Allows(grants.Config{Kind: kind, Name: "platform"}, nil)).NotTo(Succeed(), "%s platform", kind)
	}
}
