package manager

import (
	"flag"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestOperationsListsEveryFlagAndMetric: docs/operations.md, the one place
// flags and metrics are listed, names every flag BindFlags defines and
// every capt_ metric the code registers.
func TestOperationsListsEveryFlagAndMetric(t *testing.T) {
	root := filepath.Join("..", "..")
	doc, err := os.ReadFile(filepath.Join(root, "docs", "operations.md"))
	if err != nil {
		t.Fatal(err)
	}
	fset := flag.NewFlagSet("manager", flag.ContinueOnError)
	var o Options
	o.BindFlags(fset)
	flags := 0
	fset.VisitAll(func(f *flag.Flag) {
		flags++
		if !strings.Contains(string(doc), "`--"+f.Name+"`") {
			t.Errorf("docs/operations.md does not list --%s", f.Name)
		}
	})

	metricName := regexp.MustCompile(`Name:\s*"(capt_[a-z_]+)"`)
	metrics := 0
	for _, dir := range []string{"controllers", "internal", "cmd"} {
		err := filepath.WalkDir(filepath.Join(root, dir), func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
				return err
			}
			src, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			for _, m := range metricName.FindAllStringSubmatch(string(src), -1) {
				metrics++
				if !strings.Contains(string(doc), "`"+m[1]+"`") {
					t.Errorf("docs/operations.md does not list the metric %s (%s)", m[1], path)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if flags < 20 || metrics < 5 {
		t.Fatalf("found %d flags and %d metrics: the scan no longer sees them", flags, metrics)
	}
}
