package sim

import (
	"context"
	"io"
	"testing"

	"github.com/ratelab/ratelab/engine"
	"github.com/stretchr/testify/require"
)

// benchHour simulates clients × requests against a 4,000 RPM token bucket (burst one minute's
// quota, Anthropic headers) under spec, writing attempts.jsonl to w, and reports attempts per
// run, virtual seconds and nanoseconds per attempt.
func benchHour(b *testing.B, spec string, clients, requests int, w io.Writer) {
	cfg := bucketConfig(4000, 0, "anthropic")
	var attempts int64
	var virtual float64
	for b.Loop() {
		r := newRunner(b, cfg, w, 1)
		res, err := r.Closed(context.Background(), engine.ClosedPhase{Label: spec, Clients: clients, Requests: requests,
			Fleet: fleet(b, spec, 1), Strategy: spec})
		require.NoError(b, err)
		require.NoError(b, r.Close())
		attempts, virtual = res.Attempts, res.End.Seconds()
	}
	b.ReportMetric(float64(attempts), "attempts/op")
	b.ReportMetric(virtual, "virtual-s/op")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(attempts), "ns/attempt")
}

// BenchmarkSimHour is the scale: 1,000 clients for about one virtual hour against a
// 4,000 RPM token bucket (240 requests each), every attempt encoded as attempts.jsonl on the
// recording goroutine (to io.Discard). full-jitter(max-attempts=20) keeps nearly every request
// (the default 10 attempts give up on 9% of them in this retry storm, ending the hour early).
// Run with -benchtime 3x: one op is over a million attempts.
func BenchmarkSimHour(b *testing.B) {
	benchHour(b, "full-jitter(max-attempts=20)", 1000, 240, io.Discard)
}

// BenchmarkSimAttempt measures the cost per simulated attempt on a smaller fleet, for each kind
// of strategy: per-client retriers, and the fleet-shared state of header pacing and AIMD.
func BenchmarkSimAttempt(b *testing.B) {
	for _, spec := range []string{"full-jitter", "retry-after", "header-pacing", "aimd"} {
		b.Run(spec, func(b *testing.B) { benchHour(b, spec, 100, 100, io.Discard) })
	}
}
