package workspacetemplateapply

import (
	"fmt"
	"strings"

	tfv1beta1 "github.com/capt-controlplane/capt-controlplane/apis/external/tf/v1beta1"
	tfmv1beta1 "github.com/capt-controlplane/capt-controlplane/apis/external/tfm/v1beta1"
)

// errNotLocal says that a template (or the apply) names a ConfigMap or
// Secret in another namespace than the apply's: a tenant's Terraform run
// must not read, nor its outputs land in, another namespace.
type errNotLocal []string

func (e errNotLocal) Error() string {
	return "a Workspace reads and writes ConfigMaps and Secrets of its control plane's namespace only; the template names " + strings.Join(e, ", ")
}

// errConflictingPolicies says that a template sets both deletionPolicy
// Orphan and managementPolicies, which a namespaced Workspace cannot hold.
type errConflictingPolicies struct{}

func (errConflictingPolicies) Error() string {
	return "the template sets both deletionPolicy Orphan and managementPolicies; a namespaced Workspace has only managementPolicies"
}

// localRefs checks that every ConfigMap and Secret reference of a
// rendered spec (varFiles, env, writeConnectionSecretToRef) is in
// namespace, the apply's, or names none; keep says whether a reference
// keeps its namespace (set to namespace when empty: a cluster-scoped
// Workspace's) or loses it (a namespaced Workspace's, which reads its own).
func localRefs(tree map[string]any, namespace string, keep bool) error {
	var foreign []string
	local := func(ref any, path string) {
		m, ok := ref.(map[string]any)
		if !ok {
			return
		}
		if ns, _ := m["namespace"].(string); ns != "" && ns != namespace {
			foreign = append(foreign, fmt.Sprintf("%s in namespace %s", path, ns))
		}
		if keep {
			m["namespace"] = namespace
		} else {
			delete(m, "namespace")
		}
	}
	if forProvider, ok := tree["forProvider"].(map[string]any); ok {
		for _, list := range []string{"varFiles", "env"} {
			items, _ := forProvider[list].([]any)
			for i, item := range items {
				m, _ := item.(map[string]any)
				for _, ref := range []string{"configMapKeyRef", "secretKeyRef"} {
					if v, ok := m[ref]; ok {
						local(v, fmt.Sprintf("spec.forProvider.%s[%d].%s", list, i, ref))
					}
				}
			}
		}
	}
	if v, ok := tree["writeConnectionSecretToRef"]; ok {
		local(v, "spec.writeConnectionSecretToRef")
	}
	if len(foreign) > 0 {
		return errNotLocal(foreign)
	}
	return nil
}

// namespacedTree turns a rendered Workspace spec (generic JSON, in the
// cluster-scoped kind's shape) into the spec of a namespaced Workspace in
// namespace: every ConfigMap and Secret reference loses its namespace
// (which must be namespace or empty), providerConfigRef names its kind (a
// ClusterProviderConfig unless the template says ProviderConfig) and drops
// the cluster-scoped reference policy, and deletionPolicy becomes the
// management policies Crossplane v2 uses instead. Whatever else the
// namespaced kind lacks is left for the served-schema check to refuse.
func namespacedTree(tree map[string]any, namespace string) (map[string]any, error) {
	if err := localRefs(tree, namespace, false); err != nil {
		return nil, err
	}

	ref, _ := tree["providerConfigRef"].(map[string]any)
	if ref == nil {
		ref = map[string]any{"name": "default"}
	}
	delete(ref, "policy")
	if kind, _ := ref["kind"].(string); kind == "" {
		ref["kind"] = tfmv1beta1.KindClusterProviderConfig
	}
	tree["providerConfigRef"] = ref

	switch policy, _ := tree["deletionPolicy"].(string); policy {
	case "Orphan":
		if _, set := tree["managementPolicies"]; set {
			return nil, errConflictingPolicies{}
		}
		var orphan []any
		for _, action := range tfv1beta1.ManagementPoliciesWithoutDelete() {
			orphan = append(orphan, string(action))
		}
		tree["managementPolicies"] = orphan
		fallthrough
	default:
		delete(tree, "deletionPolicy")
	}
	return tree, nil
}
