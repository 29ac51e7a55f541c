package scenario

import (
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/ratelab/ratelab/internal/strictyaml"
	"github.com/ratelab/ratelab/threshold"
	"github.com/ratelab/ratelab/workload"
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

func (x *Duration) DecodeYAML(d *strictyaml.Decoder, n *yaml.Node, path string) {
	if strictyaml.IsNull(n) {
		return
	}
	if v, ok := d.Duration(n, path); ok {
		*x = Duration(v)
	}
}

// Rate is a request rate as written: "5/s", "300/m", "2/h", "10/1s", "1/500ms". It is kept as
// text, as written, and parsed by workload.ParseRate (Parse).
type Rate string

func (r *Rate) DecodeYAML(d *strictyaml.Decoder, n *yaml.Node, path string) {
	if strictyaml.IsNull(n) {
		return
	}
	if n.Kind != yaml.ScalarNode {
		d.Fail(n, path, "must be a rate such as 5/s or 300/m, got %s", strictyaml.Describe(n))
		return
	}
	*r = Rate(strings.TrimSpace(n.Value))
}

// Parse reads the rate (workload.ParseRate).
func (r Rate) Parse() (workload.Rate, error) { return workload.ParseRate(string(r)) }

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
// shape and the durations; rates are checked separately (Rate.Parse).
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
			return nil, fmt.Errorf("stage %d %s: want DURATION:RATE, e.g. 30s:5/s", i+1, strictyaml.Show(part))
		}
		d, err := time.ParseDuration(strings.TrimSpace(ds))
		if err != nil {
			return nil, fmt.Errorf("stage %d %s: bad duration %s: want e.g. 30s:5/s", i+1, strictyaml.Show(part), strictyaml.Show(ds))
		}
		out = append(out, Stage{Duration: Duration(d), Target: Rate(strings.TrimSpace(rs))})
	}
	return out, nil
}

func (st *Stages) DecodeYAML(d *strictyaml.Decoder, n *yaml.Node, path string) {
	switch {
	case strictyaml.IsNull(n):
	case n.Kind == yaml.ScalarNode:
		out, err := ParseStages(n.Value)
		if err != nil {
			d.Fail(n, path, "%v", err)
			return
		}
		*st = out
	case n.Kind == yaml.SequenceNode:
		v := reflect.ValueOf(st).Elem()
		d.Sequence(n, v, path)
	default:
		d.Fail(n, path, "must be a list of {duration, target} or a string such as 30s:5/s,60s:20/s, got %s", strictyaml.Describe(n))
	}
}

// Clients is a client count, or several for a sweep. YAML: 50, [10, 50, 100] or "10,50,100".
type Clients []int

func (c *Clients) DecodeYAML(d *strictyaml.Decoder, n *yaml.Node, path string) {
	const want = "must be a number of clients or a list of them for a sweep, e.g. 50 or [10, 50, 100]"
	switch {
	case strictyaml.IsNull(n):
	case n.Kind == yaml.ScalarNode:
		if i, ok := strictyaml.Int(n); ok {
			*c = Clients{int(min(max(i, math.MinInt32), math.MaxInt32))}
			return
		}
		var out Clients
		for part := range strings.SplitSeq(n.Value, ",") {
			i, err := strconv.Atoi(strings.TrimSpace(part))
			if err != nil {
				d.Fail(n, path, "%s, got %s", want, strictyaml.Show(n.Value))
				return
			}
			out = append(out, i)
		}
		*c = out
	case n.Kind == yaml.SequenceNode:
		out := make(Clients, len(n.Content))
		for i, item := range n.Content {
			p := fmt.Sprintf("%s[%d]", path, i)
			if item = d.Resolve(item); item == nil {
				continue
			}
			d.Mark(p, item)
			v, ok := strictyaml.Int(item)
			if !ok || v > math.MaxInt32 || v < math.MinInt32 {
				d.Fail(item, p, "must be a whole number of clients, got %s", strictyaml.Describe(item))
				continue
			}
			out[i] = int(v)
		}
		*c = out
	default:
		d.Fail(n, path, "%s, got %s", want, strictyaml.Describe(n))
	}
}

// AllStrategies in a strategy list stands for every strategy ratelab knows (and, as a key of
// expect.strategies, for every strategy entry).
const AllStrategies = threshold.AllStrategies

// Strategies is a list of strategies. YAML: `all`, a list of names and {name, label, params}
// entries, or a comma-separated string of names.
type Strategies []Strategy

func (s *Strategies) DecodeYAML(d *strictyaml.Decoder, n *yaml.Node, path string) {
	switch {
	case strictyaml.IsNull(n):
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
			if r := strictyaml.Deref(item); r != nil && r.Kind == yaml.ScalarNode && !strictyaml.IsNull(r) {
				if r = d.Resolve(item); r == nil {
					continue
				}
				d.Mark(p, r)
				d.Mark(p+".name", r)
				out[i] = Strategy{Name: strings.TrimSpace(r.Value)}
				continue
			}
			d.Value(item, reflect.ValueOf(&out[i]).Elem(), p)
		}
		*s = out
	default:
		d.Fail(n, path, "must be a list of strategies (names or {name, params}) or all, got %s", strictyaml.Describe(n))
	}
}

// decodeNode reads a strategy written as its name (`full-jitter`) or as {name, label, params}.
func (s *Strategy) DecodeYAML(d *strictyaml.Decoder, n *yaml.Node, path string) {
	switch {
	case strictyaml.IsNull(n):
	case n.Kind == yaml.ScalarNode:
		d.Mark(path+".name", n)
		*s = Strategy{Name: strings.TrimSpace(n.Value)}
	case n.Kind == yaml.MappingNode:
		d.Struct(n, reflect.ValueOf(s).Elem(), path)
	default:
		d.Fail(n, path, "must be a strategy name or {name, label, params}, got %s", strictyaml.Describe(n))
	}
}

// Params are a strategy's parameters: numbers, durations ("30s" stays a string), strings and
// booleans, by parameter name.
type Params map[string]any

func (p *Params) DecodeYAML(d *strictyaml.Decoder, n *yaml.Node, path string) {
	if strictyaml.IsNull(n) {
		return
	}
	if n.Kind != yaml.MappingNode {
		d.Fail(n, path, "must be a mapping of parameter: value, got %s", strictyaml.Describe(n))
		return
	}
	out := Params{}
	for _, e := range d.Entries(n, path, "parameter") {
		key := e.Key
		p := strictyaml.Join(path, key)
		v := d.Resolve(e.Value)
		if v == nil {
			continue
		}
		d.Mark(p, v)
		if v.Kind != yaml.ScalarNode || strictyaml.IsNull(v) {
			d.Fail(v, p, "must be a number, duration, string or true/false, got %s", strictyaml.Describe(v))
			continue
		}
		var x any
		if err := v.Decode(&x); err != nil {
			d.Fail(v, p, "cannot read %s", strictyaml.Show(v.Value))
			continue
		}
		out[key] = x
	}
	*p = out
}
