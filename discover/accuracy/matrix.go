package accuracy

import (
	"fmt"
	"time"

	"github.com/ratelab/ratelab/limiter"
	"github.com/ratelab/ratelab/ratelimit"
)

// Matrix returns the full suite: the algorithm matrix (Algorithms), the special cases and the
// real-world variants, then one row per provider preset.
func Matrix() []Case {
	return append(append(append(Algorithms(), Special()...), Variants()...), Presets()...)
}

// Algorithms returns every algorithm × {anthropic headers, none} × {120, 600}/min × {1 s, 10 s,
// 60 s} windows (those that admit at least 2 per window).
func Algorithms() []Case {
	var out []Case
	for _, alg := range limiter.Algorithms {
		for _, dialect := range []string{"anthropic", "none"} {
			for _, w := range []time.Duration{time.Second, 10 * time.Second, time.Minute} {
				for _, rpm := range []int64{120, 600} {
					if quota(rpm, w) < 2 {
						continue // a window that admits one request is the 1/s case below
					}
					out = append(out, Case{
						Name:      fmt.Sprintf("%s/%s/%d-per-min/%s", alg, dialect, rpm, w),
						Algorithm: alg, RPM: rpm, Window: w, Dialect: dialect,
					})
				}
			}
		}
	}
	return out
}

// Special returns the cases beyond the algorithm matrix.
func Special() []Case {
	return []Case{
		{Name: "advertised-60-enforced-1-per-s/anthropic", Algorithm: limiter.TokenBucket, RPM: 60, Window: time.Second,
			AdvertiseRPM: 60, Dialect: "anthropic"},
		{Name: "count-rejected/token-bucket/anthropic", Algorithm: limiter.TokenBucket, RPM: 600, Burst: 10,
			CountRejected: true, Dialect: "anthropic"},
		{Name: "count-rejected/token-bucket/none", Algorithm: limiter.TokenBucket, RPM: 600, Burst: 10,
			CountRejected: true, Dialect: "none"},
		{Name: "input-tokens-bind/token-bucket/anthropic", Algorithm: limiter.TokenBucket, RPM: 6000, Window: 10 * time.Second,
			ITPM: 600_000, PromptTokens: 2000, MaxTokens: 100, Dialect: "anthropic", Dim: "input_tokens"},
		{Name: "output-tokens-bind/token-bucket/anthropic", Algorithm: limiter.TokenBucket, RPM: 6000, Window: 10 * time.Second,
			OTPM: 120_000, PromptTokens: 200, MaxTokens: 1000, Dialect: "anthropic", Dim: "output_tokens"},
		{Name: "output-tokens-precharged/token-bucket/anthropic", Algorithm: limiter.TokenBucket, RPM: 6000, Window: 10 * time.Second,
			OTPM: 120_000, PromptTokens: 200, MaxTokens: 1000, OutputTokens: 300, Precharge: true, Dialect: "anthropic", Dim: "output_tokens"},
	}
}

// Variants returns the real-world variants of limiters and their headers, each as the
// algorithm matrix runs it (anthropic headers or none, 120 and 600 per minute, 1 s, 10 s and 60 s
// windows) where the variant changes what is enforced, and at one size where it changes only
// the headers:
//   - the sliding window counter rounding the previous window's share half up, or keeping it
//     fractional (which admits one less per window);
//   - fixed windows opened by the first request after the previous one ended;
//   - resets truncated to whole seconds or fractional, token remaining exact or rounded to
//     thousands, in the anthropic, ietf and x-ratelimit dialects (the last states no period:
//     its advertised figure comes from the resets), and the default Tier 1 mock whose 8,000
//     output tokens per minute reset in whole seconds.
func Variants() []Case {
	var out []Case
	sizes := func(name string, c Case) {
		for _, dialect := range []string{"anthropic", "none"} {
			for _, w := range []time.Duration{time.Second, 10 * time.Second, time.Minute} {
				for _, rpm := range []int64{120, 600} {
					if quota(rpm, w) < 2 {
						continue
					}
					v := c
					v.Name = fmt.Sprintf("%s/%s/%d-per-min/%s", name, dialect, rpm, w)
					v.Dialect, v.RPM, v.Window = dialect, rpm, w
					out = append(out, v)
				}
			}
		}
	}
	for _, r := range limiter.CounterRoundings[1:] {
		sizes("sliding-window-"+string(r), Case{Algorithm: limiter.SlidingWindow, CounterRounding: r})
	}
	sizes("fixed-window-first-request", Case{Algorithm: limiter.FixedWindow, WindowStart: limiter.StartFirstRequest})
	for _, alg := range []limiter.Algorithm{limiter.TokenBucket, limiter.FixedWindow, limiter.SlidingWindow} {
		for _, dialect := range []string{"anthropic", "ietf", "x-ratelimit"} {
			for _, reset := range []ratelimit.ResetRounding{ratelimit.ResetTruncate, ratelimit.ResetFractional} {
				out = append(out, Case{Name: fmt.Sprintf("%s/%s/reset-%s/120-per-min/10s", alg, dialect, reset),
					Algorithm: alg, RPM: 120, Window: 10 * time.Second, Dialect: dialect, ResetRounding: reset})
			}
		}
		// 20 per 10 s read from X-RateLimit's whole-second resets: the advertised figure comes
		// from the resets alone.
		out = append(out, Case{Name: fmt.Sprintf("%s/x-ratelimit/120-per-min/10s", alg),
			Algorithm: alg, RPM: 120, Window: 10 * time.Second, Dialect: "x-ratelimit"})
	}
	return append(out,
		// The default mock: Anthropic's Tier 1 (50 RPM, 30,000 ITPM, 8,000 OTPM); its token
		// resets come round in whole seconds and its remaining in thousands.
		Case{Name: "tier-1-defaults/token-bucket/anthropic", Algorithm: limiter.TokenBucket, RPM: 50,
			ITPM: 30_000, OTPM: 8_000, Dialect: "anthropic"},
		Case{Name: "tier-1-defaults/token-bucket/anthropic/remaining-exact/reset-truncate", Algorithm: limiter.TokenBucket, RPM: 50,
			ITPM: 30_000, OTPM: 8_000, Dialect: "anthropic", RemainingRounding: ratelimit.RemainingExact, ResetRounding: ratelimit.ResetTruncate},
		Case{Name: "output-tokens-bind/token-bucket/anthropic/remaining-exact", Algorithm: limiter.TokenBucket, RPM: 6000, Window: 10 * time.Second,
			OTPM: 120_000, PromptTokens: 200, MaxTokens: 1000, Dialect: "anthropic", Dim: "output_tokens", RemainingRounding: ratelimit.RemainingExact},
		Case{Name: "output-tokens-bind/token-bucket/anthropic/reset-truncate", Algorithm: limiter.TokenBucket, RPM: 6000, Window: 10 * time.Second,
			OTPM: 120_000, PromptTokens: 200, MaxTokens: 1000, Dialect: "anthropic", Dim: "output_tokens", ResetRounding: ratelimit.ResetTruncate},
	)
}
