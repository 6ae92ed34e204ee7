#!/usr/bin/env bash
# Copies directory DIR of Go module MODULE@VERSION, from the Go module proxy,
# to OUT (replacing it). A no-op when OUT holds that version already.
#
#   hack/module-dir.sh MODULE VERSION DIR OUT
set -euo pipefail
module=$1 version=$2 dir=$3 out=$4
if [ -d "$out" ] && [ "$(cat "$out/.version" 2>/dev/null)" = "$module@$version" ]; then
	exit 0
fi
src=$(cd "$(mktemp -d)" && GOFLAGS=-mod=mod go mod download -json "$module@$version" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')
[ -n "$src" ] || { echo "module-dir: cannot download $module@$version" >&2; exit 1; }
rm -rf "$out"
mkdir -p "$(dirname "$out")"
cp -r "$src/$dir" "$out"
chmod -R u+w "$out"
echo "$module@$version" > "$out/.version"
