// Package clusterapi says whether the API server serves the Cluster API
// this manager needs: the v1beta2 Cluster, whose spec.paused the
// controllers honour.
package clusterapi

import (
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/api/meta"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
)

// Support is what the manager found of Cluster API's Cluster kind.
type Support struct {
	// Installed: the cluster.x-k8s.io Cluster kind is served in some version.
	Installed bool
	// Served: it is served as v1beta2, the version this manager reads.
	Served bool
	// Versions are the versions it is served in.
	Versions []string
}

// Discover asks the REST mapper which versions of Cluster are served.
func Discover(mapper meta.RESTMapper) Support {
	gk := clusterv1.GroupVersion.WithKind("Cluster").GroupKind()
	mappings, err := mapper.RESTMappings(gk)
	if err != nil || len(mappings) == 0 {
		return Support{}
	}
	s := Support{Installed: true}
	for _, m := range mappings {
		s.Versions = append(s.Versions, m.GroupVersionKind.Version)
		if m.GroupVersionKind.Version == clusterv1.GroupVersion.Version {
			s.Served = true
		}
	}
	return s
}

// Unsupported is a Cluster API that is installed but does not serve the
// v1beta2 Cluster: the manager cannot see Cluster.spec.paused, so it must
// not act on control planes.
func (s Support) Unsupported() bool { return s.Installed && !s.Served }

// HeldBy is why an unsupported Cluster API holds every control plane
// (skeleton.PauseSources.HeldBy); "" when it does not.
func (s Support) HeldBy() string {
	if !s.Unsupported() {
		return ""
	}
	return s.Message()
}

// Message explains an unsupported Cluster API to a user.
func (s Support) Message() string {
	return fmt.Sprintf("Cluster API serves Cluster only as %s; this manager needs %s (Cluster API v1.11 or newer, contract v1beta2) to honour Cluster.spec.paused, and takes no action until Cluster API is upgraded",
		strings.Join(s.Versions, ", "), clusterv1.GroupVersion.Version)
}
