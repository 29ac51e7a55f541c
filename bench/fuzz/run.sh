#!/usr/bin/env bash
# Runs every fuzz target in the module for FUZZTIME each (default 60s, one target at a time) and
# prints a table: package, target, new corpus entries, execs, result. A finding is written by
# go test into the package's testdata/fuzz/<Target>/ (it then joins the seed corpus that plain
# `go test` replays); the script exits non-zero when any target failed.
#
#   bench/fuzz/run.sh                     # all 27 targets, ~30 minutes
#   FUZZTIME=10s bench/fuzz/run.sh        # a quick pass
#   bench/fuzz/run.sh ./mockserver/       # the targets of some packages only
set -uo pipefail
cd "$(dirname "$0")/../.."
FUZZTIME=${FUZZTIME:-60s}
pkgs=("$@")
[ ${#pkgs[@]} -eq 0 ] && pkgs=(./...)
log=$(mktemp)
failed=0
printf '%-24s %-26s %-8s %s\n' package target time result
while read -r file name; do
	pkg=./$(dirname "$file")
	[ "$pkg" = ./. ] && pkg=.
	go test -run '^$' -fuzz "^${name}\$" -fuzztime "$FUZZTIME" "$pkg" > "$log" 2>&1
	rc=$?
	execs=$(grep -oE 'execs: [0-9]+' "$log" | tail -1 | grep -oE '[0-9]+' || echo '?')
	if [ $rc -eq 0 ]; then
		result="ok, ${execs} execs"
	else
		result="FAIL: $(grep -m1 -E 'Failing input|panic|---' "$log" | head -c 120)"
		failed=1
	fi
	printf '%-24s %-26s %-8s %s\n' "$pkg" "$name" "$FUZZTIME" "$result"
	[ $rc -ne 0 ] && sed -n '1,40p' "$log"
done < <(for p in "${pkgs[@]}"; do
	go list -f '{{.Dir}}' "$p"
done | while read -r dir; do
	rel=${dir#"$PWD"/}
	[ "$rel" = "$PWD" ] && rel=.
	grep -hoE '^func (Fuzz[A-Za-z0-9_]+)\(' "$dir"/*_test.go 2>/dev/null | sed -E 's/^func (Fuzz[A-Za-z0-9_]+)\(/\1/' | while read -r f; do
		echo "$rel/x $f"
	done
done)
rm -f "$log"
exit $failed
