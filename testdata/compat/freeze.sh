#!/bin/bash
# freeze.sh BIN OUTDIR: write the compatibility dirs with BIN (main's binary), then drop charts
# (their SHA-256 are kept) and check the size.
set -e
BIN=$1; OUT=$2
rm -rf "$OUT"; mkdir -p "$OUT"
S=$(mktemp -d)
cat > $S/thresholds.yaml <<'Y'
name: thresholds
mock:
  limits: {requests: {per_minute: 120, burst: 10}}
phases:
  - probe: {rate: 4/s, duration: 20s, mode: sim}
  - compare: {strategies: [none, full-jitter, retry-after], clients: [5, 10], requests: 6, mode: sim}
expect:
  limits: {requests: {effective_per_minute: {within: 10%, of: 120}, algorithm: token-bucket}}
  rate_limited_share: "< 50%"
  strategies:
    all: {failed: "<= 100"}
    retry-after: {p95: "< 1m", amplification: {below: 3}}
budget: {max_requests: 1500}
seed: 7
Y
# 1. a simulated probe phase with stages (sim probe through a scenario), thresholds, sweep
$BIN run $S/thresholds.yaml --out $OUT/scenario-sim --quiet || true
# 2. compare in both modes against the mock (live and simulated), closed model
$BIN compare --target mock --rpm 120 --burst 5 --mode both --clients 4 --requests 5 --strategies none,full-jitter,header-pacing --seed 3 --out $OUT/compare-both --quiet
# 3. live discovery against the mock (fixed window, openai dialect), bounded
$BIN probe --target mock --api openai --rpm 600 --algorithm fixed-window --window 5s --find --max-duration 25s --seed 5 --out $OUT/find-live --quiet || true
# 4. an interrupted live probe: partial
$BIN probe --target mock --rpm 300 --stages 5s:10/s,20s:30/s --seed 9 --out $OUT/partial --quiet &
P=$!; sleep 4; kill -INT $P; wait $P || true
# 5. open-arrival compare with a token budget stop
$BIN compare --target mock --tpm 6000 --mode sim --rate 10/s --duration 10s --strategies exponential,retry-after --budget-tokens 2500 --seed 11 --out $OUT/open-budget --quiet || true
for d in $OUT/*/; do
  (cd $d && sha256sum *.png > charts.sha256 2>/dev/null || true; rm -f *.png)
done
du -sh $OUT; ls $OUT/*
