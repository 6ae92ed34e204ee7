#!/usr/bin/env bash
# Builds bin/manager variants for the benchmark's -variant rows: this tree
# with one of the mirror's shortcuts removed, and a manager of an earlier
# commit (BEFORE, default HEAD~). Each shortcut that stays has to beat its
# variant in the same run (docs/benchmarks.md).
#
#   hack/owner-variants.sh && go run ./test/bench -n 1000 -writers A-update,D-manager \
#     -variant E-before=bin/variants/before -variant F-no-echo-settle=bin/variants/no-echo-settle ...
set -euo pipefail
cd "$(dirname "$0")/.."
out=bin/variants
mkdir -p "$out"
before=${BEFORE:-HEAD~}

tmp=$(mktemp -d)
trap 'git worktree remove --force "$tmp/before" >/dev/null 2>&1 || true; rm -rf "$tmp"' EXIT
git worktree add --detach "$tmp/before" "$before" >/dev/null
(cd "$tmp/before" && go build -o "$OLDPWD/$out/before" ./cmd/manager)

# variant NAME FILE FROM TO: build with FROM replaced by TO in FILE.
variant() {
	local name=$1 file=$2 from=$3 to=$4
	cp "$file" "$tmp/saved"
	FROM=$from TO=$to python3 - "$file" <<'PY'
import os, sys
p = sys.argv[1]; s = open(p).read(); f = os.environ["FROM"]
if f not in s:
    sys.exit(f"{p}: {f!r} not found; update hack/owner-variants.sh")
open(p, "w").write(s.replace(f, os.environ["TO"], 1))
PY
	go build -o "$out/$name" ./cmd/manager || { cp "$tmp/saved" "$file"; exit 1; }
	cp "$tmp/saved" "$file"
}

# The echo of an apply is settled from the apply's response, unread.
variant no-echo-settle controllers/workspacestatus/reconciler.go \
	'r.settled.Store(req.NamespacedName, inputsOf(cp, apply, ws))' ''
# No settled inputs at all: every reconcile compares.
variant no-settled controllers/workspacestatus/reconciler.go \
	'if r.settled.Holds(req.NamespacedName, in) {' 'if false {'
# What FieldManager owns always comes from Extract.
variant extract-only controllers/workspacestatus/owned.go \
	'if owned, ok := ownedDirectly(cp, entry); ok {' 'if owned, ok := ownedDirectly(cp, entry); false && ok {'
ls -l "$out"
