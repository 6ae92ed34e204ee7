#!/usr/bin/env bash
# Copies Cluster API's Cluster CRD from the cluster-api module source (through
# the Go module proxy, at the version hack/cluster-api/go.mod requires) into
# $1 (default bin/crds/cluster-api), for envtest. A no-op when the copy is
# there.
set -euo pipefail
hack_dir=$(cd "$(dirname "$0")" && pwd)
out=${1:-bin/crds/cluster-api}
mkdir -p "$out"
out=$(cd "$out" && pwd)
crd=cluster.x-k8s.io_clusters.yaml
cd "$hack_dir/cluster-api"
version=$(go list -m -f '{{.Version}}' sigs.k8s.io/cluster-api)
if [ -f "$out/$crd" ] && [ "$(cat "$out/.version" 2>/dev/null)" = "$version" ]; then
	exit 0
fi
go mod download sigs.k8s.io/cluster-api # go list -m names no Dir for a module not yet in the cache
src=$(go list -m -f '{{.Dir}}' sigs.k8s.io/cluster-api)
cp "$src/core/config/crd/bases/$crd" "$out/$crd"
chmod u+w "$out/$crd"
echo "$version" > "$out/.version"
