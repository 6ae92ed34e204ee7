package grants

import (
	"errors"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	tfv1beta1 "github.com/capt-controlplane/capt-controlplane/apis/external/tf/v1beta1"
	tfmv1beta1 "github.com/capt-controlplane/capt-controlplane/apis/external/tfm/v1beta1"
	infrastructurev1beta1 "github.com/capt-controlplane/capt-controlplane/apis/infrastructure/v1beta1"
)

var platform = Config{Kind: infrastructurev1beta1.GrantedProviderConfigKind, Name: "platform"}

func grant(cfg Config, allowed *infrastructurev1beta1.AllowedNamespaces) infrastructurev1beta1.ProviderConfigGrant {
	return infrastructurev1beta1.ProviderConfigGrant{
		ObjectMeta: metav1.ObjectMeta{Name: "g"},
		Spec: infrastructurev1beta1.ProviderConfigGrantSpec{
			ProviderConfigRef: infrastructurev1beta1.GrantedProviderConfig{Kind: cfg.Kind, Name: cfg.Name},
			AllowedNamespaces: allowed,
		},
	}
}

func TestAllows(t *testing.T) {
	installed := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	before := &tfv1beta1.Workspace{ObjectMeta: metav1.ObjectMeta{CreationTimestamp: metav1.NewTime(installed.Add(-time.Hour))},
		Spec: tfv1beta1.WorkspaceSpec{ProviderConfigReference: &tfv1beta1.ProviderConfigReference{Name: "platform"}}}
	after := before.DeepCopy()
	after.CreationTimestamp = metav1.NewTime(installed.Add(time.Second))
	otherConfig := before.DeepCopy()
	otherConfig.Spec.ProviderConfigReference.Name = "other"
	teamLabels := map[string]string{"team": "a"}

	for _, tc := range []struct {
		name     string
		grants   []infrastructurev1beta1.ProviderConfigGrant
		labels   map[string]string
		rendered tfv1beta1.AnyWorkspace
		allowed  bool
	}{
		{name: "no grant", allowed: false},
		{name: "allowedNamespaces unset", grants: []infrastructurev1beta1.ProviderConfigGrant{grant(platform, nil)}, allowed: false},
		{name: "empty object allows every namespace", grants: []infrastructurev1beta1.ProviderConfigGrant{grant(platform, &infrastructurev1beta1.AllowedNamespaces{})}, allowed: true},
		{name: "listed", grants: []infrastructurev1beta1.ProviderConfigGrant{grant(platform, &infrastructurev1beta1.AllowedNamespaces{List: []string{"team-b", "team-a"}})}, allowed: true},
		{name: "not listed", grants: []infrastructurev1beta1.ProviderConfigGrant{grant(platform, &infrastructurev1beta1.AllowedNamespaces{List: []string{"team-b"}})}, allowed: false},
		{name: "selected by label", labels: teamLabels,
			grants:  []infrastructurev1beta1.ProviderConfigGrant{grant(platform, &infrastructurev1beta1.AllowedNamespaces{Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"team": "a"}}})},
			allowed: true},
		{name: "label does not match", labels: map[string]string{"team": "b"},
			grants:  []infrastructurev1beta1.ProviderConfigGrant{grant(platform, &infrastructurev1beta1.AllowedNamespaces{Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"team": "a"}}})},
			allowed: false},
		{name: "empty selector selects none", labels: teamLabels,
			grants:  []infrastructurev1beta1.ProviderConfigGrant{grant(platform, &infrastructurev1beta1.AllowedNamespaces{Selector: &metav1.LabelSelector{}})},
			allowed: false},
		{name: "grant of another kind", grants: []infrastructurev1beta1.ProviderConfigGrant{grant(Config{Kind: infrastructurev1beta1.GrantedClusterProviderConfigKind, Name: "platform"}, &infrastructurev1beta1.AllowedNamespaces{})}, allowed: false},
		{name: "grant of another name", grants: []infrastructurev1beta1.ProviderConfigGrant{grant(Config{Kind: platform.Kind, Name: "other"}, &infrastructurev1beta1.AllowedNamespaces{})}, allowed: false},
		{name: "one of two grants allows", grants: []infrastructurev1beta1.ProviderConfigGrant{
			grant(platform, &infrastructurev1beta1.AllowedNamespaces{List: []string{"team-b"}}),
			grant(platform, &infrastructurev1beta1.AllowedNamespaces{List: []string{"team-a"}}),
		}, allowed: true},
		{name: "rendered before grants, no grant names it", rendered: before, allowed: true},
		{name: "rendered before grants, a grant names it without the namespace", rendered: before,
			grants: []infrastructurev1beta1.ProviderConfigGrant{grant(platform, &infrastructurev1beta1.AllowedNamespaces{List: []string{"team-b"}})}, allowed: false},
		{name: "rendered after grants", rendered: after, allowed: false},
		{name: "rendered before grants with another configuration", rendered: otherConfig, allowed: false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := &View{namespace: "team-a", labels: tc.labels, grants: tc.grants, installed: installed}
			err := v.Allows(platform, tc.rendered)
			if tc.allowed && err != nil {
				t.Fatalf("refused: %v", err)
			}
			if !tc.allowed {
				var notGranted *NotGrantedError
				if !errors.As(err, &notGranted) {
					t.Fatalf("allowed (err %v), want a NotGrantedError", err)
				}
				want := "ProviderConfig platform is not granted to namespace team-a: no ProviderConfigGrant names it with this namespace in spec.allowedNamespaces"
				if err.Error() != want {
					t.Fatalf("message %q, want %q", err.Error(), want)
				}
			}
		})
	}
}

func TestConfigOf(t *testing.T) {
	for _, tc := range []struct {
		name          string
		ws            tfv1beta1.AnyWorkspace
		want          Config
		clusterScoped bool
	}{
		{name: "cluster-scoped without a reference", ws: &tfv1beta1.Workspace{},
			want: Config{Kind: infrastructurev1beta1.GrantedProviderConfigKind, Name: "default"}, clusterScoped: true},
		{name: "cluster-scoped", ws: &tfv1beta1.Workspace{Spec: tfv1beta1.WorkspaceSpec{ProviderConfigReference: &tfv1beta1.ProviderConfigReference{Name: "p"}}},
			want: Config{Kind: infrastructurev1beta1.GrantedProviderConfigKind, Name: "p"}, clusterScoped: true},
		{name: "namespaced without a reference", ws: &tfmv1beta1.Workspace{},
			want: Config{Kind: infrastructurev1beta1.GrantedClusterProviderConfigKind, Name: "default"}, clusterScoped: true},
		{name: "namespaced naming a ClusterProviderConfig", ws: &tfmv1beta1.Workspace{Spec: tfmv1beta1.WorkspaceSpec{ProviderConfigReference: &tfmv1beta1.ProviderConfigReference{Kind: tfmv1beta1.KindClusterProviderConfig, Name: "p"}}},
			want: Config{Kind: infrastructurev1beta1.GrantedClusterProviderConfigKind, Name: "p"}, clusterScoped: true},
		{name: "namespaced naming its namespace's ProviderConfig", ws: &tfmv1beta1.Workspace{Spec: tfmv1beta1.WorkspaceSpec{ProviderConfigReference: &tfmv1beta1.ProviderConfigReference{Kind: tfmv1beta1.KindProviderConfig, Name: "p"}}},
			clusterScoped: false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, clusterScoped := ConfigOf(tc.ws)
			if got != tc.want || clusterScoped != tc.clusterScoped {
				t.Fatalf("ConfigOf = %v, %v; want %v, %v", got, clusterScoped, tc.want, tc.clusterScoped)
			}
		})
	}
}
