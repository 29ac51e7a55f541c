package presets

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Problem is one thing wrong with a preset file.
type Problem struct {
	File string
	Line int    // 1-based; 0 when unknown
	Path string // the field, as the file spells it: tiers[2].limits.opus-4.rpm
	Msg  string
}

// String renders the problem as "file:line: path: message".
func (p Problem) String() string {
	s := p.File
	if p.Line > 0 {
		s += ":" + strconv.Itoa(p.Line)
	}
	if p.Path != "" {
		s += ": " + p.Path
	}
	return s + ": " + p.Msg
}

// Error lists every problem found in a preset file.
type Error struct{ Problems []Problem }

// Error joins the problems, one a line.
func (e *Error) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// Decode reads one preset file strictly (an unknown or misspelt field is an error naming the
// file, line and field) and validates it; file names the input in messages. The bundled files
// are read with Get; Decode is for tests and for presets a user supplies.
func Decode(file string, data []byte) (*Preset, error) {
	var p Preset
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&p); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, &Error{[]Problem{{File: file, Msg: "empty file: want a preset (schema: " + Schema + ")"}}}
		}
		return nil, &Error{yamlProblems(file, err)}
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return nil, &Error{[]Problem{{File: file, Line: extra.Line, Msg: "more than one YAML document: a preset file holds one"}}}
	}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil { // cannot fail after Decode did not
		return nil, &Error{yamlProblems(file, err)}
	}
	p.file = file
	p.inherit()
	v := &validator{file: file, root: &root, p: &p}
	v.preset()
	if len(v.problems) > 0 {
		return nil, &Error{v.problems}
	}
	p.resolve()
	return &p, nil
}

var (
	lineRE    = regexp.MustCompile(`^(?:yaml: )?line (\d+): (.*)$`)
	unknownRE = regexp.MustCompile(`^field (\S+) not found in type presets\.(\w+)$`)
)

// yamlProblems turns a yaml.v3 error into positioned problems in the user's words.
func yamlProblems(file string, err error) []Problem {
	var msgs []string
	var te *yaml.TypeError
	if errors.As(err, &te) {
		msgs = te.Errors
	} else {
		msgs = []string{err.Error()}
	}
	out := make([]Problem, 0, len(msgs))
	for _, m := range msgs {
		p := Problem{File: file, Msg: strings.TrimPrefix(m, "yaml: ")}
		if g := lineRE.FindStringSubmatch(m); g != nil {
			p.Line, _ = strconv.Atoi(g[1])
			p.Msg = g[2]
		}
		if g := unknownRE.FindStringSubmatch(p.Msg); g != nil {
			p.Msg = fmt.Sprintf("unknown field %q in %s (valid: %s)", g[1], typeLabel(g[2]), strings.Join(fieldsOf(g[2]), ", "))
		}
		out = append(out, p)
	}
	return out
}

// typeLabels say in the file's words what each schema type is.
var typeLabels = map[string]string{
	"Preset": "the preset", "Source": "a source", "API": "api", "Required": "an api.required entry",
	"Scope": "scope", "ModelMatching": "models", "Class": "a class", "CapacityUnit": "capacity_unit",
	"Tier": "a tier", "SpendCap": "spend_cap", "PoolLimits": "a tier's limits entry",
	"Enforcement": "an enforcement entry", "Accounting": "accounting", "InputRule": "accounting.input",
	"OutputRule": "accounting.output", "RejectedRule": "accounting.rejected", "Headers": "headers",
	"RetryHint": "a retry hint", "ErrorTemplate": "an error template", "Reset": "a reset",
}

func typeLabel(name string) string {
	if l, ok := typeLabels[name]; ok {
		return l
	}
	return name
}

// fieldsOf lists the YAML keys of the schema type called name, inline fields included.
func fieldsOf(name string) []string {
	t := schemaTypes(reflect.TypeFor[Preset](), map[string]reflect.Type{})[name]
	if t == nil {
		return nil
	}
	return yamlKeys(t)
}

func yamlKeys(t reflect.Type) []string {
	var keys []string
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("yaml")
		key, opts, _ := strings.Cut(tag, ",")
		switch {
		case !f.IsExported() || key == "-":
		case opts == "inline" || strings.HasPrefix(opts, "inline"):
			keys = append(keys, yamlKeys(f.Type)...)
		case key != "":
			keys = append(keys, key)
		}
	}
	return keys
}

// schemaTypes collects the struct types reachable from t, by name.
func schemaTypes(t reflect.Type, seen map[string]reflect.Type) map[string]reflect.Type {
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice || t.Kind() == reflect.Map {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct || seen[t.Name()] != nil {
		return seen
	}
	seen[t.Name()] = t
	for i := range t.NumField() {
		if t.Field(i).IsExported() {
			schemaTypes(t.Field(i).Type, seen)
		}
	}
	return seen
}

// path is a field path as the file spells it: keys and sequence indexes.
type path []any

func (p path) key(k string) path { return append(slices.Clip(p), k) }
func (p path) idx(i int) path    { return append(slices.Clip(p), i) }

func (p path) String() string {
	var b strings.Builder
	for _, s := range p {
		switch s := s.(type) {
		case int:
			fmt.Fprintf(&b, "[%d]", s)
		case string:
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			b.WriteString(s)
		}
	}
	return b.String()
}

// lineOf finds the line of the field at p in the document (its key's line, or a sequence
// item's), or of its nearest present parent.
func lineOf(root *yaml.Node, p path) int {
	n := root
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	line := n.Line
	for _, s := range p {
		var next *yaml.Node
		switch s := s.(type) {
		case string: // a key's line: where the reader finds the field
			if n.Kind == yaml.MappingNode {
				for i := 0; i+1 < len(n.Content); i += 2 {
					if n.Content[i].Value == s {
						next, line = n.Content[i+1], n.Content[i].Line
						break
					}
				}
			}
		case int:
			if n.Kind == yaml.SequenceNode && s < len(n.Content) {
				next = n.Content[s]
				line = next.Line
			}
		}
		if next == nil {
			return line
		}
		n = next
	}
	return line
}
