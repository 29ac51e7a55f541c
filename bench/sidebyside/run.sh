#!/usr/bin/env bash
# Two ratelab trees measured side by side on one machine, interleaved round by round (the order
# of the two alternates), so that a busy machine slows both alike:
#
#   git worktree add /tmp/before 56e688d
#   bench/sidebyside/run.sh /tmp/before . 5 /tmp/sbs     # appends to /tmp/sbs/{probe,mock,sim,report}.txt
#   python3 bench/sidebyside/summarize.py /tmp/sbs       # medians and ratios
#
# Per round: probe vs vegeta (50,000/s asked for 5 s with 512 in flight against one bare loopback
# server; both trees' probes beside the same round's vegeta run), the mock's /v1/messages vs the
# contract check's bare net/http server (wrk -t1 -c32 -d4s), the sim-speed scenario (1,000 clients
# × 240 requests, whole command) and `ratelab report` of a generated 1,000,000-attempt log. Each
# line records the throughput or wall time and the CPU spent (per request, or in total).
# Needs vegeta v12.13.0 in $(go env GOPATH)/bin, wrk, python3, /usr/bin/time and the contract
# check's fixtures (../shared/checks/fixtures beside the repository).
set -u
B=$(cd "$1" && pwd); A=$(cd "$2" && pwd); R=${3:-5}; O=$4
mkdir -p "$O"; T=$(mktemp -d)
pids=()
trap 'for p in "${pids[@]:-}"; do kill "$p" 2>/dev/null; done; rm -rf "$T"' EXIT
veg="$(go env GOPATH)/bin/vegeta"
(cd "$B" && go build -o "$T/rl-before" .) || exit 1
(cd "$A" && go build -o "$T/rl-after" . && go build -o "$T/bare" ./bench/probe/bareserver && go build -o "$T/reportbench" ./bench/report) || exit 1
FIX="$A/../shared/checks/fixtures"
[ -f "$FIX/post-messages.lua" ] || { echo "no contract check fixtures at $FIX" >&2; exit 1; }
mkdir -p "$T/bw"; cp "$FIX/bareserver/main.go" "$FIX/bareserver/go.mod" "$T/bw/"; (cd "$T/bw" && go build -o "$T/barewrk" .)
free_port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1]);s.close()'; }
wait_port() { for _ in $(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/$1) 2>/dev/null && return 0; sleep 0.1; done; return 1; }

# servers
PP=$(free_port); "$T/bare" "127.0.0.1:$PP" & pids+=($!)
WB=$(free_port); "$T/barewrk" "127.0.0.1:$WB" & pids+=($!)
MB=$(free_port); "$T/rl-before" mock --addr "127.0.0.1:$MB" --rpm 100000000 --itpm 100000000000 --otpm 100000000000 --algorithm token-bucket --dialect anthropic >/dev/null 2>&1 & MBP=$!; pids+=($MBP)
MA=$(free_port); "$T/rl-after" mock --addr "127.0.0.1:$MA" --rpm 100000000 --itpm 100000000000 --otpm 100000000000 --algorithm token-bucket --dialect anthropic >/dev/null 2>&1 & MAP=$!; pids+=($MAP)
WBP=${pids[1]}
wait_port $PP; wait_port $WB; wait_port $MB; wait_port $MA
"$T/reportbench" gen "$T/big" 1000000 >/dev/null

cpu_of() { awk '{print $14+$15}' "/proc/$1/stat"; }
wrk1() { # PID URL -> "req/s cpu_us_per_req"
  local b a out; b=$(cpu_of $1)
  out=$(wrk -t1 -c32 -d4s -s "$FIX/post-messages.lua" "$2" 2>/dev/null); a=$(cpu_of $1)
  python3 - "$b" "$a" "$(getconf CLK_TCK)" "$out" <<'PY'
import re, sys
b, a, tck, out = float(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
n = int(re.search(r'(\d+) requests in', out).group(1))
print(re.search(r'Requests/sec:\s+([\d.]+)', out).group(1), round((a - b) / tck / n * 1e6, 2))
PY
}
probe1() { # BIN -> "answered/s cpu_ms_per_1k"
  rm -rf "$T/pmax"
  /usr/bin/time -f '%U %S' -o "$T/p.cpu" "$1" probe --target "http://127.0.0.1:$PP/" --api http --rate 50000/s --duration 5s --max-inflight 512 --out "$T/pmax" --quiet --yes 2>/dev/null
  python3 - "$T/pmax/attempts.jsonl" "$T/p.cpu" <<'PY'
import json, sys
ok = 0; lo = 1e18; hi = 0
for l in open(sys.argv[1]):
    r = json.loads(l)
    lo = min(lo, r["sent_s"]); hi = max(hi, r["sent_s"] + r["latency_ms"] / 1000)
    ok += r["status"] == 200
cpu = sum(map(float, open(sys.argv[2]).read().split()[-2:]))
print(round(ok / (hi - lo)), round(cpu / ok * 1e6, 1))
PY
}
vegeta1() {
  echo "GET http://127.0.0.1:$PP/" | /usr/bin/time -f '%U %S' -o "$T/v.cpu" "$veg" attack -rate 50000 -duration 5s -max-workers 512 | "$veg" report -type json > "$T/v.json"
  python3 - "$T/v.json" "$T/v.cpu" <<'PY'
import json, sys
v = json.load(open(sys.argv[1])); cpu = sum(map(float, open(sys.argv[2]).read().split()[-2:]))
print(round(v["throughput"]), round(cpu / (v["requests"] * v["success"]) * 1e6, 1))
PY
}
sim1() { # BIN -> "wall_s user_s"
  rm -rf "$T/sim"
  /usr/bin/time -f '%e %U' -o "$T/s.t" "$1" compare --mode sim --target mock --itpm 1000000000 --otpm 1000000000 --rpm 4000 --algorithm token-bucket --dialect anthropic --clients 1000 --requests 240 --strategies full-jitter --seed 1 --out "$T/sim" >/dev/null 2>&1
  cat "$T/s.t" | tail -1
}
report1() { # BIN -> "wall_s cpu_s rss_mb"
  rm -f "$T/big/summary.json" "$T/big/report.md" "$T/big/attempts.csv" "$T/big/"*.png
  /usr/bin/time -f '%e %U %S %M' -o "$T/r.t" "$1" report --quiet "$T/big" >/dev/null 2>&1
  awk '{printf "%s %.2f %d\n", $1, $2+$3, $4/1024}' "$T/r.t" | tail -1
}
for r in $(seq "$R"); do
  ld=$(cut -d' ' -f1 /proc/loadavg)
  # alternate which tree goes first
  if [ $((r % 2)) -eq 1 ]; then o1=before; o2=after; else o1=after; o2=before; fi
  v=$(vegeta1); declare -A P; for w in $o1 $o2; do P[$w]=$(probe1 "$T/rl-$w"); done
  echo "probe $r load=$ld vegeta=[$v] before=[${P[before]}] after=[${P[after]}]" | tee -a "$O/probe.txt"
  bw=$(wrk1 $WBP "http://127.0.0.1:$WB/v1/messages"); declare -A M
  for w in $o1 $o2; do if [ $w = before ]; then M[before]=$(wrk1 $MBP "http://127.0.0.1:$MB/v1/messages"); else M[after]=$(wrk1 $MAP "http://127.0.0.1:$MA/v1/messages"); fi; done
  echo "mock $r load=$ld bare=[$bw] before=[${M[before]}] after=[${M[after]}]" | tee -a "$O/mock.txt"
  declare -A S; for w in $o1 $o2; do S[$w]=$(sim1 "$T/rl-$w"); done
  echo "sim $r load=$ld before=[${S[before]}] after=[${S[after]}]" | tee -a "$O/sim.txt"
  declare -A RP; for w in $o1 $o2; do RP[$w]=$(report1 "$T/rl-$w"); done
  echo "report $r load=$ld before=[${RP[before]}] after=[${RP[after]}]" | tee -a "$O/report.txt"
done
echo done
