#!/usr/bin/env bash
# Render a 1,000,000-attempt run REPEAT times; print each run's wall time, CPU time (user+sys) and
# peak RSS (/usr/bin/time -v) and their medians. On a shared machine the wall time depends on the
# load; the CPU time much less. Usage: bench/report/run.sh [N] [REPEAT]
set -euo pipefail
N=${1:-1000000}
REPEAT=${2:-5}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
go build -o "$T/reportbench" ./bench/report
go build -o "$T/ratelab" .
"$T/reportbench" gen "$T/run" "$N"
echo "log: $(wc -l <"$T/run/attempts.jsonl") attempts, $(du -m "$T/run/attempts.jsonl" | cut -f1) MB"
for i in $(seq "$REPEAT"); do
  /usr/bin/time -v "$T/ratelab" report --quiet "$T/run" 2>"$T/time.$i" >/dev/null
  wall=$(grep 'Elapsed (wall' "$T/time.$i" | awk '{print $NF}')
  rss=$(grep 'Maximum resident' "$T/time.$i" | awk '{print $NF}')
  cpu=$(awk -F': ' '/User time|System time/ {s += $2} END {printf "%.2f", s}' "$T/time.$i")
  echo "run $i: wall $wall, cpu ${cpu} s, peak RSS $((rss / 1024)) MB"
  echo "$wall $rss $cpu" >>"$T/results"
done
python3 - "$T/results" <<'PY'
import sys, statistics
rows = [l.split() for l in open(sys.argv[1])]
def secs(s):
    parts = [float(p) for p in s.split(":")]
    return sum(p * 60 ** i for i, p in enumerate(reversed(parts)))
w = statistics.median(secs(r[0]) for r in rows)
m = statistics.median(int(r[1]) for r in rows) / 1024
c = statistics.median(float(r[2]) for r in rows)
print(f"median: wall {w:.2f} s, cpu {c:.2f} s, peak RSS {m:.0f} MB over {len(rows)} runs")
PY
