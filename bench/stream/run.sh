#!/usr/bin/env bash
# Streams: the mock's streamed replies against a bare net/http SSE handler replaying the same
# bytes on the same schedule (bench/stream/main.go), N = 100, 1,000, 2,000 concurrent streams at
# 50 tokens/s, then the mock's RSS over a 60 s run at 2,000 streams.
# Usage (from the repository root): bench/stream/run.sh [flags of bench/stream, e.g. -rounds 2]
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
cd "$ROOT"
go build -o "$T/ratelab" .
go build -o "$T/streambench" ./bench/stream
"$T/streambench" -ratelab "$T/ratelab" "$@"
