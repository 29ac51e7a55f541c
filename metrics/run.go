package metrics

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Run holds a probe's or compare's live counters, updated as each attempt is recorded. Its
// methods are safe for concurrent use.
type Run struct {
	set
	attempts  *prometheus.CounterVec
	latency   *prometheus.HistogramVec
	tokens    *prometheus.CounterVec
	remaining *prometheus.GaugeVec
}

// NewRun returns a run's metrics in a registry of their own:
//
//	ratelab_run_attempts_total{segment,mode,outcome}          attempts recorded (ok, rate_limited, overloaded, error)
//	ratelab_run_attempt_duration_seconds{segment,outcome}     send to end of response
//	ratelab_run_tokens_total{segment,direction}               usage the servers reported (input, output)
//	ratelab_run_remaining{segment,dimension}                  the latest rate-limit remaining header
func NewRun() *Run {
	m := &Run{
		attempts: counter("ratelab_run_attempts_total",
			"Attempts recorded, per segment (phase or strategy/mode/clients), mode (live, sim) and outcome (ok, rate_limited, overloaded, error).",
			"segment", "mode", "outcome"),
		latency: histogram("ratelab_run_attempt_duration_seconds",
			"Attempt latency from send to the end of the response body, per segment and outcome.",
			"segment", "outcome"),
		tokens: counter("ratelab_run_tokens_total",
			"Tokens the servers reported using, per segment and direction (input, output).",
			"segment", "direction"),
		remaining: gauge("ratelab_run_remaining",
			"The latest rate-limit remaining header, per segment and dimension.",
			"segment", "dimension"),
	}
	m.set = newSet(m.attempts, m.latency, m.tokens, m.remaining)
	return m
}

// Attempt counts one recorded attempt.
func (m *Run) Attempt(segment, mode, outcome string, latency time.Duration, inputTokens, outputTokens int64) {
	m.attempts.WithLabelValues(segment, mode, outcome).Inc()
	m.latency.WithLabelValues(segment, outcome).Observe(latency.Seconds())
	if inputTokens > 0 {
		m.tokens.WithLabelValues(segment, "input").Add(float64(inputTokens))
	}
	if outputTokens > 0 {
		m.tokens.WithLabelValues(segment, "output").Add(float64(outputTokens))
	}
}

// Remaining sets the latest remaining value a header stated for dimension.
func (m *Run) Remaining(segment, dimension string, n int64) {
	m.remaining.WithLabelValues(segment, dimension).Set(float64(n))
}
