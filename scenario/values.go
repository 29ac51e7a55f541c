package scenario

import (
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Duration is a time.Duration written as a Go duration string ("30s", "1m30s", "250ms") in
// YAML and JSON.
type Duration time.Duration

// Std returns the duration as a time.Duration.
func (x Duration) Std() time.Duration { return time.Duration(x) }

// String returns the Go duration form, e.g. "1m30s".
func (x Duration) String() string { return time.Duration(x).String() }

// MarshalText writes the Go duration form.
func (x Duration) MarshalText() ([]byte, error) { return []byte(x.String()), nil }

// UnmarshalText reads a Go duration.
func (x *Duration) UnmarshalText(b []byte) error {
	if string(b) == "0" {
		*x = 0
		return nil
	}
	d, err := time.ParseDuration(string(b))
	if err != nil {
		return fmt.Errorf("bad duration %q: want a Go duration such as 30s", b)
	}
	*x = Duration(d)
	return nil
}

func (x *Duration) decodeNode(d *decoder, n *yaml.Node, path string) {
	if isNull(n) {
		return
	}
	if v, ok := d.duration(n, path); ok {
		*x = Duration(v)
	}
}

// Rate is a request rate as written: "5/s", "300/m", "2/h", "10/1s", "1/500ms". It is kept as
// text, the engine parses it; Options.CheckRate (or ParseRate) validates it.
type Rate string

func (r *Rate) decodeNode(d *decoder, n *yaml.Node, path string) {
	if isNull(n) {
		return
	}
	if n.Kind != yaml.ScalarNode {
		d.fail(n, path, "must be a rate such as 5/s or 300/m, got %s", describe(n))
		return
	}
	*r = Rate(strings.TrimSpace(n.Value))
}

// rateExample is shown with every bad rate.
const rateExample = "write N/s, N/m, N/h, N/<duration> or a bare N (per second), e.g. 5/s, 300/m, 10/1s"

// ParseRate reads a rate "N/unit" and returns it per second. N is a number of at least 0; the
// unit is s, m, h, ms or a Go duration (1s, 10s, 500ms): rate = N / unit. A bare N means N per
// second, as the --rate flag reads it.
func ParseRate(s string) (perSecond float64, err error) {
	num, unit, hasUnit := strings.Cut(strings.TrimSpace(s), "/")
	n, err := strconv.ParseFloat(strings.TrimSpace(num), 64)
	if err != nil || n < 0 || math.IsInf(n, 0) || math.IsNaN(n) {
		return 0, fmt.Errorf("bad rate %s: the count must be a number of at least 0; %s", show(s), rateExample)
	}
	if !hasUnit {
		return n, nil
	}
	var per time.Duration
	switch unit = strings.TrimSpace(unit); unit {
	case "s":
		per = time.Second
	case "m", "min":
		per = time.Minute
	case "h":
		per = time.Hour
	case "ms":
		per = time.Millisecond
	default:
		per, err = time.ParseDuration(unit)
		if err != nil || per <= 0 {
			return 0, fmt.Errorf("bad rate %s: unknown unit %s; %s", show(s), show(unit), rateExample)
		}
	}
	return n / per.Seconds(), nil
}

// Stage is one k6-style stage: ramp linearly from the previous rate to Target over Duration.
type Stage struct {
	Duration Duration `yaml:"duration" json:"duration"`
	Target   Rate     `yaml:"target" json:"target"`
}

// Stages is a list of stages, written in YAML either as the --stages flag string
// ("30s:5/s,60s:20/s") or as a list of {duration, target}. Its text form is the flag string.
type Stages []Stage

// String returns the --stages flag form, e.g. "30s:5/s,60s:20/s".
func (st Stages) String() string {
	parts := make([]string, len(st))
	for i, s := range st {
		parts[i] = s.Duration.String() + ":" + string(s.Target)
	}
	return strings.Join(parts, ",")
}

// MarshalText writes the --stages flag form.
func (st Stages) MarshalText() ([]byte, error) { return []byte(st.String()), nil }

// UnmarshalText reads the --stages flag form.
func (st *Stages) UnmarshalText(b []byte) error {
	out, err := ParseStages(string(b))
	if err != nil {
		return err
	}
	*st = out
	return nil
}

// MaxStages bounds the number of stages of one probe phase.
const MaxStages = 1000

// ParseStages reads the --stages flag form "30s:5/s,60s:20/s" into stages. It checks the
// shape and the durations; rates are checked separately (CheckRate).
func ParseStages(s string) (Stages, error) {
	if strings.TrimSpace(s) == "" {
		return nil, fmt.Errorf("no stages: write DURATION:RATE,… e.g. 30s:5/s,60s:20/s")
	}
	parts := strings.Split(s, ",")
	if len(parts) > MaxStages {
		return nil, fmt.Errorf("%d stages: at most %d", len(parts), MaxStages)
	}
	var out Stages
	for i, part := range parts {
		ds, rs, ok := strings.Cut(strings.TrimSpace(part), ":")
		if !ok {
			return nil, fmt.Errorf("stage %d %s: want DURATION:RATE, e.g. 30s:5/s", i+1, show(part))
		}
		d, err := time.ParseDuration(strings.TrimSpace(ds))
		if err != nil {
			return nil, fmt.Errorf("stage %d %s: bad duration %s: want e.g. 30s:5/s", i+1, show(part), show(ds))
		}
		out = append(out, Stage{Duration: Duration(d), Target: Rate(strings.TrimSpace(rs))})
	}
	return out, nil
}

func (st *Stages) decodeNode(d *decoder, n *yaml.Node, path string) {
	switch {
	case isNull(n):
	case n.Kind == yaml.ScalarNode:
		out, err := ParseStages(n.Value)
		if err != nil {
			d.fail(n, path, "%v", err)
			return
		}
		*st = out
	case n.Kind == yaml.SequenceNode:
		v := reflect.ValueOf(st).Elem()
		d.sequence(n, v, path)
	default:
		d.fail(n, path, "must be a list of {duration, target} or a string such as 30s:5/s,60s:20/s, got %s", describe(n))
	}
}

// Clients is a client count, or several for a sweep. YAML: 50, [10, 50, 100] or "10,50,100".
type Clients []int

func (c *Clients) decodeNode(d *decoder, n *yaml.Node, path string) {
	const want = "must be a number of clients or a list of them for a sweep, e.g. 50 or [10, 50, 100]"
	switch {
	case isNull(n):
	case n.Kind == yaml.ScalarNode:
		if i, ok := intOf(n); ok {
			*c = Clients{int(min(max(i, math.MinInt32), math.MaxInt32))}
			return
		}
		var out Clients
		for part := range strings.SplitSeq(n.Value, ",") {
			i, err := strconv.Atoi(strings.TrimSpace(part))
			if err != nil {
				d.fail(n, path, "%s, got %s", want, show(n.Value))
				return
			}
			out = append(out, i)
		}
		*c = out
	case n.Kind == yaml.SequenceNode:
		out := make(Clients, len(n.Content))
		for i, item := range n.Content {
			p := fmt.Sprintf("%s[%d]", path, i)
			if item = d.resolve(item); item == nil {
				continue
			}
			d.pos[p] = position{item.Line, item.Column}
			v, ok := intOf(item)
			if !ok || v > math.MaxInt32 || v < math.MinInt32 {
				d.fail(item, p, "must be a whole number of clients, got %s", describe(item))
				continue
			}
			out[i] = int(v)
		}
		*c = out
	default:
		d.fail(n, path, "%s, got %s", want, describe(n))
	}
}

// AllStrategies in a strategy list stands for every strategy ratelab knows.
const AllStrategies = "all"

// Strategies is a list of strategies. YAML: `all`, a list of names and {name, label, params}
// entries, or a comma-separated string of names.
type Strategies []Strategy

func (s *Strategies) decodeNode(d *decoder, n *yaml.Node, path string) {
	switch {
	case isNull(n):
	case n.Kind == yaml.ScalarNode:
		var out Strategies
		for part := range strings.SplitSeq(n.Value, ",") {
			out = append(out, Strategy{Name: strings.TrimSpace(part)})
		}
		*s = out
	case n.Kind == yaml.SequenceNode:
		out := make(Strategies, len(n.Content))
		for i, item := range n.Content {
			p := fmt.Sprintf("%s[%d]", path, i)
			if r := deref(item); r != nil && r.Kind == yaml.ScalarNode && !isNull(r) {
				if r = d.resolve(item); r == nil {
					continue
				}
				d.pos[p] = position{r.Line, r.Column}
				d.pos[p+".name"] = position{r.Line, r.Column}
				out[i] = Strategy{Name: strings.TrimSpace(r.Value)}
				continue
			}
			d.value(item, reflect.ValueOf(&out[i]).Elem(), p)
		}
		*s = out
	default:
		d.fail(n, path, "must be a list of strategies (names or {name, params}) or all, got %s", describe(n))
	}
}

// decodeNode reads a strategy written as its name (`full-jitter`) or as {name, label, params}.
func (s *Strategy) decodeNode(d *decoder, n *yaml.Node, path string) {
	switch {
	case isNull(n):
	case n.Kind == yaml.ScalarNode:
		d.pos[path+".name"] = position{n.Line, n.Column}
		*s = Strategy{Name: strings.TrimSpace(n.Value)}
	case n.Kind == yaml.MappingNode:
		d.structure(n, reflect.ValueOf(s).Elem(), path)
	default:
		d.fail(n, path, "must be a strategy name or {name, label, params}, got %s", describe(n))
	}
}

// Params are a strategy's parameters: numbers, durations ("30s" stays a string), strings and
// booleans, by parameter name.
type Params map[string]any

func (p *Params) decodeNode(d *decoder, n *yaml.Node, path string) {
	if isNull(n) {
		return
	}
	if n.Kind != yaml.MappingNode {
		d.fail(n, path, "must be a mapping of parameter: value, got %s", describe(n))
		return
	}
	out := Params{}
	seen := map[string]*yaml.Node{}
	for _, kv := range d.pairs(n, path, 0) {
		key, ok := d.keyOf(kv[0], path)
		if !ok {
			continue
		}
		if first, dup := seen[key]; dup {
			if isOwnKey(n, kv[0]) {
				d.fail(kv[0], path, "parameter %q given twice (first at line %d)", key, first.Line)
			}
			continue
		}
		seen[key] = kv[0]
		p := join(path, key)
		v := d.resolve(kv[1])
		if v == nil {
			continue
		}
		d.pos[p] = position{v.Line, v.Column}
		if v.Kind != yaml.ScalarNode || isNull(v) {
			d.fail(v, p, "must be a number, duration, string or true/false, got %s", describe(v))
			continue
		}
		var x any
		if err := v.Decode(&x); err != nil {
			d.fail(v, p, "cannot read %s", show(v.Value))
			continue
		}
		out[key] = x
	}
	*p = out
}
