package kubeversion

import "testing"

func TestForms(t *testing.T) {
	for _, tc := range []struct{ in, semantic, eks string }{
		{"", "", ""},
		{"1.31", "v1.31.0", "1.31"},
		{"v1.31", "v1.31.0", "1.31"},
		{"v1.31.0", "v1.31.0", "1.31"},
		{"1.32.4", "v1.32.4", "1.32"},
		{"v1.33.0-rc.1", "v1.33.0-rc.1", "1.33"},
		{" v1.30.2+eks ", "v1.30.2+eks", "1.30"},
	} {
		if got := Semantic(tc.in); got != tc.semantic {
			t.Errorf("Semantic(%q) = %q, want %q", tc.in, got, tc.semantic)
		}
		if got := EKS(tc.in); got != tc.eks {
			t.Errorf("EKS(%q) = %q, want %q", tc.in, got, tc.eks)
		}
	}
}
