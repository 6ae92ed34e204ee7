// Package providerterraform says what the installed provider-terraform
// serves. Its two generations differ in the Workspace spec (v1 dropped
// publishConnectionDetailsTo and added remotePullPolicy and source Flux),
// and the API server prunes a field its CRD does not have: a rendered one
// would be lost, and every no-op check would then see a difference that no
// apply can remove. The manager reads the served schema from the API
// server's OpenAPI document (open to every authenticated client, no RBAC)
// and refuses a render that holds a field it lacks.
package providerterraform

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"sync"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/rest"
)

// Schema is the served OpenAPI v3 schema of a kind's spec. The zero Schema
// knows nothing and refuses nothing.
type Schema struct {
	spec map[string]any
}

// Known reports whether the schema was found.
func (s Schema) Known() bool { return s.spec != nil }

// Unserved lists the paths (spec.forProvider.x) of the fields in spec, as
// generic JSON, that the schema does not have; sorted.
func (s Schema) Unserved(spec any) []string {
	if s.spec == nil {
		return nil
	}
	var out []string
	walk(s.spec, spec, "spec", &out)
	sort.Strings(out)
	return out
}

func walk(node map[string]any, value any, path string, out *[]string) {
	if preserve, _ := node["x-kubernetes-preserve-unknown-fields"].(bool); preserve {
		return
	}
	switch v := value.(type) {
	case map[string]any:
		props, hasProps := node["properties"].(map[string]any)
		additional, hasAdditional := node["additionalProperties"].(map[string]any)
		if !hasProps && !hasAdditional {
			return // a $ref or an untyped node: nothing to say
		}
		for key, child := range v {
			childPath := path + "." + key
			if sub, ok := props[key].(map[string]any); ok {
				walk(sub, child, childPath, out)
			} else if hasAdditional {
				walk(additional, child, childPath, out)
			} else {
				*out = append(*out, childPath)
			}
		}
	case []any:
		if items, ok := node["items"].(map[string]any); ok {
			for i, child := range v {
				walk(items, child, fmt.Sprintf("%s[%d]", path, i), out)
			}
		}
	}
}

// SpecFromOpenAPI finds the spec schema of kind gvk in an OpenAPI v3
// document of its group version (what /openapi/v3/apis/GROUP/VERSION serves).
func SpecFromOpenAPI(doc []byte, gvk schema.GroupVersionKind) (Schema, error) {
	var d struct {
		Components struct {
			Schemas map[string]map[string]any `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(doc, &d); err != nil {
		return Schema{}, fmt.Errorf("reading the OpenAPI document of %s: %w", gvk.GroupVersion(), err)
	}
	for _, s := range d.Components.Schemas {
		gvks, _ := s["x-kubernetes-group-version-kind"].([]any)
		for _, g := range gvks {
			m, _ := g.(map[string]any)
			if m["group"] == gvk.Group && m["version"] == gvk.Version && m["kind"] == gvk.Kind {
				props, _ := s["properties"].(map[string]any)
				spec, ok := props["spec"].(map[string]any)
				if !ok {
					return Schema{}, fmt.Errorf("the OpenAPI schema of %s has no spec", gvk)
				}
				return Schema{spec: spec}, nil
			}
		}
	}
	return Schema{}, fmt.Errorf("%s is not served", gvk)
}

// Discoverer reads a kind's served spec schema from the API server once it
// is served, and keeps it for the life of the generation of controllers
// (internal/manager.Generations): a provider-terraform upgrade that changes
// its CRDs starts a new generation, with a new Discoverer. Until the schema
// is known each call asks again.
type Discoverer struct {
	Config *rest.Config
	GVK    schema.GroupVersionKind

	mu     sync.Mutex
	schema Schema
}

// Schema is the served schema, or an error saying why it is not known.
func (d *Discoverer) Schema() (Schema, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.schema.Known() {
		return d.schema, nil
	}
	dc, err := discovery.NewDiscoveryClientForConfig(d.Config)
	if err != nil {
		return Schema{}, err
	}
	paths, err := dc.OpenAPIV3().Paths()
	if err != nil {
		return Schema{}, fmt.Errorf("listing the API server's OpenAPI documents: %w", err)
	}
	gv, ok := paths["apis/"+d.GVK.Group+"/"+d.GVK.Version]
	if !ok {
		return Schema{}, fmt.Errorf("%s is not served", d.GVK.GroupVersion())
	}
	doc, err := gv.Schema("application/json")
	if err != nil {
		return Schema{}, fmt.Errorf("reading the OpenAPI document of %s: %w", d.GVK.GroupVersion(), err)
	}
	s, err := SpecFromOpenAPI(doc, d.GVK)
	if err != nil {
		return Schema{}, err
	}
	d.schema = s
	return s, nil
}

// UnservedMessage says which rendered fields the installed provider does
// not serve, for a condition.
func UnservedMessage(gvk schema.GroupVersionKind, paths []string) string {
	return fmt.Sprintf("the installed provider-terraform's %s has no %s; remove %s from the template (provider-terraform v1 has no publishConnectionDetailsTo, v0 no remotePullPolicy)",
		gvk.GroupKind(), strings.Join(paths, ", "), plural(len(paths), "it", "them"))
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// The Workspace kinds: provider-terraform v0's and v1's cluster-scoped
// one, and v1's namespaced one.
var (
	ClusterScopedWorkspace = schema.GroupKind{Group: "tf.upbound.io", Kind: "Workspace"}
	NamespacedWorkspace    = schema.GroupKind{Group: "tf.m.upbound.io", Kind: "Workspace"}
)

// NamespacedServed reports whether the API server serves provider-terraform
// v1's namespaced Workspace: then a new control plane's Workspace is of
// that kind, and the controllers watch it. Each generation of the
// controllers asks (internal/manager.Generations).
func NamespacedServed(mapper meta.RESTMapper) bool { return served(mapper, NamespacedWorkspace) }

// ClusterScopedServed reports whether the API server serves the
// cluster-scoped Workspace, which the controllers then watch.
func ClusterScopedServed(mapper meta.RESTMapper) bool { return served(mapper, ClusterScopedWorkspace) }

func served(mapper meta.RESTMapper, gk schema.GroupKind) bool {
	mappings, err := mapper.RESTMappings(gk, "v1beta1")
	return err == nil && len(mappings) > 0
}
