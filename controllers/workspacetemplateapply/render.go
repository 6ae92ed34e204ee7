package workspacetemplateapply

import (
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"

	tfv1beta1 "github.com/capt-controlplane/capt-controlplane/apis/external/tf/v1beta1"
	infrastructurev1beta1 "github.com/capt-controlplane/capt-controlplane/apis/infrastructure/v1beta1"
	tfac "github.com/capt-controlplane/capt-controlplane/applyconfig/tf/tf/v1beta1"
)

// workspaceNameVariable is filled with the rendered Workspace's name.
const workspaceNameVariable = "WORKSPACE_NAME"

var placeholder = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)\}`)

// errUnknownVariables lists placeholders that no variable fills.
type errUnknownVariables []string

func (e errUnknownVariables) Error() string {
	return "the template uses variables the apply does not set: " + strings.Join(e, ", ")
}

// renderSpec renders the template's Workspace spec with every ${var}
// replaced from the apply's variables and ${WORKSPACE_NAME}. The connection
// Secret of the apply, else of the template, is rendered too.
func renderSpec(tmpl *infrastructurev1beta1.WorkspaceTemplate, apply *infrastructurev1beta1.WorkspaceTemplateApply) (*tfac.WorkspaceSpecApplyConfiguration, error) {
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
	var tree any
	if err := json.Unmarshal(raw, &tree); err != nil {
		return nil, err
	}
	unknown := map[string]bool{}
	tree = substitute(tree, vars, unknown)
	if len(unknown) > 0 {
		names := make([]string, 0, len(unknown))
		for name := range unknown {
			names = append(names, "${"+name+"}")
		}
		sort.Strings(names)
		return nil, errUnknownVariables(names)
	}
	// A cluster-scoped Workspace's providerConfigRef has no kind: the
	// template's is for namespaced Workspaces.
	if spec, ok := tree.(map[string]any); ok {
		if ref, ok := spec["providerConfigRef"].(map[string]any); ok {
			delete(ref, "kind")
		}
	}
	if raw, err = json.Marshal(tree); err != nil {
		return nil, err
	}
	out := &tfac.WorkspaceSpecApplyConfiguration{}
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
