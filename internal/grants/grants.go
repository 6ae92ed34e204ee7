// Package grants decides whether a control plane's namespace may use a
// cluster-scoped provider configuration of provider-terraform (a
// tf.upbound.io ProviderConfig or a tf.m.upbound.io ClusterProviderConfig):
// only where a ProviderConfigGrant, which only the platform team can write,
// allows it. The apply controller asks before it renders a Workspace, the
// kubeconfig controller before it signs a token.
package grants

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	tfv1beta1 "github.com/capt-controlplane/capt-controlplane/apis/external/tf/v1beta1"
	tfmv1beta1 "github.com/capt-controlplane/capt-controlplane/apis/external/tfm/v1beta1"
	infrastructurev1beta1 "github.com/capt-controlplane/capt-controlplane/apis/infrastructure/v1beta1"
	"github.com/capt-controlplane/capt-controlplane/internal/skeleton"
)

// defaultConfig is the provider configuration a Workspace without
// providerConfigRef uses.
const defaultConfig = "default"

var namespaceGVK = corev1.SchemeGroupVersion.WithKind("Namespace")

// Config is a cluster-scoped provider configuration.
type Config struct {
	Kind infrastructurev1beta1.GrantedKind
	Name string
}

func (c Config) String() string { return string(c.Kind) + " " + c.Name }

// ConfigOf is the provider configuration ws runs with, and whether it is a
// cluster-scoped one (which needs a grant): a cluster-scoped Workspace's
// ProviderConfig; a namespaced Workspace's ClusterProviderConfig (its
// ProviderConfig is of its own namespace and needs none).
func ConfigOf(ws tfv1beta1.AnyWorkspace) (Config, bool) {
	switch w := ws.(type) {
	case *tfv1beta1.Workspace:
		name := defaultConfig
		if ref := w.Spec.ProviderConfigReference; ref != nil && ref.Name != "" {
			name = ref.Name
		}
		return Config{Kind: infrastructurev1beta1.GrantedProviderConfigKind, Name: name}, true
	case *tfmv1beta1.Workspace:
		ref := tfmv1beta1.ProviderConfigReference{Kind: tfmv1beta1.KindClusterProviderConfig, Name: defaultConfig}
		if w.Spec.ProviderConfigReference != nil {
			ref = *w.Spec.ProviderConfigReference
		}
		if ref.Kind == tfmv1beta1.KindProviderConfig {
			return Config{}, false
		}
		return Config{Kind: infrastructurev1beta1.GrantedClusterProviderConfigKind, Name: ref.Name}, true
	}
	return Config{}, false
}

// NotGrantedError is the refusal: the same words whether the configuration
// exists or not.
type NotGrantedError struct {
	Config    Config
	Namespace string
}

func (e *NotGrantedError) Error() string {
	return fmt.Sprintf("%s is not granted to namespace %s: no ProviderConfigGrant names it with this namespace in spec.allowedNamespaces", e.Config, e.Namespace)
}

// View is what the grants say for one namespace: the grants and the
// namespace's labels, read once per reconcile.
type View struct {
	namespace string
	labels    map[string]string
	grants    []infrastructurev1beta1.ProviderConfigGrant
	installed time.Time
}

// Read reads every grant and the namespace's labels from c (the cache),
// and records their versions in in (nil: nothing recorded). installed is
// when grants were installed (InstalledAt).
func Read(ctx context.Context, c client.Reader, namespace string, installed time.Time, in *skeleton.Inputs) (*View, error) {
	list := &infrastructurev1beta1.ProviderConfigGrantList{}
	if err := c.List(ctx, list); err != nil {
		return nil, fmt.Errorf("listing ProviderConfigGrants: %w", err)
	}
	// Sorted: the recorded inputs are compared in order.
	slices.SortFunc(list.Items, func(a, b infrastructurev1beta1.ProviderConfigGrant) int { return strings.Compare(a.Name, b.Name) })
	v := &View{namespace: namespace, grants: list.Items, installed: installed}
	for i := range v.grants {
		if in != nil {
			in.Add("grant/"+v.grants[i].Name, &v.grants[i])
		}
	}
	// The namespace's labels: grants may select by them, and the admin's
	// LabelWorkspaceScope is one.
	ns := &metav1.PartialObjectMetadata{}
	ns.SetGroupVersionKind(namespaceGVK)
	switch err := c.Get(ctx, types.NamespacedName{Name: namespace}, ns); {
	case apierrors.IsNotFound(err):
		ns = nil
	case err != nil:
		return nil, fmt.Errorf("reading namespace %s for its labels: %w", namespace, err)
	default:
		v.labels = ns.Labels
	}
	if in != nil {
		in.Add("namespace", ns)
	}
	return v, nil
}

// ClusterScopeAllowed reports whether the namespace may render
// cluster-scoped Workspaces: unless its admin labelled it
// LabelWorkspaceScope=Namespaced.
func (v *View) ClusterScopeAllowed() bool {
	return v.labels[infrastructurev1beta1.LabelWorkspaceScope] != string(infrastructurev1beta1.WorkspaceScopeNamespaced)
}

// Allows returns nil when the namespace may use cfg, else a
// *NotGrantedError. rendered is the Workspace the manager already rendered
// for the control plane (nil when none): one created before grants were
// installed keeps the configuration it names until a grant names that
// configuration, so that an upgrade stops no running cluster's work.
func (v *View) Allows(cfg Config, rendered tfv1beta1.AnyWorkspace) error {
	named := false
	for _, g := range v.grants {
		if g.Spec.ProviderConfigRef.Kind != cfg.Kind || g.Spec.ProviderConfigRef.Name != cfg.Name {
			continue
		}
		named = true
		if allows(g.Spec.AllowedNamespaces, v.namespace, v.labels) {
			return nil
		}
	}
	if !named && v.fromBefore(cfg, rendered) {
		return nil
	}
	return &NotGrantedError{Config: cfg, Namespace: v.namespace}
}

// fromBefore reports whether rendered was created before grants were
// installed and runs with cfg.
func (v *View) fromBefore(cfg Config, rendered tfv1beta1.AnyWorkspace) bool {
	if rendered == nil || v.installed.IsZero() || !rendered.GetCreationTimestamp().Time.Before(v.installed) {
		return false
	}
	used, ok := ConfigOf(rendered)
	return ok && used == cfg
}

// allows is CAPA's shape: unset allows none, an empty object every
// namespace; else a namespace in the list or matched by the selector (an
// empty selector matches none).
func allows(a *infrastructurev1beta1.AllowedNamespaces, namespace string, nsLabels map[string]string) bool {
	switch {
	case a == nil:
		return false
	case len(a.List) == 0 && a.Selector == nil:
		return true
	case slices.Contains(a.List, namespace):
		return true
	case a.Selector == nil || len(a.Selector.MatchLabels) == 0 && len(a.Selector.MatchExpressions) == 0:
		return false
	}
	selector, err := metav1.LabelSelectorAsSelector(a.Selector)
	if err != nil {
		return false // an invalid selector selects nothing
	}
	return selector.Matches(labels.Set(nsLabels))
}

// InstalledAt is when grants were installed: the creation of their
// CustomResourceDefinition, read once at start (by name, from the API
// server).
func InstalledAt(ctx context.Context, c client.Reader) (time.Time, error) {
	crd := &metav1.PartialObjectMetadata{}
	crd.SetGroupVersionKind(apiextensionsv1.SchemeGroupVersion.WithKind("CustomResourceDefinition"))
	if err := c.Get(ctx, types.NamespacedName{Name: infrastructurev1beta1.ProviderConfigGrantCRD}, crd); err != nil {
		return time.Time{}, fmt.Errorf("reading CustomResourceDefinition %s (install the CRDs of this release): %w", infrastructurev1beta1.ProviderConfigGrantCRD, err)
	}
	return crd.CreationTimestamp.Time, nil
}
