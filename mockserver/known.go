package mockserver

import (
	"encoding/json"

	"go.yaml.in/yaml/v3"

	"github.com/ratelab/ratelab/record"
)

// KnownLimits lists the limits a mock with this configuration enforces on each API key, as
// run.json records them: analysis uses them for lower bounds and to judge its own accuracy,
// never in place of inference. Per DESIGN.md's mock semantics, a window algorithm admits
// quota = PerMinute × Window / 1m per window, and a bucket holds Burst (default: that quota)
// and refills at PerMinute. Dimensions turned off (PerMinute 0) and count_tokens are left out.
func (c Config) KnownLimits() []record.KnownLimit {
	dims := []struct {
		name string
		l    Limit
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

// MarshalJSON writes the configuration as run.json records it: the field names of a --config
// file (per_minute, latency_jitter…) and durations as Go duration strings ("5s"), so the JSON
// reads back as a mock configuration file.
func (c Config) MarshalJSON() ([]byte, error) {
	b, err := yaml.Marshal(c)
	if err != nil {
		return nil, err
	}
	var tree any
	if err := yaml.Unmarshal(b, &tree); err != nil {
		return nil, err
	}
	return json.Marshal(tree)
}
