package mockserver

import (
	"net/http"
	"time"

	"github.com/ratelab/ratelab/account"
	"github.com/ratelab/ratelab/metrics"
	"github.com/ratelab/ratelab/ratelimit"
)

// SetMetrics makes the mock count every API reply in x and serve x at GET /metrics. Call it
// before serving.
func (m *Mock) SetMetrics(x *metrics.Mock) { m.metrics = x }

// Metrics returns the mock's metrics, nil when it keeps none.
func (m *Mock) Metrics() *metrics.Mock { return m.metrics }

// dimNames are the metrics' dimension labels.
var dimNames = [ratelimit.NumDimensions]string{"requests", "tokens", "input_tokens", "output_tokens"}

// observe counts one API reply in the metrics, when the mock keeps them: an admission on
// every dimension the reply carries headers for, or the refusing dimension of a 429, the
// tokens charged, the remaining quota, and the time since start.
func (m *Mock) observe(e account.Endpoint, key string, r *account.Reply, start time.Time) {
	x := m.metrics
	if x == nil {
		return
	}
	x.Observe(e.String(), r.Status, time.Since(start).Seconds())
	if r.StoreError != nil {
		x.StoreUnavailable()
	}
	if r.Status != http.StatusOK && r.Status != http.StatusTooManyRequests {
		return
	}
	hk := metrics.HashKey(key)
	for d := range ratelimit.NumDimensions {
		st := &r.Limits.Dims[d]
		if st.Flags&ratelimit.HasRemaining == 0 {
			continue
		}
		x.Remaining(dimNames[d], hk, st.Remaining)
		if r.Status == http.StatusOK {
			x.Admitted(dimNames[d], hk)
		}
	}
	if r.Status == http.StatusTooManyRequests {
		x.Refused(dimNames[r.Exceeded], hk)
		return
	}
	x.Tokens("input_tokens", r.InputTokens)
	x.Tokens("output_tokens", r.OutputTokens)
	x.Tokens("tokens", r.InputTokens+r.OutputTokens)
}
