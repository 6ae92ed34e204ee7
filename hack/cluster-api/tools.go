//go:build tools

// Package tools pins the Cluster API commands this module builds: the core
// manager and clusterctl, for the test/capi suite.
package tools

import (
	_ "sigs.k8s.io/cluster-api/cmd/clusterctl"
	_ "sigs.k8s.io/cluster-api/core"
)
