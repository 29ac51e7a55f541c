#!/usr/bin/env bash
# Times `ratelab plan` on a 24-hour CSV trace of N requests (default 1,000,000; daily shape,
# Poisson within it, log-normal sizes: bench/plan/gentrace.py) at scales 1,2,4,8 under three
# strategies, against 2,000 RPM / 2.5M ITPM / 500k OTPM (requests bind: 42% headroom at the
# busiest minute at x1, 15% over the limit at x2). Prints wall, user CPU and peak RSS per run, then the medians, and the plan's entries.
# Usage (from the repository root): bench/plan/run.sh [RUNS] [N] [SCALES]
set -euo pipefail
runs=${1:-3}
n=${2:-1000000}
scales=${3:-1,2,4,8}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/ratelab" .
python3 bench/plan/gentrace.py "$n" "$tmp/day.csv" 1
echo "load: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) CPUs"
printf '%-4s %8s %8s %8s\n' run wall_s user_s rss_mb
for i in $(seq "$runs"); do
  /usr/bin/time -f '%e %U %M' -o "$tmp/time" "$tmp/ratelab" plan --trace "$tmp/day.csv" \
    --rpm 2000 --itpm 2500000 --otpm 500000 --scale "$scales" \
    --strategies full-jitter,retry-after,header-pacing --out "$tmp/plan$i" --quiet
  read -r wall user rss <"$tmp/time"
  echo "$i $wall $user $((rss / 1024))" | tee -a "$tmp/rows" | awk '{printf "%-4s %8.2f %8.2f %8d\n", $1, $2, $3, $4}'
done
python3 - "$tmp/rows" "$tmp/plan1/summary.json" <<'PY'
import json, statistics, sys
rows = [list(map(float, l.split())) for l in open(sys.argv[1])]
med = [statistics.median(c) for c in zip(*rows)]
print("%-4s %8.2f %8.2f %8d" % ("med", med[1], med[2], med[3]))
for p in json.load(open(sys.argv[2]))["plan"]:
    print("x%-4g %-14s %9d req %10d att refused %5.1f%% p95 %7.1f s %s" % (p["scale"], p["strategy"], p["requests"],
          p["attempts"], 100 * p["refused_share"], p["added_delay_seconds"]["p95"], "stopped" if p.get("stopped") else ""))
PY
