package metrics

import (
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
)

// Mock holds the mock server's metrics. Its methods are safe for concurrent use.
type Mock struct {
	set
	admitted  *prometheus.CounterVec
	refused   *prometheus.CounterVec
	tokens    *prometheus.CounterVec
	remaining *prometheus.GaugeVec
	latency   *prometheus.HistogramVec
	store     prometheus.Counter
}

// NewMock returns the mock's metrics in a registry of their own:
//
//	ratelab_mock_admitted_total{dimension,key}       requests a dimension admitted
//	ratelab_mock_refused_total{dimension,key}        requests a dimension refused (429)
//	ratelab_mock_tokens_total{dimension}             tokens charged per token dimension
//	ratelab_mock_remaining{dimension,key}            quota left after the latest reply
//	ratelab_mock_request_duration_seconds{endpoint,status}  time to answer, latency included
//	ratelab_mock_store_unavailable_total             replies made without the shared store
//
// key is HashKey of the API key.
func NewMock() *Mock {
	m := &Mock{
		admitted: counter("ratelab_mock_admitted_total",
			"Requests admitted, per rate-limit dimension and hashed API key.",
			"dimension", "key"),
		refused: counter("ratelab_mock_refused_total",
			"Requests refused with 429, per dimension that refused and hashed API key.",
			"dimension", "key"),
		tokens: counter("ratelab_mock_tokens_total",
			"Tokens charged to the limits, per token dimension (tokens, input_tokens, output_tokens).",
			"dimension"),
		remaining: gauge("ratelab_mock_remaining",
			"Quota remaining after the latest reply, per dimension and hashed API key.",
			"dimension", "key"),
		latency: histogram("ratelab_mock_request_duration_seconds",
			"Time to answer an API request, configured latency included, per endpoint and status.",
			"endpoint", "status"),
		store: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "ratelab_mock_store_unavailable_total",
			Help: "Requests that found the shared limit store (Redis) unavailable (answered 503, or admitted when failing open).",
		}),
	}
	m.set = newSet(m.admitted, m.refused, m.tokens, m.remaining, m.latency, m.store)
	return m
}

// Admitted counts a request that dimension admitted for the hashed key.
func (m *Mock) Admitted(dimension, key string) { m.admitted.WithLabelValues(dimension, key).Inc() }

// Refused counts a request that dimension refused for the hashed key.
func (m *Mock) Refused(dimension, key string) { m.refused.WithLabelValues(dimension, key).Inc() }

// Tokens adds n tokens charged to a token dimension.
func (m *Mock) Tokens(dimension string, n int64) {
	if n > 0 {
		m.tokens.WithLabelValues(dimension).Add(float64(n))
	}
}

// Remaining sets the quota left on a dimension for the hashed key.
func (m *Mock) Remaining(dimension, key string, n int64) {
	m.remaining.WithLabelValues(dimension, key).Set(float64(n))
}

// Observe records how long a request to endpoint took to answer with status.
func (m *Mock) Observe(endpoint string, status int, seconds float64) {
	m.latency.WithLabelValues(endpoint, strconv.Itoa(status)).Observe(seconds)
}

// StoreUnavailable counts a request that found the shared store unavailable.
func (m *Mock) StoreUnavailable() { m.store.Inc() }
