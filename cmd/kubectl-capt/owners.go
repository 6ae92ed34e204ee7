package main

import (
	"cmp"
	"fmt"
	"io"
	"sort"
	"text/tabwriter"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/structured-merge-diff/v6/fieldpath"

	"github.com/capt-controlplane/capt-controlplane/internal/ownership"
	"github.com/capt-controlplane/capt-controlplane/internal/ssa"
)

// row is one owned field, and the manager the ownership table gives it.
type row struct {
	path, manager, operation, subresource, time, expected string
}

// ownerRows lists the leaf fields of every managedFields entry of the
// object of kind and name, sorted by path and then manager. A depth above
// zero cuts paths to that many elements and merges the rows that become
// the same.
func ownerRows(kind, name string, entries []metav1.ManagedFieldsEntry, depth int) ([]row, error) {
	var rows []row
	seen := map[row]bool{}
	for _, e := range entries {
		set, err := ssa.FieldSet(e)
		if err != nil {
			return nil, err
		}
		when := ""
		if e.Time != nil {
			when = e.Time.UTC().Format(time.RFC3339)
		}
		subresource := e.Subresource
		if subresource == "" {
			subresource = "-"
		}
		set.Leaves().Iterate(func(p fieldpath.Path) {
			expected := cmp.Or(ownership.OwnerOf(kind, name, e.Subresource, p), "-")
			if depth > 0 && len(p) > depth {
				p = p[:depth]
			}
			r := row{path: p.String(), manager: e.Manager, operation: string(e.Operation), subresource: subresource, time: when, expected: expected}
			if !seen[r] {
				seen[r] = true
				rows = append(rows, r)
			}
		})
	}
	sort.SliceStable(rows, func(i, j int) bool {
		if rows[i].path != rows[j].path {
			return rows[i].path < rows[j].path
		}
		return rows[i].manager < rows[j].manager
	})
	return rows, nil
}

func printRows(out io.Writer, rows []row) error {
	// tabwriter buffers; Flush reports any write error.
	w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	_, _ = fmt.Fprintln(w, "PATH\tMANAGER\tOPERATION\tSUBRESOURCE\tTIME\tEXPECTED")
	for _, r := range rows {
		_, _ = fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\n", r.path, r.manager, r.operation, r.subresource, r.time, r.expected)
	}
	return w.Flush()
}
