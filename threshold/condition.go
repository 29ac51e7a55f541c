package threshold

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

// ConditionExample shows the ways a condition can be written.
const ConditionExample = `{below: 30s}, {within: 5%, of: 50}, "< 0.1", ">= 40" or "within 5% of 50"`

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
		d.Fail(n, path, "must be a condition such as %s, got %s", ConditionExample, strictyaml.Describe(n))
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
		return Condition{}, fmt.Errorf("bad condition %s: write e.g. %s", strictyaml.Show(s), ConditionExample)
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
		lo, hi := c.Bounds()
		ok = ok && v >= lo && v <= hi
	}
	return ok
}

// Bounds returns the interval of Within/Of: Of ± Within, where a percentage Within is relative:
// tolerance = Within × |Of|.
func (c *Condition) Bounds() (lo, hi float64) {
	tol := c.Within.Value
	if c.Within.Kind == Percent {
		tol = c.Within.Value * math.Abs(c.Of.Value)
	}
	return c.Of.Value - tol, c.Of.Value + tol
}

// Part is one quantity of a condition, with its key.
type Part struct {
	Key string
	Q   *Quantity
}

// Parts lists the condition's quantities that are set, with their keys, for validation.
func (c *Condition) Parts() []Part {
	all := []Part{{"below", c.Below}, {"above", c.Above}, {"at_most", c.AtMost}, {"at_least", c.AtLeast},
		{"equals", c.Equals}, {"within", c.Within}, {"of", c.Of}}
	out := all[:0]
	for _, p := range all {
		if p.Q != nil {
			out = append(out, p)
		}
	}
	return out
}
