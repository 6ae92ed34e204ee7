package workspacetemplateapply

import (
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"

	tfv1beta1 "github.com/capt-controlplane/capt-controlplane/apis/external/tf/v1beta1"
	infrastructurev1beta1 "github.com/capt-controlplane/capt-controlplane/apis/infrastructure/v1beta1"
)

// workspaceNameVariable is filled with the rendered Workspace's name.
const workspaceNameVariable = "WORKSPACE_NAME"

var placeholder = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)\}`)

// errUnknownVariables lists placeholders that no variable fills.
type errUnknownVariables []string

func (e errUnknownVariables) Error() string {
	return "the template uses variables the apply does not set: " + strings.Join(e, ", ")
}

// render renders the template's Workspace spec, as generic JSON, for a
// Workspace of the given kind: every ${var} replaced from the apply's
// variables and ${WORKSPACE_NAME}, and the connection Secret of the apply,
// else of the template. A cluster-scoped Workspace's providerConfigRef has
// no kind (the template's is for namespaced Workspaces); namespacedTree
// turns the spec into a namespaced one. The errors are the template's:
// errUnknownVariables, errNotLocal and errConflictingPolicies.
func render(tmpl *infrastructurev1beta1.WorkspaceTemplate, apply *infrastructurev1beta1.WorkspaceTemplateApply, namespaced bool) (map[string]any, error) {
	vars := map[string]string{workspaceNameVariable: apply.WorkspaceName()}
	for k, v := range apply.Spec.Variables {
		vars[k] = v
	}

	spec := tmpl.Spec.Template.Spec.DeepCopy()
	secret := apply.Spec.WriteConnectionSecretToRef
	if secret == nil {
		secret = tmpl.Spec.WriteConnectionSecretToRef
	}
	if secret != nil {
		namespace := secret.Namespace
		if namespace == "" {
			namespace = apply.Namespace
		}
		spec.WriteConnectionSecretToReference = &tfv1beta1.SecretReference{Name: secret.Name, Namespace: namespace}
	}

	raw, err := json.Marshal(spec)
	if err != nil {
		return nil, err
	}
	var tree map[string]any
	if err := json.Unmarshal(raw, &tree); err != nil {
		return nil, err
	}
	unknown := map[string]bool{}
	substitute(tree, vars, unknown)
	if len(unknown) > 0 {
		names := make([]string, 0, len(unknown))
		for name := range unknown {
			names = append(names, "${"+name+"}")
		}
		sort.Strings(names)
		return nil, errUnknownVariables(names)
	}
	if namespaced {
		return namespacedTree(tree, apply.Namespace)
	}
	if err := localRefs(tree, apply.Namespace, true); err != nil {
		return nil, err
	}
	if ref, ok := tree["providerConfigRef"].(map[string]any); ok {
		delete(ref, "kind")
	}
	return tree, nil
}

// decodeSpec decodes a rendered spec into the apply configuration of its
// kind's spec (tfac or tfmac WorkspaceSpecApplyConfiguration).
func decodeSpec[T any](tree map[string]any) (*T, error) {
	raw, err := json.Marshal(tree)
	if err != nil {
		return nil, err
	}
	out := new(T)
	if err := json.Unmarshal(raw, out); err != nil {
		return nil, fmt.Errorf("rendered spec does not fit a Workspace: %w", err)
	}
	return out, nil
}

// substitute replaces placeholders in every string of a JSON tree, and
// records the names it has no value for.
func substitute(v any, vars map[string]string, unknown map[string]bool) any {
	switch t := v.(type) {
	case string:
		return placeholder.ReplaceAllStringFunc(t, func(m string) string {
			name := placeholder.FindStringSubmatch(m)[1]
			value, ok := vars[name]
			if !ok {
				unknown[name] = true
				return m
			}
			return value
		})
	case map[string]any:
		for k, child := range t {
			t[k] = substitute(child, vars, unknown)
		}
	case []any:
		for i, child := range t {
			t[i] = substitute(child, vars, unknown)
		}
	}
	return v
}
