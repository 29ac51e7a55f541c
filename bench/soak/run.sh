#!/usr/bin/env bash
# Soak of `ratelab mock` (loopback only): 5,000 keep-alive connections for 60 s against a token
# bucket of 100 + 100/s per key (20 keys, 1% 500s and 0.5% 529s configured), then a flood of
# 100,000 distinct keys against --max-accounts 10000 and against no bound. Takes about two
# minutes. Figures go to stdout and, as JSON lines, to $OUT (default bench/soak/figures.jsonl).
#
#   bench/soak/run.sh                      # from the module root
#   bench/soak/run.sh -conns 1000 -duration 20s -flood 20000   # a quicker look
set -euo pipefail
cd "$(dirname "$0")/../.."
# Each side of 5,000 connections needs 5,000 descriptors; the mock inherits this shell's limit.
hard=$(ulimit -Hn)
want=20000
if [ "$hard" != unlimited ] && [ "$hard" -lt "$want" ]; then want=$hard; fi
ulimit -n "$want"
bin=$(mktemp -d)/ratelab
go build -o "$bin" .
OUT=${OUT:-bench/soak/figures.jsonl}
case $OUT in /*) ;; *) OUT=$PWD/$OUT ;; esac
: > "$OUT"
log=$(dirname "$bin")/soak.log
set +e
go test -tags soak -count=1 -timeout 15m -v ./bench/soak/ -args -ratelab "$bin" -out "$OUT" "$@" > "$log" 2>&1
rc=$?
set -e
grep -vE '^\s+(soak|mock)_test.go:[0-9]+: (transport error|unexpected status)' "$log" | grep -vE '^=== (PAUSE|CONT)' || true
rm -rf "$(dirname "$bin")"
echo "figures: $OUT"
exit $rc
