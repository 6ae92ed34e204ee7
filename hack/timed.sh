#!/usr/bin/env bash
# timed.sh NAME -- COMMAND...: runs COMMAND and appends "NAME<TAB>seconds<TAB>exit
# status" to $SUITE_TIMES, so that make test can say what each suite cost.
set -uo pipefail
name=$1
shift
[ "${1:-}" = "--" ] && shift
start=$(date +%s)
"$@"
rc=$?
printf '%s\t%d\t%d\n' "$name" "$(( $(date +%s) - start ))" "$rc" >> "${SUITE_TIMES:?}"
exit "$rc"
