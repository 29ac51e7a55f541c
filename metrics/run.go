package metrics

import (
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Run holds a probe's or compare's live counters, updated as each attempt is recorded. Its
// methods are safe for concurrent use.
type Run struct {
	reg       *prometheus.Registry
	attempts  *prometheus.CounterVec
	latency   *prometheus.HistogramVec
	tokens    *prometheus.CounterVec
	remaining *prometheus.GaugeVec
	h         http.Handler
}

// NewRun returns a run's metrics in a registry of their own:
//
//	ratelab_run_attempts_total{segment,mode,outcome}          attempts recorded (ok, rate_limited, overloaded, error)
//	ratelab_run_attempt_duration_seconds{segment,outcome}     send to end of response
//	ratelab_run_tokens_total{segment,direction}               usage the servers reported (input, output)
//	ratelab_run_remaining{segment,dimension}                  the latest rate-limit remaining header
func NewRun() *Run {
	m := &Run{
		reg: newRegistry(),
		attempts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ratelab_run_attempts_total",
			Help: "Attempts recorded, per segment (phase or strategy/mode/clients), mode (live, sim) and outcome (ok, rate_limited, overloaded, error).",
		}, []string{"segment", "mode", "outcome"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "ratelab_run_attempt_duration_seconds",
			Help:    "Attempt latency from send to the end of the response body, per segment and outcome.",
			Buckets: LatencyBuckets,
		}, []string{"segment", "outcome"}),
		tokens: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ratelab_run_tokens_total",
			Help: "Tokens the servers reported using, per segment and direction (input, output).",
		}, []string{"segment", "direction"}),
		remaining: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "ratelab_run_remaining",
			Help: "The latest rate-limit remaining header, per segment and dimension.",
		}, []string{"segment", "dimension"}),
	}
	m.reg.MustRegister(m.attempts, m.latency, m.tokens, m.remaining)
	m.h = handler(m.reg)
	return m
}

// Handler serves the metrics in the Prometheus text format.
func (m *Run) Handler() http.Handler { return m.h }

// Registry returns the registry the metrics live in.
func (m *Run) Registry() *prometheus.Registry { return m.reg }

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
