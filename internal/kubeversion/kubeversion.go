// Package kubeversion spells a control plane's Kubernetes version the two
// ways its readers want it: Cluster API's semantic version ("v1.31.0", what
// a ClusterClass topology sends and status.versions reports) and EKS's
// "major.minor" ("1.31", what the EKS API and its Terraform modules take).
// spec.version may be either.
package kubeversion

import (
	"strconv"
	"strings"
)

// Semantic is v as Cluster API's contract spells it: "1.31" is "v1.31.0";
// "" stays "".
func Semantic(v string) string {
	core, suffix := split(v)
	if core == "" {
		return ""
	}
	parts := strings.Split(core, ".")
	for len(parts) < 3 {
		parts = append(parts, "0")
	}
	return "v" + strings.Join(parts, ".") + suffix
}

// EKS is v as EKS takes it, major.minor: "v1.31.0" and "1.31" are "1.31";
// "" stays "".
func EKS(v string) string {
	core, _ := split(v)
	parts := strings.SplitN(core, ".", 3)
	if len(parts) > 2 {
		parts = parts[:2]
	}
	return strings.Join(parts, ".")
}

// split is v without its "v" into the dotted numbers and what follows
// them (a pre-release or build suffix).
func split(v string) (core, suffix string) {
	v = strings.TrimPrefix(strings.TrimSpace(v), "v")
	if i := strings.IndexAny(v, "-+"); i >= 0 {
		return v[:i], v[i:]
	}
	return v, ""
}

// Minor is v's major and minor version; false when v has no numbers.
func Minor(v string) (major, minor int, ok bool) {
	parts := strings.SplitN(EKS(v), ".", 2)
	if len(parts) != 2 {
		return 0, 0, false
	}
	major, errMajor := strconv.Atoi(parts[0])
	minor, errMinor := strconv.Atoi(parts[1])
	return major, minor, errMajor == nil && errMinor == nil
}

// SpelledAs is v spelled the way like is: Cluster API's form when like
// starts with "v", else EKS's.
func SpelledAs(v, like string) string {
	if strings.HasPrefix(strings.TrimSpace(like), "v") {
		return Semantic(v)
	}
	return EKS(v)
}
