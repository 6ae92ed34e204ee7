package upstream

import (
	"errors"
	"fmt"
	"io"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"
)

// Upstream CAPT's spelling of the template kind, and this project's.
const (
	TemplateKind     = "CaptControlPlaneTemplate"
	CAPTTemplateKind = "CAPTControlPlaneTemplate"
)

// Templates copies every CaptControlPlaneTemplate in in (a List or a
// stream of documents, as kubectl get -o yaml saves them) to out as a
// CAPTControlPlaneTemplate manifest: name, namespace, labels, annotations
// and spec, nothing the API server set. Cluster API's topology needs that
// kind, and a CRD's kind cannot change in place (docs/upgrade.md).
func Templates(in io.Reader, out io.Writer) error {
	decoder := utilyaml.NewYAMLOrJSONDecoder(in, 4096)
	n := 0
	for {
		doc := &unstructured.Unstructured{}
		err := decoder.Decode(&doc.Object)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("reading the saved templates: %w", err)
		}
		objects := []unstructured.Unstructured{*doc}
		if doc.IsList() {
			list, err := doc.ToList()
			if err != nil {
				return err
			}
			objects = list.Items
		}
		for _, obj := range objects {
			if obj.GetKind() != TemplateKind {
				continue
			}
			migrated, err := migratedTemplate(obj)
			if err != nil {
				return err
			}
			if _, err := fmt.Fprintf(out, "---\n%s", migrated); err != nil {
				return err
			}
			n++
		}
	}
	if n == 0 {
		return fmt.Errorf("no %s in the input", TemplateKind)
	}
	return nil
}

// migratedTemplate is obj as a CAPTControlPlaneTemplate manifest.
func migratedTemplate(obj unstructured.Unstructured) ([]byte, error) {
	m := &unstructured.Unstructured{Object: map[string]any{"spec": obj.Object["spec"]}}
	m.SetAPIVersion(obj.GetAPIVersion())
	m.SetKind(CAPTTemplateKind)
	m.SetName(obj.GetName())
	m.SetNamespace(obj.GetNamespace())
	m.SetLabels(obj.GetLabels())
	annotations := obj.GetAnnotations()
	delete(annotations, "kubectl.kubernetes.io/last-applied-configuration")
	m.SetAnnotations(annotations)
	return yaml.Marshal(m.Object)
}
