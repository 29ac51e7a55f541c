// Package metrics exposes ratelab's live counters in the Prometheus text format, through the
// official client (github.com/prometheus/client_golang): the mock's admissions, refusals,
// tokens, remaining quota and latency (Mock), and a probe's or compare's attempts as they
// happen (Run). Each set lives in its own registry, served by its Handler at /metrics; nothing is
// registered globally. API keys never appear in labels: HashKey shortens them to a digest.
package metrics

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Path is where the metrics are served.
const Path = "/metrics"

// HashKey returns the label value of an API key: the first 16 hex digits of its SHA-256 (the
// digest limiter/redislimit keys Redis with), or "anonymous" for the empty key.
func HashKey(key string) string {
	if key == "" {
		return "anonymous"
	}
	h := sha256.Sum256([]byte(key))
	return hex.EncodeToString(h[:8])
}

// LatencyBuckets are the latency histograms' upper bounds in seconds: 1 ms to 60 s.
var LatencyBuckets = []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60}

// set is one registry of metrics, with the Go runtime and process collectors a Prometheus
// target is expected to have, and its handler. Mock and Run embed one.
type set struct {
	reg *prometheus.Registry
	h   http.Handler
}

// newSet registers cs in a registry of their own.
func newSet(cs ...prometheus.Collector) set {
	r := prometheus.NewRegistry()
	r.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	r.MustRegister(cs...)
	return set{reg: r, h: promhttp.HandlerFor(r, promhttp.HandlerOpts{Registry: r})}
}

// Handler serves the metrics in the Prometheus text format.
func (s set) Handler() http.Handler { return s.h }

// Registry returns the registry the metrics live in (tests gather from it).
func (s set) Registry() *prometheus.Registry { return s.reg }

// counter declares a counter with labels.
func counter(name, help string, labels ...string) *prometheus.CounterVec {
	return prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help}, labels)
}

// gauge declares a gauge with labels.
func gauge(name, help string, labels ...string) *prometheus.GaugeVec {
	return prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: name, Help: help}, labels)
}

// histogram declares a histogram of seconds in LatencyBuckets, with labels.
func histogram(name, help string, labels ...string) *prometheus.HistogramVec {
	return prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: name, Help: help, Buckets: LatencyBuckets}, labels)
}
