#!/usr/bin/env bash
# Throughput of the mock's POST /v1/messages against a bare net/http server answering {"ok":true}
# (the contract check's reference), measured side by side with one load generator (wrk), ROUNDS
# alternating rounds. A third server, bench/mock/samebytes, sends the mock's exact response from
# a plain handler (fixed header values, the mock's timeouts and GOGC): the ceiling for a net/http
# server with those eleven header fields. Prints each round's requests/s, the ratios to bare and
# the server CPU µs per request (user+sys of each process, steadier than requests/s on a shared
# machine), then the ratio of the sums (what the contract check computes) and the medians.
#
# Usage (from the repository root): bench/mock/run.sh
# Environment: ROUNDS (default 2), DURATION (wrk -d, default 4s), CONNS (wrk -c, default 32).
# Needs wrk (apt-get install wrk) and Go.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
ROUNDS=${ROUNDS:-2}
DURATION=${DURATION:-4s}
CONNS=${CONNS:-32}
command -v wrk >/dev/null || { echo "wrk not found: apt-get install wrk" >&2; exit 1; }

T=$(mktemp -d)
PIDS=()
cleanup() { for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null; done; wait 2>/dev/null || true; rm -rf "$T"; }
trap cleanup EXIT

free_port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1]);s.close()'; }
wait_port() { for _ in $(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/$1) 2>/dev/null && return 0; sleep 0.1; done; echo "no listener on $1" >&2; return 1; }

# The bare reference server and the request script: the contract check's fixtures when present,
# else the same program and body written here.
FIX="$ROOT/../shared/checks/fixtures"
mkdir -p "$T/bare"
if [ -f "$FIX/bareserver/main.go" ]; then
  cp "$FIX/bareserver/main.go" "$FIX/bareserver/go.mod" "$T/bare/"
  cp "$FIX/post-messages.lua" "$T/post.lua"
else
  cat >"$T/bare/main.go" <<'GO'
package main

import (
	"log"
	"net/http"
	"os"
)

func main() {
	body := []byte(`{"ok":true}`)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(body)
	})
	log.Fatal(http.ListenAndServe(os.Args[1], h))
}
GO
  printf 'module bareserver\n\ngo 1.26\n' >"$T/bare/go.mod"
  cat >"$T/post.lua" <<'LUA'
wrk.method = "POST"
wrk.body   = '{"model":"claude-haiku-4-5","max_tokens":16,"messages":[{"role":"user","content":"hello there"}]}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["x-api-key"] = "bench"
wrk.headers["anthropic-version"] = "2023-06-01"
LUA
fi
(cd "$T/bare" && go build -o "$T/bareserver" .)
(cd "$ROOT" && go build -o "$T/ratelab" . && go build -o "$T/samebytes" ./bench/mock/samebytes)

B=$(free_port); "$T/bareserver" "127.0.0.1:$B" & BP=$!; PIDS+=($BP)
M=$(free_port); "$T/ratelab" mock --addr "127.0.0.1:$M" --rpm 100000000 --itpm 100000000000 --otpm 100000000000 \
  --algorithm token-bucket --dialect anthropic >"$T/mock.log" 2>&1 & MP=$!; PIDS+=($MP)
S=$(free_port); "$T/samebytes" "127.0.0.1:$S" & SP=$!; PIDS+=($SP)
wait_port "$B"; wait_port "$M"; wait_port "$S"

# measure PID URL: prints "requests/s µs-of-server-CPU-per-request" for one wrk run.
measure() {
  local before after out
  before=$(awk '{print $14+$15}' "/proc/$1/stat")
  out=$(wrk -t1 -c"$CONNS" -d"$DURATION" -s "$T/post.lua" "$2" 2>/dev/null)
  after=$(awk '{print $14+$15}' "/proc/$1/stat")
  python3 - "$before" "$after" "$(getconf CLK_TCK)" "$out" <<'PY'
import re, sys
b, a, tck, out = float(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
n = int(re.search(r'(\d+) requests in', out).group(1))
print(re.search(r'Requests/sec:\s+([\d.]+)', out).group(1), round((a - b) / tck / n * 1e6, 2))
PY
}
bare_sum=0; mock_sum=0
rows=()
echo "round  bare req/s  mock req/s  ratio  same-bytes req/s  ratio   CPU µs/req: bare  mock  same-bytes"
for r in $(seq "$ROUNDS"); do
  read -r b bc < <(measure "$BP" "http://127.0.0.1:$B/v1/messages")
  read -r m mc < <(measure "$MP" "http://127.0.0.1:$M/v1/messages")
  read -r sb sc < <(measure "$SP" "http://127.0.0.1:$S/v1/messages")
  bare_sum=$(python3 -c "print($bare_sum+$b)"); mock_sum=$(python3 -c "print($mock_sum+$m)")
  rows+=("$b $m $sb $bc $mc $sc")
  printf '%5d  %10.0f  %10.0f  %5.3f  %16.0f  %5.3f  %16.1f  %4.1f  %10.1f\n' "$r" "$b" "$m" "$(python3 -c "print($m/$b)")" \
    "$sb" "$(python3 -c "print($sb/$b)")" "$bc" "$mc" "$sc"
done
printf 'total  %10.0f  %10.0f  %5.3f  (mock/bare, sums over %d rounds: the contract check'"'"'s figure)\n' "$bare_sum" "$mock_sum" "$(python3 -c "print($mock_sum/$bare_sum)")" "$ROUNDS"
python3 - "${rows[@]}" <<'PY'
import statistics, sys
rows = [list(map(float, r.split())) for r in sys.argv[1:]]
med = lambda v: statistics.median(v)
print(f'medians of the per-round ratios: mock/bare {med([m / b for b, m, *_ in rows]):.3f}, '
      f'same-bytes/bare {med([s / b for b, m, s, *_ in rows]):.3f}, mock/same-bytes {med([m / s for b, m, s, *_ in rows]):.3f}')
print(f'median server CPU µs per request: bare {med([r[3] for r in rows]):.1f}, mock {med([r[4] for r in rows]):.1f}, '
      f'same-bytes {med([r[5] for r in rows]):.1f}')
PY
