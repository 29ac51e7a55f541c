// Package threshold is a scenario's pass/fail thresholds (its expect: section): the conditions
// as written (Expect, Condition, Quantity), read from YAML or from run.json, and their
// evaluation against a run's summary.json, once, into summary.Threshold lines. A threshold on a
// figure the summary does not have fails: it never passes for want of a reading.
package threshold

import "github.com/ratelab/ratelab/summary"

// Expect holds a scenario's pass/fail thresholds (the `expect:` section). Each condition becomes
// one pass/fail line; a figure that is unknown fails its condition, so a misspelt or unmeasured
// threshold never passes silently.
type Expect struct {
	// Limits holds conditions on the inferred limits, per dimension.
	Limits LimitsExpect `yaml:"limits" json:"limits,omitzero"`
	// Binding is the dimension expected to bind the workload first (requests, tokens,
	// input_tokens or output_tokens).
	Binding string `yaml:"binding" json:"binding,omitempty"`
	// Accounting holds expectations on how the server meters tokens and rejections.
	Accounting AccountingExpect `yaml:"accounting" json:"accounting,omitzero"`
	// RateLimitedShare is the share of all attempts answered 429.
	RateLimitedShare *Condition `yaml:"rate_limited_share" json:"rate_limited_share,omitempty"`
	// ErrorShare is the share of all attempts that failed otherwise (5xx, 529, transport errors).
	ErrorShare *Condition `yaml:"error_share" json:"error_share,omitempty"`
	// Dropped is the number of open-model attempts the generator could not send on time.
	Dropped *Condition `yaml:"dropped" json:"dropped,omitempty"`
	// Strategies holds conditions per strategy label; the key "all" applies to every strategy.
	Strategies map[string]StrategyExpect `yaml:"strategies" json:"strategies,omitempty"`
}

// LimitsExpect holds per-dimension limit conditions.
type LimitsExpect struct {
	Requests     *LimitExpect `yaml:"requests" json:"requests,omitempty"`
	Tokens       *LimitExpect `yaml:"tokens" json:"tokens,omitempty"`
	InputTokens  *LimitExpect `yaml:"input_tokens" json:"input_tokens,omitempty"`
	OutputTokens *LimitExpect `yaml:"output_tokens" json:"output_tokens,omitempty"`
}

// Dimensions returns the dimension names thresholds use, in order.
func Dimensions() []string { return []string{"requests", "tokens", "input_tokens", "output_tokens"} }

// Algorithms lists the algorithm classes a limit threshold can expect (summary.Algorithms).
func Algorithms() []string { return summary.Algorithms() }

// ByDimension returns the limit conditions in the order of Dimensions (nil where none).
func (l *LimitsExpect) ByDimension() []*LimitExpect {
	return []*LimitExpect{l.Requests, l.Tokens, l.InputTokens, l.OutputTokens}
}

// LimitExpect holds the conditions on one dimension's inferred limit.
type LimitExpect struct {
	EffectivePerMinute  *Condition `yaml:"effective_per_minute" json:"effective_per_minute,omitempty"`
	AdvertisedPerMinute *Condition `yaml:"advertised_per_minute" json:"advertised_per_minute,omitempty"`
	Burst               *Condition `yaml:"burst" json:"burst,omitempty"`
	// Algorithm is the expected algorithm class: token-bucket, leaky-bucket, fixed-window,
	// sliding-window or unknown.
	Algorithm string `yaml:"algorithm" json:"algorithm,omitempty"`
	// Gap: true expects a reported gap between advertised and effective limits; false expects none.
	Gap *bool `yaml:"gap" json:"gap,omitempty"`
}

// AccountingExpect holds expectations on token and rejection accounting.
type AccountingExpect struct {
	// RejectedCount: rejected attempts consume quota.
	RejectedCount *bool `yaml:"rejected_count" json:"rejected_count,omitempty"`
	// OutputPrecharged: output tokens are charged at max_tokens up front.
	OutputPrecharged *bool `yaml:"output_precharged" json:"output_precharged,omitempty"`
}

// StrategyExpect holds the conditions on one strategy's results. With a sweep or mode both, a
// strategy has several result rows; every matching row must pass.
type StrategyExpect struct {
	// Mode restricts the conditions to live or sim rows; empty means every row.
	Mode             string     `yaml:"mode" json:"mode,omitempty"`
	Failed           *Condition `yaml:"failed" json:"failed,omitempty"`                         // logical requests that gave up
	RateLimitedShare *Condition `yaml:"rate_limited_share" json:"rate_limited_share,omitempty"` // 429s per attempt
	Amplification    *Condition `yaml:"amplification" json:"amplification,omitempty"`           // attempts per logical request
	Makespan         *Condition `yaml:"makespan" json:"makespan,omitempty"`                     // time to finish every request
	MakespanRatio    *Condition `yaml:"makespan_ratio" json:"makespan_ratio,omitempty"`         // makespan / its lower bound
	P50              *Condition `yaml:"p50" json:"p50,omitempty"`                               // completion latency
	P95              *Condition `yaml:"p95" json:"p95,omitempty"`
	P99              *Condition `yaml:"p99" json:"p99,omitempty"`
	MaxLatency       *Condition `yaml:"max_latency" json:"max_latency,omitempty"`
	Goodput          *Condition `yaml:"goodput_per_second" json:"goodput_per_second,omitempty"`
	Fairness         *Condition `yaml:"fairness" json:"fairness,omitempty"` // Jain's index, 0–1
}

// AllStrategies as a key of Expect.Strategies applies its conditions to every strategy.
const AllStrategies = "all"

// Kind says which quantities a figure accepts and how its values print.
type Kind uint8

// The kinds of figure.
const (
	Count   Kind = iota // a plain number
	Share               // a fraction: 0.1 or 10%
	Seconds             // seconds: 30 or 30s
)

// Metric binds a StrategyExpect field to its key, kind and figure.
type Metric struct {
	Key   string
	Kind  Kind
	Cond  *Condition // nil when the scenario sets none
	value func(st *summary.Strategy) *float64
}

// Metrics lists the strategy conditions in a fixed order.
func (e *StrategyExpect) Metrics() []Metric {
	return []Metric{
		{"failed", Count, e.Failed, func(st *summary.Strategy) *float64 { return count(st.Failed) }},
		{"rate_limited_share", Share, e.RateLimitedShare, func(st *summary.Strategy) *float64 { return share(st.RateLimited, st.Attempts) }},
		{"amplification", Count, e.Amplification, func(st *summary.Strategy) *float64 { return st.Amplification }},
		{"makespan", Seconds, e.Makespan, func(st *summary.Strategy) *float64 { return st.MakespanSeconds }},
		{"makespan_ratio", Count, e.MakespanRatio, func(st *summary.Strategy) *float64 {
			return ratio(st.MakespanSeconds, st.MakespanLowerBoundSeconds)
		}},
		{"p50", Seconds, e.P50, latency(func(l *summary.Latency) *float64 { return &l.P50 })},
		{"p95", Seconds, e.P95, latency(func(l *summary.Latency) *float64 { return &l.P95 })},
		{"p99", Seconds, e.P99, latency(func(l *summary.Latency) *float64 { return &l.P99 })},
		{"max_latency", Seconds, e.MaxLatency, latency(func(l *summary.Latency) *float64 { return &l.Max })},
		{"goodput_per_second", Count, e.Goodput, func(st *summary.Strategy) *float64 { return st.GoodputPerSecond }},
		{"fairness", Share, e.Fairness, func(st *summary.Strategy) *float64 { return st.Fairness }},
	}
}

// latency reads one figure of a strategy's latency distribution, nil when it has none.
func latency(f func(l *summary.Latency) *float64) func(st *summary.Strategy) *float64 {
	return func(st *summary.Strategy) *float64 {
		if st.Latency == nil {
			return nil
		}
		return f(st.Latency)
	}
}
