#!/usr/bin/env bash
# Copies Cluster API's Cluster CRD from the cluster-api module source (through
# the Go module proxy) into $1 (default bin/crds/cluster-api), for envtest.
# A no-op when the copy is there.
set -euo pipefail
CAPI_VERSION=v1.14.2
out=${1:-bin/crds/cluster-api}
crd=cluster.x-k8s.io_clusters.yaml
if [ -f "$out/$crd" ] && grep -q "$CAPI_VERSION" "$out/.version" 2>/dev/null; then
	exit 0
fi
dir=$(go mod download -json "sigs.k8s.io/cluster-api@$CAPI_VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
mkdir -p "$out"
cp "$dir/core/config/crd/bases/$crd" "$out/$crd"
chmod u+w "$out/$crd"
echo "$CAPI_VERSION" > "$out/.version"
