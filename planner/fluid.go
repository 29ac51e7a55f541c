package planner

import (
	"fmt"
	"time"

	"github.com/ratelab/ratelab/account"
	"github.com/ratelab/ratelab/limiter"
	"github.com/ratelab/ratelab/workload"
)

// fluidAttempts is the attempt budget of a simulation whose SLO miss the fluid bound proved:
// its figures then illustrate the miss, they do not decide it.
const fluidAttempts = 2_000_000

// fluidSpan bounds the virtual time of such a simulation: strategies that queue requests on the
// client (header pacing) make few attempts while the queue grows.
const fluidSpan = 30 * time.Minute

// fluidMiss returns why the requests limit alone makes the replay miss the SLO, or "": in any
// interval [t₁, t₂] of arrivals the limit admits at most burst + rate·(t₂ − t₁ + D) requests
// by t₂ + D, so the other requests arriving in it wait longer than D whatever the clients do.
// When that count over the worst interval exceeds what the SLO's delay quantile allows among
// all the replay's requests, the SLO is missed for certain.
func fluidMiss(rep *workload.Replay, cfg *account.Config, slo *SLO) string {
	lim := cfg.Limits.Requests
	if lim.PerMinute <= 0 {
		return ""
	}
	rate := float64(lim.PerMinute) / 60 // per second
	window := lim.Window
	if window <= 0 {
		window = cfg.Window
	}
	if window <= 0 {
		window = time.Minute
	}
	quota := float64(lim.PerMinute) * window.Minutes()
	algo := lim.Algorithm
	if algo == "" {
		algo = cfg.Algorithm
	}
	burst := 2 * quota // windows admit up to two quotas across a boundary
	if lim.Burst != nil && (algo == limiter.TokenBucket || algo == limiter.GCRA || algo == "") {
		burst = float64(*lim.Burst)
	} else if algo == limiter.TokenBucket || algo == limiter.GCRA || algo == "" {
		burst = quota
	}
	n := float64(rep.Requests())
	for i, d := range slo.delays() {
		if d == nil {
			continue
		}
		// f(j) = j − rate·tⱼ; the worst interval maximizes f(j) − f(i) over i ≤ j.
		minF, worst := 0.0, 0.0
		for j := uint64(0); ; j++ {
			at, ok := rep.Due(j)
			if !ok {
				break
			}
			f := float64(j) - rate*at.Seconds()
			if j == 0 || f < minF {
				minF = f
			}
			worst = max(worst, f-minF+1)
		}
		late := worst - burst - rate*d.Seconds()
		if allowed := (1 - quantiles[i]) * n; late > allowed {
			return fmt.Sprintf("p%g-delay: the requests limit admits at most burst + rate × time, so at least %.0f of the %.0f requests wait over %s whatever the strategy (at most %.0f may)",
				quantiles[i]*100, late, n, d, allowed)
		}
	}
	return ""
}
