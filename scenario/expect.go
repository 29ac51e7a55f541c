package scenario

import (
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/ratelab/ratelab/internal/strictyaml"
	"go.yaml.in/yaml/v3"
)

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

// Dimensions are the dimension names results and thresholds use, in order.
var Dimensions = []string{"requests", "tokens", "input_tokens", "output_tokens"}

func (l *LimitsExpect) byDimension() []*LimitExpect {
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

// metricKind says which quantities a metric accepts and how its values print.
type metricKind uint8

const (
	kindCount   metricKind = iota // a plain number
	kindShare                     // a fraction: 0.1 or 10%
	kindSeconds                   // seconds: 30 or 30s
)

// strategyMetric binds a StrategyExpect field to its key, kind and result value.
type strategyMetric struct {
	key   string
	kind  metricKind
	cond  *Condition
	value func(r *StrategyResult) *float64
}

func (e *StrategyExpect) metrics() []strategyMetric {
	return []strategyMetric{
		{"failed", kindCount, e.Failed, func(r *StrategyResult) *float64 { return count(r.Failed) }},
		{"rate_limited_share", kindShare, e.RateLimitedShare, func(r *StrategyResult) *float64 { return share(r.RateLimited, r.Attempts) }},
		{"amplification", kindCount, e.Amplification, func(r *StrategyResult) *float64 { return r.Amplification }},
		{"makespan", kindSeconds, e.Makespan, func(r *StrategyResult) *float64 { return r.MakespanSeconds }},
		{"makespan_ratio", kindCount, e.MakespanRatio, func(r *StrategyResult) *float64 { return ratio(r.MakespanSeconds, r.MakespanLowerBoundSeconds) }},
		{"p50", kindSeconds, e.P50, func(r *StrategyResult) *float64 { return r.P50 }},
		{"p95", kindSeconds, e.P95, func(r *StrategyResult) *float64 { return r.P95 }},
		{"p99", kindSeconds, e.P99, func(r *StrategyResult) *float64 { return r.P99 }},
		{"max_latency", kindSeconds, e.MaxLatency, func(r *StrategyResult) *float64 { return r.Max }},
		{"goodput_per_second", kindCount, e.Goodput, func(r *StrategyResult) *float64 { return r.GoodputPerSecond }},
		{"fairness", kindShare, e.Fairness, func(r *StrategyResult) *float64 { return r.Fairness }},
	}
}

// QuantityKind says how a threshold quantity was written.
type QuantityKind uint8

// The ways a quantity can be written.
const (
	Number   QuantityKind = iota // 50, 0.1
	Percent                      // 5% (Value holds 0.05)
	Interval                     // 30s, 1m (Value holds seconds)
)

// Quantity is a number in a threshold, as written: a plain number, a percentage or a duration.
type Quantity struct {
	Value float64 // the number; a fraction for Percent, seconds for Interval
	Kind  QuantityKind
	Text  string // as written
}

// MarshalText writes the quantity as written.
func (q Quantity) MarshalText() ([]byte, error) { return []byte(q.Text), nil }

// UnmarshalText reads the quantity as MarshalText wrote it (ParseQuantity), so thresholds
// recorded in run.json can be evaluated again when a report is re-rendered.
func (q *Quantity) UnmarshalText(b []byte) error {
	v, err := ParseQuantity(string(b))
	if err != nil {
		return err
	}
	*q = v
	return nil
}

// ParseQuantity reads "50", "0.1", "5%" or "30s".
func ParseQuantity(s string) (Quantity, error) {
	t := strings.TrimSpace(s)
	if p, ok := strings.CutSuffix(t, "%"); ok {
		f, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return Quantity{}, fmt.Errorf("bad percentage %s: write e.g. 5%%", strictyaml.Show(s))
		}
		return Quantity{Value: f / 100, Kind: Percent, Text: t}, nil
	}
	if f, err := strconv.ParseFloat(t, 64); err == nil && !math.IsNaN(f) && !math.IsInf(f, 0) {
		return Quantity{Value: f, Kind: Number, Text: t}, nil
	}
	if d, err := time.ParseDuration(t); err == nil {
		return Quantity{Value: d.Seconds(), Kind: Interval, Text: t}, nil
	}
	return Quantity{}, fmt.Errorf("bad value %s: want a number (50), a percentage (5%%) or a duration (30s)", strictyaml.Show(t))
}

func (q *Quantity) DecodeYAML(d *strictyaml.Decoder, n *yaml.Node, path string) {
	if n.Kind != yaml.ScalarNode || strictyaml.IsNull(n) {
		d.Fail(n, path, "must be a number (50), a percentage (5%%) or a duration (30s), got %s", strictyaml.Describe(n))
		return
	}
	v, err := ParseQuantity(n.Value)
	if err != nil {
		d.Fail(n, path, "%v", err)
		return
	}
	*q = v
}

// Condition is one threshold on a figure: any of Below (<), Above (>), AtMost (≤), AtLeast (≥),
// Equals, or Within a tolerance Of a value (Within as a percentage of Of, or absolute). In YAML
// it is a mapping ({below: 30s}, {within: 5%, of: 50}), or a short string ("< 30s", ">= 40",
// "within 5% of 50"), or a bare value meaning equals.
type Condition struct {
	Below   *Quantity `yaml:"below" json:"below,omitempty"`
	Above   *Quantity `yaml:"above" json:"above,omitempty"`
	AtMost  *Quantity `yaml:"at_most" json:"at_most,omitempty"`
	AtLeast *Quantity `yaml:"at_least" json:"at_least,omitempty"`
	Equals  *Quantity `yaml:"equals" json:"equals,omitempty"`
	Within  *Quantity `yaml:"within" json:"within,omitempty"`
	Of      *Quantity `yaml:"of" json:"of,omitempty"`
}

const conditionExample = `{below: 30s}, {within: 5%, of: 50}, "< 0.1", ">= 40" or "within 5% of 50"`

func (c *Condition) DecodeYAML(d *strictyaml.Decoder, n *yaml.Node, path string) {
	switch {
	case n.Kind == yaml.MappingNode:
		d.Struct(n, reflect.ValueOf(c).Elem(), path)
	case n.Kind == yaml.ScalarNode && !strictyaml.IsNull(n):
		v, err := ParseCondition(n.Value)
		if err != nil {
			d.Fail(n, path, "%v", err)
			return
		}
		*c = v
	default:
		d.Fail(n, path, "must be a condition such as %s, got %s", conditionExample, strictyaml.Describe(n))
	}
}

// ParseCondition reads the short form of a condition: "< 30s", "<= 2", "> 0.9", ">= 40",
// "== 50" (or a bare value), or "within 5% of 50".
func ParseCondition(s string) (Condition, error) {
	t := strings.TrimSpace(s)
	if rest, ok := strings.CutPrefix(t, "within "); ok {
		w, o, ok := strings.Cut(rest, " of ")
		if !ok {
			return Condition{}, fmt.Errorf("bad condition %s: write e.g. \"within 5%% of 50\"", strictyaml.Show(s))
		}
		wq, err := ParseQuantity(w)
		if err != nil {
			return Condition{}, err
		}
		oq, err := ParseQuantity(o)
		if err != nil {
			return Condition{}, err
		}
		return Condition{Within: &wq, Of: &oq}, nil
	}
	ops := []struct {
		op  string
		set func(c *Condition, q *Quantity)
	}{
		{"<=", func(c *Condition, q *Quantity) { c.AtMost = q }},
		{">=", func(c *Condition, q *Quantity) { c.AtLeast = q }},
		{"==", func(c *Condition, q *Quantity) { c.Equals = q }},
		{"<", func(c *Condition, q *Quantity) { c.Below = q }},
		{">", func(c *Condition, q *Quantity) { c.Above = q }},
		{"=", func(c *Condition, q *Quantity) { c.Equals = q }},
	}
	for _, o := range ops {
		if rest, ok := strings.CutPrefix(t, o.op); ok {
			q, err := ParseQuantity(rest)
			if err != nil {
				return Condition{}, fmt.Errorf("bad condition %s: %v", strictyaml.Show(s), err)
			}
			var c Condition
			o.set(&c, &q)
			return c, nil
		}
	}
	q, err := ParseQuantity(t)
	if err != nil {
		return Condition{}, fmt.Errorf("bad condition %s: write e.g. %s", strictyaml.Show(s), conditionExample)
	}
	return Condition{Equals: &q}, nil
}

// String writes the condition in its short form, e.g. "< 30s" or "within 5% of 50"; several
// parts are joined with " and ".
func (c *Condition) String() string {
	var parts []string
	add := func(op string, q *Quantity) {
		if q != nil {
			parts = append(parts, op+" "+q.Text)
		}
	}
	add("<", c.Below)
	add(">", c.Above)
	add("<=", c.AtMost)
	add(">=", c.AtLeast)
	add("==", c.Equals)
	if c.Within != nil && c.Of != nil {
		parts = append(parts, "within "+c.Within.Text+" of "+c.Of.Text)
	}
	return strings.Join(parts, " and ")
}

// Holds reports whether v satisfies every part of the condition. Equality allows a relative
// error of 1e-9 (floating point).
func (c *Condition) Holds(v float64) bool {
	ok := true
	if c.Below != nil {
		ok = ok && v < c.Below.Value
	}
	if c.Above != nil {
		ok = ok && v > c.Above.Value
	}
	if c.AtMost != nil {
		ok = ok && v <= c.AtMost.Value
	}
	if c.AtLeast != nil {
		ok = ok && v >= c.AtLeast.Value
	}
	if c.Equals != nil {
		ok = ok && math.Abs(v-c.Equals.Value) <= 1e-9*max(1, math.Abs(c.Equals.Value))
	}
	if c.Within != nil && c.Of != nil {
		lo, hi := c.bounds()
		ok = ok && v >= lo && v <= hi
	}
	return ok
}

// bounds returns the interval of Within/Of: Of ± Within, where a percentage Within is relative:
// tolerance = Within × |Of|.
func (c *Condition) bounds() (lo, hi float64) {
	tol := c.Within.Value
	if c.Within.Kind == Percent {
		tol = c.Within.Value * math.Abs(c.Of.Value)
	}
	return c.Of.Value - tol, c.Of.Value + tol
}

// parts lists the condition's quantities with their keys, for validation.
func (c *Condition) parts() []struct {
	key string
	q   *Quantity
} {
	all := []struct {
		key string
		q   *Quantity
	}{{"below", c.Below}, {"above", c.Above}, {"at_most", c.AtMost}, {"at_least", c.AtLeast},
		{"equals", c.Equals}, {"within", c.Within}, {"of", c.Of}}
	out := all[:0]
	for _, p := range all {
		if p.q != nil {
			out = append(out, p)
		}
	}
	return out
}
