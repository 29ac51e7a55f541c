#!/usr/bin/env bash
# Times the sim-speed scenario end to end: `ratelab compare --mode sim` with 1,000 clients × 240
# requests against a 4,000 RPM token bucket, attempts.jsonl and the whole report included.
# Usage (from the repository root): bench/sim/run.sh [RUNS] [STRATEGY]
#   RUNS      how many runs (default 5); each prints its figures, then the medians follow
#   STRATEGY  default full-jitter (the contract check's); e.g. 'full-jitter(max-attempts=20)'
set -euo pipefail
runs=${1:-5}
strategy=${2:-full-jitter}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/ratelab" .
printf '%-4s %8s %8s %8s %10s %10s %10s\n' run wall_s user_s sim_s attempts makespan_s report_s
for i in $(seq "$runs"); do
  out="$tmp/run$i"
  /usr/bin/time -f '%e %U' -o "$tmp/time" "$tmp/ratelab" compare --mode sim --target mock \
    --itpm 1000000000 --otpm 1000000000 --rpm 4000 --algorithm token-bucket --dialect anthropic \
    --clients 1000 --requests 240 --strategies "$strategy" --seed 1 --out "$out" \
    >/dev/null 2>"$tmp/err"
  read -r wall user <"$tmp/time"
  # the segment line: "… 3538.4 s virtual in 4.23 s"
  sim=$(sed -n 's/.* virtual in \([0-9.]*\) s.*/\1/p' "$tmp/err" | tail -1)
  python3 - "$out/summary.json" "$i" "$wall" "$user" "$sim" >>"$tmp/rows" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))["strategies"][0]
i, wall, user, sim = sys.argv[2], float(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5])
print(i, wall, user, sim, s["attempts"], s["makespan_seconds"], round(wall - sim, 2))
PY
  tail -1 "$tmp/rows" | awk '{printf "%-4s %8.2f %8.2f %8.2f %10d %10.1f %10.2f\n", $1, $2, $3, $4, $5, $6, $7}'
  rm -rf "$out"
done
python3 - "$tmp/rows" <<'PY'
import statistics, sys
rows = [list(map(float, l.split())) for l in open(sys.argv[1])]
cols = list(zip(*rows))
med = [statistics.median(c) for c in cols]
print("%-4s %8.2f %8.2f %8.2f %10d %10.1f %10.2f" % ("med", med[1], med[2], med[3], med[4], med[5], med[6]))
PY
