package backoff

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Spec is a strategy as a user wrote it, before its parameters are checked: a name and the
// parameters set explicitly, in the order written. `full-jitter(base=100ms,cap=10s)` is
// Spec{Name: "full-jitter", Args: [{base 100ms} {cap 10s}]}. New turns a Spec into a Strategy.
type Spec struct {
	Name string
	Args []Arg
}

// Arg is one name=value parameter of a Spec; Value is the text as written ("100ms", "3", "0.9").
type Arg struct {
	Name  string
	Value string
}

// SpecOf builds a Spec from a name and a parameter map, as a YAML scenario gives them
// (`{name: full-jitter, params: {base: 100ms, max-attempts: 4}}`): each value is formatted with
// fmt.Sprint (a YAML number of seconds such as 0.5 is read by New as a duration of seconds), and
// the parameters are sorted by name so the spec's label is stable.
func SpecOf(name string, params map[string]any) Spec {
	s := Spec{Name: name}
	for k, v := range params {
		s.Args = append(s.Args, Arg{Name: k, Value: ParamText(v)})
	}
	slices.SortFunc(s.Args, func(a, b Arg) int { return strings.Compare(a.Name, b.Name) })
	return s
}

// ParamText writes a parameter value (a number, duration string, string or bool, as a scenario
// file gives it) in the syntax Parse reads: numbers in full, never with an exponent.
func ParamText(v any) string {
	switch x := v.(type) {
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case string:
		return x
	default:
		return fmt.Sprint(x)
	}
}

// String formats the spec in the syntax Parse reads: the name alone, or name(k=v,k=v).
func (s Spec) String() string {
	if len(s.Args) == 0 {
		return s.Name
	}
	var b strings.Builder
	b.WriteString(s.Name)
	b.WriteByte('(')
	for i, a := range s.Args {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(a.Name)
		b.WriteByte('=')
		b.WriteString(a.Value)
	}
	b.WriteByte(')')
	return b.String()
}

// Parse reads one strategy spec: `name` or `name(param=value, …)`. Spaces around names, values,
// commas and parentheses are ignored; a parameter may be given once. Parse checks the syntax
// only; New checks the name and the parameters against the strategy table.
func Parse(spec string) (Spec, error) {
	s := strings.TrimSpace(spec)
	name, rest, hasArgs := strings.Cut(s, "(")
	name = strings.TrimSpace(name)
	if !hasArgs && strings.ContainsAny(s, ")=,") {
		return Spec{}, fmt.Errorf("strategy %q: want name or name(param=value,…)", spec)
	}
	if err := checkName(name, spec); err != nil {
		return Spec{}, err
	}
	out := Spec{Name: name}
	if !hasArgs {
		return out, nil
	}
	body, ok := strings.CutSuffix(strings.TrimSpace(rest), ")")
	if !ok || strings.ContainsAny(body, "()") {
		return Spec{}, fmt.Errorf("strategy %q: unbalanced parentheses; want name(param=value,…)", spec)
	}
	if strings.TrimSpace(body) == "" {
		return out, nil
	}
	for _, item := range strings.Split(body, ",") {
		k, v, ok := strings.Cut(item, "=")
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if !ok || v == "" {
			return Spec{}, fmt.Errorf("strategy %q: parameter %q: want param=value", spec, strings.TrimSpace(item))
		}
		if err := checkName(k, spec); err != nil {
			return Spec{}, err
		}
		if strings.Contains(v, "=") {
			return Spec{}, fmt.Errorf("strategy %q: parameter %q: value %q contains '='", spec, k, v)
		}
		for _, a := range out.Args {
			if a.Name == k {
				return Spec{}, fmt.Errorf("strategy %q: parameter %q given twice", spec, k)
			}
		}
		out.Args = append(out.Args, Arg{Name: k, Value: v})
	}
	return out, nil
}

// checkName accepts the names of strategies and parameters: lower-case letters, digits and
// dashes, starting with a letter.
func checkName(name, spec string) error {
	if name == "" {
		return fmt.Errorf("strategy %q: empty name; want name or name(param=value,…)", spec)
	}
	for i, r := range name {
		letter := r >= 'a' && r <= 'z'
		if !letter && (i == 0 || (r != '-' && (r < '0' || r > '9'))) {
			return fmt.Errorf("strategy %q: name %q: want lower-case letters, digits and dashes", spec, name)
		}
	}
	return nil
}

// ParseList reads a comma-separated list of specs, splitting only on commas outside
// parentheses: `exponential,full-jitter(base=100ms,cap=10s),retry-after` is three specs.
func ParseList(list string) ([]Spec, error) {
	var out []Spec
	depth, start := 0, 0
	for i := 0; i <= len(list); i++ {
		if i < len(list) {
			switch list[i] {
			case '(':
				depth++
				continue
			case ')':
				depth--
				if depth < 0 {
					return nil, fmt.Errorf("strategies %q: unbalanced ')' at offset %d", list, i)
				}
				continue
			case ',':
				if depth > 0 {
					continue
				}
			default:
				continue
			}
		}
		item := list[start:i]
		start = i + 1
		if strings.TrimSpace(item) == "" {
			return nil, fmt.Errorf("strategies %q: empty entry; want a comma-separated list such as full-jitter,retry-after", list)
		}
		s, err := Parse(item)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	if depth != 0 {
		return nil, fmt.Errorf("strategies %q: unbalanced '('", list)
	}
	return out, nil
}
