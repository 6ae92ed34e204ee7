package v1beta1

import (
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"
)

func TestEffectiveWorkspaceTemplateApplyNameIsALabelValueForEveryName(t *testing.T) {
	named := func(name string) *CAPTControlPlane {
		return &CAPTControlPlane{ObjectMeta: metav1.ObjectMeta{Name: name}}
	}
	if got := named("demo").EffectiveWorkspaceTemplateApplyName(); got != "demo-eks-controlplane-apply" {
		t.Errorf("a short name: %q, want upstream CAPT's name", got)
	}
	forty := strings.Repeat("a", 40)
	if got := named(forty).EffectiveWorkspaceTemplateApplyName(); got != forty+"-eks-controlplane-apply" {
		t.Errorf("a 40-character name: %q, want it unhashed", got)
	}
	seen := map[string]string{}
	for n := 41; n <= 63; n++ {
		for _, name := range []string{strings.Repeat("b", n), strings.Repeat("c", 30) + strings.Repeat("-", n-31) + "d"} {
			got := named(name).EffectiveWorkspaceTemplateApplyName()
			if errs := validation.IsValidLabelValue(got); len(errs) > 0 {
				t.Errorf("%d characters: %q is not a label value: %v", n, got, errs)
			}
			if errs := validation.IsDNS1123Subdomain(got); len(errs) > 0 {
				t.Errorf("%d characters: %q is not an object name: %v", n, got, errs)
			}
			if got != named(name).EffectiveWorkspaceTemplateApplyName() {
				t.Errorf("%q: not the same twice", name)
			}
			if other, taken := seen[got]; taken {
				t.Errorf("%q and %q get the same name %q", name, other, got)
			}
			seen[got] = name
		}
	}
}
