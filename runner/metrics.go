package runner

import (
	"github.com/ratelab/ratelab/metrics"
	"github.com/ratelab/ratelab/ratelimit"
	"github.com/ratelab/ratelab/record"
)

// dimensionNames are the metrics' dimension labels.
var dimensionNames = [ratelimit.NumDimensions]string{"requests", "tokens", "input_tokens", "output_tokens"}

// ObserveMetrics counts a recorded attempt in the run's live metrics (Options.Metrics).
func ObserveMetrics(m *metrics.Run, a *record.Attempt) {
	if a.ClientRejected {
		m.Attempt(a.Run, a.Mode, "client_rejected", 0, 0, 0)
		return
	}
	m.Attempt(a.Run, a.Mode, a.Outcome(), a.Latency, a.InputTokens, a.OutputTokens)
	for d := range ratelimit.NumDimensions {
		if st := &a.Limits[d]; st.Flags&ratelimit.HasRemaining != 0 {
			m.Remaining(a.Run, dimensionNames[d], st.Remaining)
		}
	}
}
