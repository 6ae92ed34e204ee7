package upgrade

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	"github.com/capt-controlplane/capt-controlplane/test/testenv"
)

// fixture reads one object, or the item named name of a List, from
// test/testdata/upstream-capt-objects, with the UIDs of the original
// cluster replaced by those of this one (uids maps old to new), in its
// references and in its managedFields keys.
func fixture(t *testing.T, file, name string, uids map[string]string) *unstructured.Unstructured {
	t.Helper()
	g := NewWithT(t)
	raw, err := os.ReadFile(filepath.Join(testenv.RepoRoot(), "test", "testdata", "upstream-capt-objects", file))
	g.Expect(err).NotTo(HaveOccurred())
	text := string(raw)
	for old, cur := range uids {
		text = strings.ReplaceAll(text, old, cur)
	}
	obj := &unstructured.Unstructured{}
	g.Expect(yaml.Unmarshal([]byte(text), &obj.Object)).To(Succeed())
	if obj.IsList() {
		list, err := obj.ToList()
		g.Expect(err).NotTo(HaveOccurred())
		for i := range list.Items {
			if list.Items[i].GetName() == name {
				return &list.Items[i]
			}
		}
		t.Fatalf("%s has no %s", file, name)
	}
	return obj
}

// createAsLeft creates obj as upstream's manager left it: spec and
// metadata, then the status through its subresource, then exactly the
// fixture's managedFields (a request that changes nothing but managedFields
// sets them as sent). It returns the object's new UID.
func createAsLeft(t *testing.T, c client.Client, obj *unstructured.Unstructured) types.UID {
	t.Helper()
	g := NewWithT(t)
	managed := obj.GetManagedFields()
	status, hasStatus := obj.Object["status"]
	live := obj.DeepCopy()
	for _, f := range []string{"uid", "resourceVersion", "creationTimestamp", "generation", "managedFields"} {
		unstructured.RemoveNestedField(live.Object, "metadata", f)
	}
	delete(live.Object, "status")
	g.Expect(c.Create(t.Context(), live, client.FieldOwner("manager"))).To(Succeed())
	if hasStatus {
		live.Object["status"] = status
		g.Expect(c.Status().Update(t.Context(), live, client.FieldOwner("manager"))).To(Succeed())
	}
	patch, err := json.Marshal([]map[string]any{{"op": "replace", "path": "/metadata/managedFields", "value": managed}})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(c.Patch(t.Context(), live, client.RawPatch(types.JSONPatchType, patch))).To(Succeed())
	g.Expect(testenv.Summarize(live)).To(Equal(testenv.SummarizeEntries(managed)), "the fixture's managedFields, as sent")
	return live.GetUID()
}
