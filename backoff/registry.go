package backoff

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ratelab/ratelab/internal/suggest"
)

// Kind is the type of a strategy parameter's value.
type Kind uint8

// The kinds of parameter values.
const (
	// KindDuration is a Go duration ("500ms", "1m30s"); a bare number is read as seconds.
	KindDuration Kind = iota + 1
	// KindInt is a whole number.
	KindInt
	// KindFloat is a decimal number.
	KindFloat
	// KindString is text, such as a store URL.
	KindString
)

// String returns the kind's name as --list prints it: duration, int or float.
func (k Kind) String() string {
	switch k {
	case KindDuration:
		return "duration"
	case KindInt:
		return "int"
	case KindFloat:
		return "float"
	case KindString:
		return "string"
	}
	return "unknown"
}

// Param describes one parameter of a strategy.
type Param struct {
	Name    string
	Kind    Kind
	Default string // in spec syntax, e.g. "500ms", "10", "0.9"
	Doc     string // one line
	// Min and Max bound the value (durations in nanoseconds); Max 0 means no upper bound.
	Min, Max float64
}

// Definition is one entry of the strategy table: what --list prints and what New builds from.
type Definition struct {
	Name    string
	Summary string // one line
	Params  []Param
	build   func(seed int64, v values) Fleet
}

// Param returns the definition's parameter named name.
func (d Definition) Param(name string) (Param, bool) {
	for _, p := range d.Params {
		if p.Name == name {
			return p, true
		}
	}
	return Param{}, false
}

// Definitions returns the strategy table, in --list order. The slice is a copy: the table
// itself never changes.
func Definitions() []Definition {
	out := slices.Clone(definitions)
	for i := range out {
		out[i].Params = slices.Clone(out[i].Params)
	}
	return out
}

// Names returns the names of every strategy, in --list order.
func Names() []string {
	out := make([]string, len(definitions))
	for i, d := range definitions {
		out[i] = d.Name
	}
	return out
}

// Lookup returns the definition of the strategy named name.
func Lookup(name string) (Definition, bool) {
	for _, d := range Definitions() {
		if d.Name == name {
			return d, true
		}
	}
	return Definition{}, false
}

// Strategy is a strategy with every parameter resolved (defaults filled in and checked). It is
// immutable; NewFleet makes the per-run, per-account state.
type Strategy struct {
	def         Definition
	spec        Spec
	values      values
	retryStream bool // retry-stream-errors=true
}

// New resolves spec against the strategy table: an unknown strategy or parameter, or a value of
// the wrong kind or out of range, is an error naming it and what would be valid.
func New(spec Spec) (*Strategy, error) {
	def, ok := Lookup(spec.Name)
	if !ok {
		return nil, fmt.Errorf("unknown strategy %q%s; valid strategies: %s",
			spec.Name, suggest.DidYouMean(spec.Name, Names()), strings.Join(Names(), ", "))
	}
	retryStream, args, err := streamArg(def.Name, spec.Args)
	if err != nil {
		return nil, err
	}
	v := values{}
	for _, p := range def.Params {
		x, err := p.parse(p.Default)
		if err != nil {
			panic(fmt.Sprintf("backoff: default of %s.%s: %v", def.Name, p.Name, err))
		}
		v[p.Name] = x
	}
	for _, a := range args {
		p, ok := def.Param(a.Name)
		if !ok {
			names := paramNames(def)
			if len(names) == 0 {
				return nil, fmt.Errorf("strategy %s: unknown parameter %q: it takes no parameters%s", def.Name, a.Name,
					suggest.DidYouMean(a.Name, []string{RetryStreamErrors}))
			}
			return nil, fmt.Errorf("strategy %s: unknown parameter %q%s; valid parameters: %s",
				def.Name, a.Name, suggest.DidYouMean(a.Name, append(names, RetryStreamErrors)), strings.Join(names, ", "))
		}
		x, err := p.parse(a.Value)
		if err != nil {
			return nil, fmt.Errorf("strategy %s: parameter %s: %w", def.Name, a.Name, err)
		}
		v[p.Name] = x
	}
	return &Strategy{def: def, spec: Spec{Name: spec.Name, Args: slices.Clone(spec.Args)}, values: v, retryStream: retryStream}, nil
}

// Resolve parses and resolves one spec string (Parse, then New).
func Resolve(spec string) (*Strategy, error) {
	s, err := Parse(spec)
	if err != nil {
		return nil, err
	}
	return New(s)
}

// ResolveList parses and resolves a comma-separated list of specs (ParseList, then New), as the
// --strategies flag takes it.
func ResolveList(list string) ([]*Strategy, error) {
	specs, err := ParseList(list)
	if err != nil {
		return nil, err
	}
	out := make([]*Strategy, len(specs))
	for i, s := range specs {
		if out[i], err = New(s); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Name returns the strategy's table name, e.g. "full-jitter".
func (s *Strategy) Name() string { return s.def.Name }

// Label returns the spec as written, in canonical form: the name alone when no parameter was
// set, else name(k=v,…). Two variants of one strategy in a comparison differ by label.
func (s *Strategy) Label() string { return s.spec.String() }

// Definition returns the table entry the strategy was built from.
func (s *Strategy) Definition() Definition {
	d, _ := Lookup(s.def.Name)
	return d
}

// Params returns every parameter with its resolved value, defaults included, for summary.json:
// durations as Go duration strings ("500ms", "5m0s"), ints as int, floats as float64.
func (s *Strategy) Params() map[string]any {
	out := make(map[string]any, len(s.values))
	for k, x := range maps.All(s.values) {
		if d, ok := x.(time.Duration); ok {
			out[k] = d.String()
			continue
		}
		if str, ok := x.(string); ok && k == "store" {
			out[k] = redactStore(str)
			continue
		}
		out[k] = x
	}
	if s.retryStream {
		out[RetryStreamErrors] = true
	}
	return out
}

// RetriesStreamErrors reports whether the strategy retries streams that fail after their 2xx
// status (retry-stream-errors=true).
func (s *Strategy) RetriesStreamErrors() bool { return s.retryStream }

// NewFleet returns the policies of one account's clients for one run, seeded with seed: client
// i draws from ClientRand(seed, i) and fleet-shared state starts fresh.
func (s *Strategy) NewFleet(seed int64) Fleet {
	f := s.def.build(seed, s.values)
	if s.retryStream {
		return streamRetryFleet{f}
	}
	return f
}

// values holds resolved parameter values: time.Duration, int or float64 by Kind.
type values map[string]any

func (v values) dur(name string) time.Duration { return v[name].(time.Duration) }
func (v values) int(name string) int           { return v[name].(int) }
func (v values) float(name string) float64     { return v[name].(float64) }
func (v values) str(name string) string        { return v[name].(string) }

// limits reads the shared max-attempts and max-elapsed parameters (absent: no bound).
func (v values) limits() limits {
	var l limits
	if _, ok := v["max-attempts"]; ok {
		l.maxAttempts = v.int("max-attempts")
	}
	if _, ok := v["max-elapsed"]; ok {
		l.maxElapsed = v.dur("max-elapsed")
	}
	if _, ok := v["retry-terminal"]; ok {
		l.retryTerminal = v.int("retry-terminal") == 1
	}
	return l
}

// parse reads a value of the parameter's kind and checks its range.
func (p Param) parse(s string) (any, error) {
	var (
		x   any
		num float64
	)
	switch p.Kind {
	case KindDuration:
		d, err := parseDuration(s)
		if err != nil {
			return nil, err
		}
		x, num = d, float64(d)
	case KindInt:
		n, err := strconv.Atoi(s)
		if err != nil {
			return nil, fmt.Errorf("%q is not a whole number", s)
		}
		x, num = n, float64(n)
	case KindFloat:
		f, err := strconv.ParseFloat(s, 64)
		if err != nil || f != f || f > 1e300 || f < -1e300 {
			return nil, fmt.Errorf("%q is not a finite number", s)
		}
		x, num = f, f
	case KindString:
		return s, nil
	default:
		return nil, fmt.Errorf("parameter kind %d unknown", p.Kind)
	}
	if num < p.Min || (p.Max != 0 && num > p.Max) {
		return nil, fmt.Errorf("%s out of range: want %s", s, p.rangeText())
	}
	return x, nil
}

// parseDuration reads a Go duration, or a bare number of seconds ("0.5" = 500ms).
func parseDuration(s string) (time.Duration, error) {
	if d, err := time.ParseDuration(s); err == nil {
		return d, nil
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil && f >= -1e9 && f <= 1e9 {
		return time.Duration(f * float64(time.Second)), nil
	}
	return 0, fmt.Errorf("%q is not a duration: want e.g. 500ms, 2s, 1m30s or a number of seconds", s)
}

func (p Param) format(x float64) string {
	switch p.Kind {
	case KindDuration:
		return time.Duration(x).String()
	case KindInt:
		return strconv.FormatInt(int64(x), 10)
	}
	return strconv.FormatFloat(x, 'g', -1, 64)
}

func (p Param) rangeText() string {
	if p.Max != 0 {
		return fmt.Sprintf("%s ≤ %s ≤ %s", p.format(p.Min), p.Name, p.format(p.Max))
	}
	return fmt.Sprintf("%s ≥ %s", p.Name, p.format(p.Min))
}

func paramNames(d Definition) []string {
	out := make([]string, len(d.Params))
	for i, p := range d.Params {
		out[i] = p.Name
	}
	return out
}
