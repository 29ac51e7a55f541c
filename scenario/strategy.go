package scenario

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/ratelab/ratelab/backoff"
	"github.com/ratelab/ratelab/internal/strictyaml"
	"github.com/ratelab/ratelab/threshold"
	"go.yaml.in/yaml/v3"
)

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
	if strictyaml.IsNull(n) || !d.Expect(n, path, yaml.MappingNode, "a mapping of parameter: value") {
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

// checkStrategy checks one strategy's parameters against the backoff table: each parameter on
// its own first, so a problem points at that parameter's line, then all together.
func checkStrategy(name string, params map[string]any) error {
	var errs []error
	var args []backoff.Arg
	for _, k := range slices.Sorted(maps.Keys(params)) {
		a := backoff.Arg{Name: k, Value: backoff.ParamText(params[k])}
		if _, err := backoff.New(backoff.Spec{Name: name, Args: []backoff.Arg{a}}); err != nil {
			errs = append(errs, &ParamError{Param: k, Msg: trimPrefixes(err.Error(), name, k)})
			continue
		}
		args = append(args, a)
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	if _, err := backoff.New(backoff.Spec{Name: name, Args: args}); err != nil {
		return errors.New(trimPrefixes(err.Error(), name, ""))
	}
	return nil
}

// trimPrefixes drops the "strategy NAME: " and "parameter K: " a backoff error starts with,
// since the problem's path already says both.
func trimPrefixes(msg, name, param string) string {
	msg = strings.TrimPrefix(msg, "strategy "+name+": ")
	if param != "" {
		msg = strings.TrimPrefix(msg, "parameter "+param+": ")
	}
	return msg
}

// Spec returns the strategy as the backoff table reads it (name and parameters).
func (s Strategy) Spec() backoff.Spec { return backoff.SpecOf(s.Name, s.Params) }
