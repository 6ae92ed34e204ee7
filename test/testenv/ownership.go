package testenv

import (
	"fmt"
	"slices"

	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/apiutil"
	"sigs.k8s.io/structured-merge-diff/v6/fieldpath"

	"github.com/capt-controlplane/capt-controlplane/internal/ownership"
	"github.com/capt-controlplane/capt-controlplane/internal/scheme"
	"github.com/capt-controlplane/capt-controlplane/internal/ssa"
)

var ownershipScheme = scheme.New()

// OwnershipViolations lists every field on which obj's managedFields and
// the ownership table (internal/ownership) disagree: a field one of our
// managers owns that the table gives to another manager or to none, and a
// field the table gives to one of our managers that another manager owns.
func OwnershipViolations(obj client.Object) ([]string, error) {
	gvk, err := apiutil.GVKForObject(obj, ownershipScheme)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range obj.GetManagedFields() {
		set, err := ssa.FieldSet(e)
		if err != nil {
			return nil, err
		}
		ours := slices.Contains(ownership.FieldManagers, e.Manager)
		set.Leaves().Iterate(func(p fieldpath.Path) {
			want := ownership.OwnerOf(gvk.Kind, obj.GetName(), e.Subresource, p)
			if (ours && want != e.Manager) || (!ours && want != "") {
				out = append(out, fmt.Sprintf("%s %s%s of %s is %s's (%s), not %q's as the table says",
					gvk.Kind, p, subresourceNote(e.Subresource), obj.GetName(), e.Manager, e.Operation, want))
			}
		})
	}
	return out, nil
}

func subresourceNote(subresource string) string {
	if subresource == "" {
		return ""
	}
	return " (" + subresource + ")"
}
