// Package mockserver is ratelab's mock API: an Anthropic- and OpenAI-compatible HTTP server in
// front of an account.Ledger, the per-key rate-limit budgets the simulator uses too. It parses
// each request as the providers do (without allocating), asks the ledger, and writes the
// provider's exact headers and bodies, waiting out the configured latency; it keeps the request
// ids and the front end's own counts.
package mockserver

import (
	"sync/atomic"

	"github.com/ratelab/ratelab/account"
	"github.com/ratelab/ratelab/metrics"
)

// Mock is the mock server's state: its ledger, request ids and the requests served. It is safe
// for concurrent use.
type Mock struct {
	ledger  *account.Ledger
	ids     requestIDs
	served  atomic.Int64 // requests the HTTP front end served
	streams streamCounts
	// metrics, when set (SetMetrics), counts replies and is served at /metrics.
	metrics *metrics.Mock
}

// New builds a mock from cfg. seed drives every random choice (faults, latency jitter, ids).
func New(cfg account.Config, seed int64) (*Mock, error) {
	l, err := account.New(cfg, seed)
	if err != nil {
		return nil, err
	}
	m := &Mock{ledger: l}
	m.ids.init(uint64(seed))
	return m, nil
}

// Ledger returns the account model the mock answers from.
func (m *Mock) Ledger() *account.Ledger { return m.ledger }

// Config returns the configuration the mock was built from.
func (m *Mock) Config() account.Config { return m.ledger.Config() }

// Stats returns the document served at GET /_ratelab/stats: every account's counters, the
// replies that reached none, and the requests served.
func (m *Mock) Stats() account.Stats {
	s := m.ledger.Stats()
	s.Requests = m.served.Load()
	s.Streams = m.streams.stats()
	return s
}
