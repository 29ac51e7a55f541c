package runner

import (
	"github.com/ratelab/ratelab/account"
	"github.com/ratelab/ratelab/record"
)

// knownLimits lists the limits a mock with configuration c enforces on each API key, as
// run.json records them: analysis uses them for lower bounds and to judge its own accuracy,
// never in place of inference. Per the mock's limit semantics (README, "The mock"), a window algorithm admits
// quota = PerMinute × Window / 1m per window, and a bucket holds Burst (default: that quota)
// and refills at PerMinute. Dimensions turned off (PerMinute 0) and count_tokens are left out.
func knownLimits(c account.Config) []record.KnownLimit {
	dims := []struct {
		name string
		l    account.Limit
	}{
		{"requests", c.Limits.Requests}, {"tokens", c.Limits.Tokens},
		{"input_tokens", c.Limits.InputTokens}, {"output_tokens", c.Limits.OutputTokens},
	}
	var out []record.KnownLimit
	for _, d := range dims {
		if d.l.PerMinute <= 0 {
			continue
		}
		alg, window := d.l.Algorithm, d.l.Window
		if alg == "" {
			alg = c.Algorithm
		}
		if window == 0 {
			window = c.Window
		}
		quota := int64(float64(d.l.PerMinute) * window.Minutes())
		k := record.KnownLimit{
			Dimension: d.name, Algorithm: string(alg), PerMinute: float64(d.l.PerMinute),
			Burst: quota, WindowS: window.Seconds(),
		}
		if d.l.Burst != nil {
			k.Burst = *d.l.Burst
		}
		if a := d.l.Advertise; a != nil {
			k.AdvertisedMin = float64(a.PerMinute)
		}
		out = append(out, k)
	}
	return out
}
