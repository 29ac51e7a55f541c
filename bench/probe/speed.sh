#!/usr/bin/env bash
# Probe speed, side by side with vegeta on one bare loopback server, repeated RUNS times
# (default 3), medians printed last. Run from the repository root:
#
#   bench/probe/speed.sh [RUNS]        (RATELAB=path uses a prebuilt binary)
#
# Each run measures (1) rate accuracy: a constant 2,000/s probe for 10 s, attempts sent and the
# p99 of sent − scheduled; (2) max rate: vegeta and the probe each asked for 50,000/s for 5 s
# with 512 in flight, answered requests per second over the span of the attempts, and the CPU
# seconds each spent per 1,000 answered requests (user+sys, from GNU time; a figure that a
# shared, noisy machine disturbs far less than a rate). Needs vegeta v12.13.0 (installed with
# go install when missing), python3 and /usr/bin/time.
set -eu
runs=${1:-3}
T=$(mktemp -d)
pids=()
trap 'for p in "${pids[@]:-}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$T"' EXIT
veg="$(go env GOPATH)/bin/vegeta"
[ -x "$veg" ] || go install github.com/tsenart/vegeta/v12@v12.13.0
if [ -n "${RATELAB:-}" ]; then cp "$RATELAB" "$T/ratelab"; else go build -o "$T/ratelab" .; fi
go build -o "$T/bare" ./bench/probe/bareserver
port=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1]);s.close()')
"$T/bare" "127.0.0.1:$port" & pids+=($!)
sleep 0.5
url="http://127.0.0.1:$port/"

for i in $(seq "$runs"); do
  rm -rf "$T/acc" "$T/max"
  "$T/ratelab" probe --target "$url" --api http --rate 2000/s --duration 10s --out "$T/acc" --quiet --yes 2>/dev/null
  echo "GET $url" | /usr/bin/time -f '%U %S' -o "$T/veg.cpu" "$veg" attack -rate 50000 -duration 5s -max-workers 512 | "$veg" report -type json > "$T/veg.json"
  /usr/bin/time -f '%U %S' -o "$T/probe.cpu" "$T/ratelab" probe --target "$url" --api http --rate 50000/s --duration 5s --max-inflight 512 --out "$T/max" --quiet --yes 2>/dev/null
  python3 - "$T/acc/attempts.jsonl" "$T/max/attempts.jsonl" "$T/veg.json" "$i" "$T/veg.cpu" "$T/probe.cpu" <<'PY'
import json, sys
cpu = lambda f: sum(map(float, open(f).read().split()[-2:]))
acc = [json.loads(l) for l in open(sys.argv[1])]
lags = sorted(r["sent_s"] - r["scheduled_s"] for r in acc)
mx = [json.loads(l) for l in open(sys.argv[2])]
ok = sum(1 for r in mx if r["status"] == 200)
span = max(r["sent_s"] + r["latency_ms"] / 1000 for r in mx) - min(r["sent_s"] for r in mx)
vj = json.load(open(sys.argv[3]))
veg, veg_ok = vj["throughput"], vj["requests"] * vj["success"]
print(f"run {sys.argv[4]}: n={len(acc)} p50_lag_ms={lags[len(lags)//2]*1000:.3f} p99_lag_ms={lags[int(len(lags)*0.99)-1]*1000:.3f} "
      f"probe_max={ok/span:.0f}/s vegeta_max={veg:.0f}/s ratio={ok/span/veg:.3f} "
      f"probe_cpu_ms_per_1k={cpu(sys.argv[6])/ok*1e6:.0f} vegeta_cpu_ms_per_1k={cpu(sys.argv[5])/veg_ok*1e6:.0f}")
PY
done | tee "$T/runs.txt"
python3 - "$T/runs.txt" <<'PY'
import re, statistics, sys
rows = [dict(re.findall(r"(\w+)=([\d.]+)", l)) for l in open(sys.argv[1])]
med = {k: statistics.median(float(r[k]) for r in rows) for k in rows[0]}
print("median: " + " ".join(f"{k}={v:g}" for k, v in med.items()))
PY
