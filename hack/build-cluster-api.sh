#!/usr/bin/env bash
# Builds Cluster API's core manager and clusterctl from the Go module proxy
# into $1 (default bin/cluster-api), and copies beside them what test/capi
# installs from the same module source: the core CRDs and the manager's RBAC.
# The version is the one hack/cluster-api/go.mod requires. A no-op when that
# version is already there.
set -euo pipefail
hack_dir=$(cd "$(dirname "$0")" && pwd)
out=${1:-bin/cluster-api}
mkdir -p "$out"
out=$(cd "$out" && pwd)

cd "$hack_dir/cluster-api"
version=$(go list -m -f '{{.Version}}' sigs.k8s.io/cluster-api)
if [ -x "$out/manager" ] && [ -x "$out/clusterctl" ] && [ "$(cat "$out/.version" 2>/dev/null)" = "$version" ]; then
	exit 0
fi
echo "building Cluster API $version (first build takes about 3 minutes on 2 cores)"
go mod download sigs.k8s.io/cluster-api # go list -m names no Dir for a module not yet in the cache
src=$(go list -m -f '{{.Dir}}' sigs.k8s.io/cluster-api)
ldflags="-s -w -X sigs.k8s.io/cluster-api/version.gitVersion=$version -X sigs.k8s.io/cluster-api/version.gitTreeState=clean"
CGO_ENABLED=0 go build -trimpath -ldflags "$ldflags" -o "$out/manager" sigs.k8s.io/cluster-api/core
CGO_ENABLED=0 go build -trimpath -ldflags "$ldflags" -o "$out/clusterctl" sigs.k8s.io/cluster-api/cmd/clusterctl
rm -rf "$out/crds" "$out/rbac"
mkdir -p "$out/crds" "$out/rbac"
cp "$src"/core/config/crd/bases/*.yaml "$out/crds/"
cp "$src"/core/config/rbac/*.yaml "$src"/core/config/default/manager_role_aggregation_patch.yaml "$out/rbac/"
chmod -R u+w "$out/crds" "$out/rbac"
echo "$version" > "$out/.version"
