// Package accuracy is the accuracy suite of limit discovery: a matrix of mock limiters (every
// algorithm, with and without headers, at several limits and windows, plus the advertised-vs-
// enforced, count-rejected and token-heavy cases), each discovered by discover and analysed
// by infer, scored against the limit the mock really enforces, with the cost of the
// discovery. Cases run in virtual time with the simulator (sim); the tests of discover
// and infer and the table generator in bench/infer share it.
package accuracy

import (
	"fmt"
	"math"
	"time"

	"github.com/ratelab/ratelab/account"
	"github.com/ratelab/ratelab/discover"
	"github.com/ratelab/ratelab/infer"
	"github.com/ratelab/ratelab/limiter"
	"github.com/ratelab/ratelab/ratelimit"
	"github.com/ratelab/ratelab/record"
	"github.com/ratelab/ratelab/summary"
)

// Case is one mock configuration to discover.
type Case struct {
	Name      string
	Algorithm limiter.Algorithm
	RPM       int64
	Window    time.Duration
	Burst     int64  // bucket capacity (leaky: queue); 0: one window's quota
	Dialect   string // anthropic or none
	// CountRejected makes refused attempts consume quota.
	CountRejected bool
	// AdvertiseRPM, when set, is what the headers advertise (a 1-minute token bucket of that
	// size) while the limit above is enforced.
	AdvertiseRPM int64
	// Token workload and limits; zero limits are effectively unlimited.
	PromptTokens, MaxTokens int64
	ITPM, OTPM              int64
	OutputTokens            int64 // the mock's reply length (0: max_tokens)
	Precharge               bool  // output charged at max_tokens
	// Dim is the dimension scored (default requests).
	Dim string
	// The real-world variants of the limiter and its headers (zero: the mock's defaults).
	CounterRounding   limiter.CounterRounding
	WindowStart       limiter.WindowStart
	ResetRounding     ratelimit.ResetRounding
	RemainingRounding ratelimit.RemainingRounding
	// Acceleration turns on the mock's model of acceleration limits; Ramp holds discovery to
	// a gentle ramp (discover.Options.Ramp).
	Acceleration *account.Acceleration
	Ramp         *discover.Ramp
	// MaxDuration bounds the case (default: four windows plus 40 s).
	MaxDuration time.Duration
}

// Truth is what the mock enforces, as the suite scores it.
type Truth struct {
	PerMinute float64 // sustained rate in the scored dimension's units
	Burst     float64 // admitted at once from rest; 0 when the class has none to score
	Class     string  // expected algorithm class
	WindowS   float64 // the window (a bucket's: the time to refill its capacity)
	Quota     float64 // per window (a bucket's capacity), in the scored units
}

func (c Case) dim() string {
	if c.Dim == "" {
		return "requests"
	}
	return c.Dim
}

// quota is floor(rate × window / 1m), as the mock computes it.
func quota(perMin int64, w time.Duration) float64 {
	return math.Floor(float64(perMin) * w.Seconds() / 60)
}

// Truth returns the enforced limit: the configured rate, except Cloudflare's counter, which
// admits q−1 per window under saturation; the burst is the bucket (leaky: queue + 1) or quota.
func (c Case) Truth() Truth {
	w := c.Window
	if w == 0 {
		w = time.Minute
	}
	rate, alg := c.RPM, c.Algorithm
	switch c.dim() {
	case "input_tokens":
		rate = c.ITPM
	case "output_tokens":
		rate = c.OTPM
	}
	q := quota(rate, w)
	t := Truth{PerMinute: float64(rate), WindowS: w.Seconds(), Quota: q}
	switch alg {
	case limiter.TokenBucket, limiter.GCRA:
		t.Class, t.Burst = summary.AlgoTokenBucket, q
		if c.Burst > 0 {
			// A bucket's window is the time it takes to refill: its capacity over its rate.
			t.Burst, t.Quota = float64(c.Burst), float64(c.Burst)
			t.WindowS = float64(c.Burst) * 60 / float64(rate)
		}
	case limiter.LeakyBucket:
		t.Class, t.Burst = summary.AlgoLeakyBucket, q+1
		if c.Burst > 0 {
			t.Burst = float64(c.Burst + 1)
		}
	case limiter.FixedWindow:
		t.Class = summary.AlgoFixedWindow
		t.PerMinute = q * 60 / w.Seconds()
	case limiter.SlidingLog:
		t.Class = summary.AlgoSlidingWindow
		t.PerMinute = q * 60 / w.Seconds()
	case limiter.SlidingWindow:
		t.Class = summary.AlgoSlidingWindow
		t.PerMinute = q * 60 / w.Seconds()
		if c.CounterRounding == limiter.RoundFractional {
			// The share never reaches zero before a window ends: Limit − 1 per window (for
			// a quota of 1, one every other window).
			t.PerMinute = max(q-1, 0.5) * 60 / w.Seconds()
		}
	}
	return t
}

// Config returns the mock configuration of the case.
func (c Case) Config() account.Config {
	cfg := account.DefaultConfig()
	cfg.Algorithm = c.Algorithm
	if c.Window > 0 {
		cfg.Window = c.Window
	}
	cfg.Dialect = c.Dialect
	cfg.CountRejected = c.CountRejected
	cfg.Acceleration = c.Acceleration
	cfg.CounterRounding, cfg.WindowStart = c.CounterRounding, c.WindowStart
	cfg.ResetRounding, cfg.RemainingRounding = c.ResetRounding, c.RemainingRounding
	cfg.Limits.Requests = account.Limit{PerMinute: c.RPM}
	if c.Burst > 0 {
		b := c.Burst
		cfg.Limits.Requests.Burst = &b
	}
	if c.AdvertiseRPM > 0 {
		cfg.Limits.Requests.Advertise = &account.Limit{PerMinute: c.AdvertiseRPM, Algorithm: limiter.TokenBucket, Window: time.Minute}
	}
	cfg.Limits.InputTokens = account.Limit{PerMinute: orDefault(c.ITPM, bigLimit)}
	cfg.Limits.OutputTokens = account.Limit{PerMinute: orDefault(c.OTPM, bigLimit)}
	cfg.OutputTokens = c.OutputTokens
	if c.Precharge {
		cfg.OutputAccounting = account.AccountMaxTokens
	}
	return cfg
}

func orDefault(v, d int64) int64 {
	if v == 0 {
		return d
	}
	return v
}

// maxDuration is the case's time bound.
func (c Case) maxDuration() time.Duration {
	if c.MaxDuration > 0 {
		return c.MaxDuration
	}
	w := c.Window
	if w == 0 {
		w = time.Minute
	}
	return 4*w + 40*time.Second
}

// Outcome is one case's result and score.
type Outcome struct {
	Case   Case
	Seed   int64
	Truth  Truth
	Limit  summary.Limit // the scored dimension
	Result infer.Result
	Report discover.Report

	Requests, Limited int64
	Seconds           float64
	// CostRequests and CostSeconds are the discovery's requests and time against the goal of
	// two windows' worth of requests (in the scored dimension's units, converted at what an
	// admitted request takes of it) and three windows of time: 1 is on the goal.
	CostRequests, CostSeconds float64
	// RateErr and BurstErr are relative errors (NaN when not measured).
	RateErr, BurstErr float64
	ClassOK           bool
	Tolerance         float64 // allowed relative rate error
	Pass              bool
	Why               []string // what failed
	// Words: the gap (advertised vs enforced) or count-rejected sentence the case expects, and
	// whether the result says it.
	Words, WordsOK bool
	// RateOK: the effective rate is within Tolerance of the truth. Covered: the reported
	// interval [effective_low, effective_high] holds it.
	RateOK, Covered bool
	// AdvertisedOK: every dimension's advertised figure is within 1% of its limit header per
	// the dialect's period; AdvertisedWhy says which is not.
	AdvertisedOK  bool
	AdvertisedWhy []string
}

// advertisedTolerance is how far an advertised figure may be from the limit header.
const advertisedTolerance = 0.01

// Advertised returns what the mock's limit header for dimension dim says, per minute by its
// dialect's period (anthropic and openai write the rate per minute; the others the quota per
// window, which the IETF fields state and X-RateLimit's resets show), and whether the dialect
// writes one.
func (c Case) Advertised(dim string) (float64, bool) {
	w := c.Window
	if w == 0 {
		w = time.Minute
	}
	var rate int64
	switch dim {
	case "requests":
		rate = c.RPM
		if c.AdvertiseRPM > 0 {
			rate, w = c.AdvertiseRPM, time.Minute
		}
	case "input_tokens":
		rate = orDefault(c.ITPM, bigLimit)
	case "output_tokens":
		rate = orDefault(c.OTPM, bigLimit)
	default:
		return 0, false // the combined limit is off in every case
	}
	q := quota(rate, w)
	switch c.Dialect {
	case "anthropic":
		return float64(rate), true
	case "openai":
		return float64(rate), dim == "requests"
	case "ietf":
		return q * 60 / w.Seconds(), true
	case "x-ratelimit":
		return q * 60 / w.Seconds(), dim == "requests"
	}
	return 0, false
}

// bigLimit is the token limit of a case that sets none: effectively unlimited.
const bigLimit = int64(1_000_000_000)

// Score compares a result with the case's truth.
func Score(c Case, res infer.Result, rep discover.Report, recs []record.Attempt, elapsed time.Duration) Outcome {
	o := Outcome{Case: c, Truth: c.Truth(), Result: res, Report: rep, Seconds: elapsed.Seconds(),
		RateErr: math.NaN(), BurstErr: math.NaN()}
	for i := range recs {
		o.Requests++
		if recs[i].Status == 429 {
			o.Limited++
		}
	}
	for _, l := range res.Limits {
		if l.Dimension == c.dim() {
			o.Limit = l
		}
	}
	o.Tolerance = 0.05
	if c.Dialect != "none" && c.dim() == "requests" {
		o.Tolerance = 0.03
	}
	l := o.Limit
	if l.EffectivePerMinute == nil {
		o.Why = append(o.Why, "no effective rate")
	} else {
		o.RateErr = *l.EffectivePerMinute/o.Truth.PerMinute - 1
		o.RateOK = math.Abs(o.RateErr) <= o.Tolerance
		if !o.RateOK {
			o.Why = append(o.Why, fmt.Sprintf("rate off by %+.1f%%", 100*o.RateErr))
		}
	}
	// The interval's ends are rounded to hundredths in summary.json.
	if l.EffectiveLow != nil && l.EffectiveHigh != nil {
		o.Covered = *l.EffectiveLow-0.005 <= o.Truth.PerMinute && o.Truth.PerMinute <= *l.EffectiveHigh+0.005
	}
	o.AdvertisedOK = true
	for _, lim := range res.Limits {
		want, ok := c.Advertised(lim.Dimension)
		if !ok {
			continue
		}
		switch {
		case lim.AdvertisedPerMinute == nil:
			o.AdvertisedWhy = append(o.AdvertisedWhy, fmt.Sprintf("%s advertised unknown, header says %s/min", lim.Dimension, num(want)))
		case math.Abs(*lim.AdvertisedPerMinute/want-1) > advertisedTolerance:
			o.AdvertisedWhy = append(o.AdvertisedWhy, fmt.Sprintf("%s advertised %s/min, header says %s/min", lim.Dimension, num(*lim.AdvertisedPerMinute), num(want)))
		}
	}
	if len(o.AdvertisedWhy) > 0 {
		o.AdvertisedOK = false
		o.Why = append(o.Why, o.AdvertisedWhy...)
	}
	if o.Truth.Burst > 0 && c.dim() == "requests" {
		if l.Burst == nil {
			o.Why = append(o.Why, "no burst")
		} else {
			o.BurstErr = *l.Burst/o.Truth.Burst - 1
			if math.Abs(o.BurstErr) > 0.10 {
				o.Why = append(o.Why, fmt.Sprintf("burst %g, want %g", *l.Burst, o.Truth.Burst))
			}
		}
	}
	o.ClassOK = l.Algorithm == o.Truth.Class
	if !o.ClassOK && c.dim() == "requests" {
		o.Why = append(o.Why, fmt.Sprintf("algorithm %s, want %s", l.Algorithm, o.Truth.Class))
	}
	switch {
	case c.AdvertiseRPM > 0:
		o.Words = true
		o.WordsOK = l.Gap != ""
	case c.CountRejected:
		o.Words = true
		rc := res.Accounting.RejectedCount
		o.WordsOK = rc != nil && *rc && res.Accounting.Evidence != ""
	}
	if o.Words && !o.WordsOK {
		o.Why = append(o.Why, "the expected sentence is missing")
	}
	o.Pass = len(o.Why) == 0
	o.CostRequests = float64(o.Requests) / math.Max(2*o.Truth.Quota/c.unitsPerRequest(res.Accounting), 1)
	o.CostSeconds = o.Seconds / (3 * o.Truth.WindowS)
	return o
}

// unitsPerRequest is what an admitted request takes of the scored dimension: one request, its
// input tokens, or its output (max_tokens where output is charged up front), as the analysis
// measured them.
func (c Case) unitsPerRequest(acc summary.Accounting) float64 {
	out := acc.MeanOutputTokens
	if c.Precharge {
		out = float64(c.MaxTokens)
	}
	switch c.dim() {
	case "input_tokens":
		return math.Max(acc.MeanInputTokens, 1)
	case "output_tokens":
		return math.Max(out, 1)
	case "tokens":
		return math.Max(acc.MeanInputTokens+out, 1)
	}
	return 1
}

// WithinBudget reports whether the discovery stayed within its goal: two windows' worth of
// requests and three windows of time, as the table rounds them (1.0× or less).
func (o Outcome) WithinBudget() bool {
	return math.Round(10*o.CostRequests) <= 10 && math.Round(10*o.CostSeconds) <= 10
}

// MaxCost is the larger of the discovery's two costs against the goal.
func (o Outcome) MaxCost() float64 { return math.Max(o.CostRequests, o.CostSeconds) }
