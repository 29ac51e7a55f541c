#!/usr/bin/env bash
# Throughput of the mock's POST /v1/messages against a bare net/http server answering {"ok":true}
# (the contract check's reference), measured side by side with one load generator (wrk), ROUNDS
# alternating rounds. Prints each round's requests/s and ratio, the ratio of the sums (what the
# contract check computes) and the median of the per-round ratios.
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
(cd "$ROOT" && go build -o "$T/ratelab" .)

B=$(free_port); "$T/bareserver" "127.0.0.1:$B" & PIDS+=($!)
M=$(free_port); "$T/ratelab" mock --addr "127.0.0.1:$M" --rpm 100000000 --itpm 100000000000 --otpm 100000000000 \
  --algorithm token-bucket --dialect anthropic >"$T/mock.log" 2>&1 & PIDS+=($!)
wait_port "$B"; wait_port "$M"

rps() { wrk -t1 -c"$CONNS" -d"$DURATION" -s "$T/post.lua" "$1" 2>/dev/null | awk '/Requests\/sec/{print $2}'; }
bare_sum=0; mock_sum=0; ratios=""
echo "round  bare req/s  mock req/s  ratio"
for r in $(seq "$ROUNDS"); do
  b=$(rps "http://127.0.0.1:$B/v1/messages")
  m=$(rps "http://127.0.0.1:$M/v1/messages")
  bare_sum=$(python3 -c "print($bare_sum+$b)"); mock_sum=$(python3 -c "print($mock_sum+$m)")
  ratio=$(python3 -c "print($m/$b)"); ratios="$ratios $ratio"
  printf '%5d  %10.0f  %10.0f  %5.3f\n' "$r" "$b" "$m" "$ratio"
done
printf 'total  %10.0f  %10.0f  %5.3f  (mock/bare, sums over %d rounds)\n' "$bare_sum" "$mock_sum" "$(python3 -c "print($mock_sum/$bare_sum)")" "$ROUNDS"
printf 'median of the per-round ratios: %.3f\n' "$(python3 -c "import statistics,sys; print(statistics.median(map(float, sys.argv[1:])))" $ratios)"
