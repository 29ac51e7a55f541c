package account

import (
	"time"

	"github.com/ratelab/ratelab/limiter"
)

// chargeOutput charges an admitted call's output of out tokens to the output and combined
// token limits after admission: all of it (times the burndown) under actual accounting; under
// reserved accounting the max_tokens reserved at admission are settled to it. decs receives
// the limiters' states afterwards.
func (a *account) chargeOutput(now time.Time, m *Ledger, maxTokens, out int64, decs *[numMockDims]limiter.Decision) {
	charged := out
	if b := m.cfg.OutputBurndown; b > 0 && b != 1 {
		charged = int64(float64(out)*b + 0.5)
	}
	switch {
	case m.res.accounting == AccountActual && charged != 0:
		for _, d := range [2]mockDim{dimOutput, dimTokens} {
			if m.res.dims[d].on {
				decs[d] = a.chargeAfter(now, d, charged)
				a.stats.dims[d].units += charged
			}
		}
	case m.res.accounting == AccountReserved && charged != maxTokens:
		// The reservation is settled to the output generated (times the burndown).
		for _, d := range [2]mockDim{dimOutput, dimTokens} {
			if m.res.dims[d].on {
				decs[d] = a.chargeAfter(now, d, charged-maxTokens)
				a.stats.dims[d].units += charged - maxTokens
			}
		}
	}
}

// limitNames names each dimension's per-minute limit as presets do.
var limitNames = [numMockDims]string{"rpm", "tpm", "itpm", "otpm", "rpm"}
