package report

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/ratelab/ratelab/record"
)

// TestLittlesLaw (issue 13, item 4): the worker count comes from live response times only; a
// simulated run, whose response times are the mock's configured latency (0 s by default), says
// why it gives none instead of "0.75/s × 0 s ≈ 1 worker".
func TestLittlesLaw(t *testing.T) {
	run := &record.Run{Known: []record.KnownLimit{{Dimension: "requests", Algorithm: "token-bucket", PerMinute: 50, Burst: 50}}}
	tests := []struct {
		name    string
		mode    string
		latency float64 // ms of each successful attempt
		want    string
		notWant string
	}{
		{"simulated, zero latency: no worker count, and why", record.ModeSim, 0, "No concurrency is recommended: no live response time was measured", "Little's law"},
		{"simulated with latency: still the mock's, not the API's", record.ModeSim, 400, "No concurrency is recommended", "Little's law"},
		{"live: rate × response time", record.ModeLive, 2000, "About 2 concurrent workers sustain that rate: workers = rate × (mean response time 2 s + think time 0 s) = 0.75/s × 2 s (Little's law).", "No concurrency"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := NewBuilder(run)
			for i := range 10 {
				a := att(i%2, int64(i+1), 1, float64(i), float64(i), tt.latency, 200, true)
				a.Mode = tt.mode
				b.Add(&a)
			}
			got := strings.Join(recommendations(run, b.Summary(), true), "\n")
			assert.Contains(t, got, tt.want)
			assert.NotContains(t, got, tt.notWant)
		})
	}
}

// TestLittlesLawModelledGeneration: a simulated run whose mock was given a generation time (a
// capacity scenario's ttft and output_tps) plans workers from the simulated response time, and
// says it is simulated; without one (instant replies) it gives none.
func TestLittlesLawModelledGeneration(t *testing.T) {
	known := []record.KnownLimit{{Dimension: "requests", Algorithm: "token-bucket", PerMinute: 50, Burst: 50}}
	for _, tt := range []struct {
		name, mock, want string
	}{
		{"ttft and output_tps", `{"ttft":"800ms","output_tps":60}`, "About 14 concurrent workers sustain that rate: workers = rate × (mean response time 18 s + think time 0 s) = 0.75/s × 18 s (Little's law). More workers add only queueing and 429s unless a client-side limiter paces them. The response time is simulated"},
		{"output_tps alone", `{"ttft":"0s","output_tps":60}`, "About 14 concurrent workers"},
		{"instant replies", `{"ttft":"0s","output_tps":0}`, "No concurrency is recommended"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			run := &record.Run{Known: known, Mock: []byte(tt.mock)}
			b := NewBuilder(run)
			for i := range 10 {
				a := att(i%2, int64(i+1), 1, float64(i), float64(i), 18000, 200, true)
				a.Mode = record.ModeSim
				b.Add(&a)
			}
			assert.Contains(t, strings.Join(recommendations(run, b.Summary(), true), "\n"), tt.want)
		})
	}
}
