#!/usr/bin/env bash
# Builds a main package of a Go module that `go install` refuses (its go.mod
# has replace directives, or declares another module path than the one it
# is served under) inside a writable copy of the module's source from the
# Go module proxy, with the module's own go.mod and go.sum. A no-op when
# OUT was built from the same MODULE@VERSION.
#
#   hack/build-from-module.sh MODULE VERSION PACKAGE OUT
#
# PACKAGE is relative to the module root (./cmd/provider).
set -euo pipefail
module=$1 version=$2 pkg=$3 out=$4
stamp="$out.version"
if [ -x "$out" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$module@$version" ]; then
	exit 0
fi
echo "building $pkg of $module@$version into $out"
mkdir -p "$(dirname "$out")"
out=$(cd "$(dirname "$out")" && pwd)/$(basename "$out")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$(dirname "$0")/module-dir.sh" "$module" "$version" . "$work/src"
(cd "$work/src" && CGO_ENABLED=0 GOFLAGS=-mod=mod go build -trimpath -ldflags "-s -w" -o "$out" "$pkg")
echo "$module@$version" > "$stamp"
