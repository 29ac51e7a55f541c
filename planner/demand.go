package planner

import (
	"time"

	"github.com/ratelab/ratelab/account"
	"github.com/ratelab/ratelab/workload"
)

// demandDims are the dimensions a plan measures demand in, as summary.json names them.
var demandDims = [...]string{"requests", "input_tokens", "output_tokens", "tokens"}

// peakMinute returns, per dimension, the replay's largest demand in any 60-second window (a
// sliding window over the arrivals): requests, input tokens, output tokens, both.
func peakMinute(rep *workload.Replay) [len(demandDims)]float64 {
	type arrival struct {
		at      time.Duration
		in, out int64
	}
	var (
		win  []arrival // arrivals in the window, oldest first (a queue over a slice)
		head int
		sum  [len(demandDims)]float64
		peak [len(demandDims)]float64
	)
	for n := uint64(0); ; n++ {
		at, ok := rep.Due(n)
		if !ok {
			break
		}
		in, out := rep.Of(int64(n))
		for head < len(win) && win[head].at <= at-time.Minute {
			old := win[head]
			sum[0]--
			sum[1] -= float64(old.in)
			sum[2] -= float64(old.out)
			sum[3] -= float64(old.in + old.out)
			head++
		}
		if head > 4096 && head*2 > len(win) {
			win = append(win[:0], win[head:]...)
			head = 0
		}
		win = append(win, arrival{at, in, out})
		sum[0]++
		sum[1] += float64(in)
		sum[2] += float64(out)
		sum[3] += float64(in + out)
		for i := range sum {
			peak[i] = max(peak[i], sum[i])
		}
	}
	return peak
}

// perMinuteLimits returns each demand dimension's per-minute limit in cfg, 0 when off.
func perMinuteLimits(cfg *account.Config) [len(demandDims)]float64 {
	l := &cfg.Limits
	return [len(demandDims)]float64{float64(l.Requests.PerMinute), float64(l.InputTokens.PerMinute),
		float64(l.OutputTokens.PerMinute), float64(l.Tokens.PerMinute)}
}

// binding returns the dimension with the highest peak demand for its limit, its headroom
// (1 − peak/limit) and peak; ok is false when no dimension is limited.
func binding(peak, limit [len(demandDims)]float64) (dim string, headroom, at float64, ok bool) {
	best := -1.0
	for i, l := range limit {
		if l <= 0 {
			continue
		}
		if u := peak[i] / l; u > best {
			best, dim, at = u, demandDims[i], peak[i]
		}
	}
	if best < 0 {
		return "", 0, 0, false
	}
	return dim, 1 - best, at, true
}
