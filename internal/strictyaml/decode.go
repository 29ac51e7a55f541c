// Package strictyaml decodes YAML into Go structs strictly: every key must be a known field
// (an unknown one is reported with the closest valid name), every scalar must have the right
// type, duplicate keys, merge keys and aliases are handled, documents are bounded in size and
// depth, and every problem is collected with its file, line, column and field path instead of
// stopping at the first. Scenario files and the mock's configuration file share it. It imports
// nothing of the project but internal/suggest.
package strictyaml

import (
	"fmt"
	"reflect"
	"strings"
	"time"

	"github.com/ratelab/ratelab/internal/suggest"
	"go.yaml.in/yaml/v3"
)

// maxNodes bounds the values one document may expand to, aliases included, so a "billion laughs"
// document cannot exhaust memory or time. A real scenario has a few hundred values.
const maxNodes = 10_000

// MaxDepth bounds nesting, which also stops an alias that refers to itself.
const MaxDepth = 64

// Position is a 1-based line and column in the source file.
type Position struct{ Line, Col int }

// Decoder turns a YAML node tree into Go values strictly: every key must be a known field, every
// scalar must have the right type, and every problem is collected with its file position and
// field path instead of stopping at the first. It also notes the position of every value it
// decodes, by field path, so that later validation can point at the line.
type Decoder struct {
	file     string
	problems []Problem
	pos      map[string]Position // field path → position of its value
	keys     map[string]Position // field path → position of its key (RecordPositions)
	bad      map[string]bool     // field paths that failed to decode
	nodes    int
	depth    int
	aborted  bool
}

// Mark notes the position of n as that of the value at path.
func (d *Decoder) Mark(path string, n *yaml.Node) { d.pos[path] = Position{n.Line, n.Column} }

// NewDecoder returns a decoder whose problems name file.
func NewDecoder(file string) *Decoder {
	return &Decoder{file: file, pos: map[string]Position{}, keys: map[string]Position{}, bad: map[string]bool{}}
}

// Problems returns the problems found so far, in the order found.
func (d *Decoder) Problems() []Problem { return d.problems }

// Add records a problem found outside the decoder (a syntax error of a later document).
func (d *Decoder) Add(p Problem) { d.problems = append(d.problems, p) }

// Positions returns the position of every value decoded, by field path.
func (d *Decoder) Positions() map[string]Position { return d.pos }

// KeyPosition returns where the key of the field at path is written (recorded by
// RecordPositions), false for a sequence item or a field not written.
func (d *Decoder) KeyPosition(path string) (Position, bool) {
	p, ok := d.keys[path]
	return p, ok
}

// Bad returns the field paths that failed to decode.
func (d *Decoder) Bad() map[string]bool { return d.bad }

// Aborted reports whether the document was too large or too deep to decode to the end.
func (d *Decoder) Aborted() bool { return d.aborted }

// Unmarshaler is implemented by value types (durations, rates, stages, client lists,
// quantities…) that decode themselves with their own messages, reporting through d.
type Unmarshaler interface {
	DecodeYAML(d *Decoder, n *yaml.Node, path string)
}

// Extensible is implemented by structs that ignore keys starting with "x-", a place for YAML
// anchors to be defined (as in Compose files).
type Extensible interface {
	YAMLExtensible()
}

// FieldHinter lets a struct explain a key that is deliberately not a field (e.g. "yes").
type FieldHinter interface {
	FieldHint(key string) string
}

// Fail records a problem at node n for path.
func (d *Decoder) Fail(n *yaml.Node, path, format string, args ...any) {
	d.FailAt(n, path, path, format, args...)
}

// Expect reports whether n is a node of kind; when it is not, it records "must be WANT, got …".
func (d *Decoder) Expect(n *yaml.Node, path string, kind yaml.Kind, want string) bool {
	if n.Kind == kind {
		return true
	}
	d.Fail(n, path, "must be %s, got %s", want, Describe(n))
	return false
}

// FailAt records a problem at node n for path, and marks badPath as not decoded (validation
// then stays quiet about it and everything under it).
func (d *Decoder) FailAt(n *yaml.Node, path, badPath, format string, args ...any) {
	p := Problem{File: d.file, Path: path, Msg: fmt.Sprintf(format, args...)}
	if n != nil {
		p.Line, p.Col = n.Line, n.Column
	}
	d.problems = append(d.problems, p)
	d.bad[badPath] = true
}

// Decode decodes the YAML node n into v (a pointer) with this package's strict rules and
// positioned messages: unknown fields (with the closest valid name), wrong scalar types and
// duplicate keys are all reported at once as an *Error whose paths start with path and whose
// positions name file. It works for any struct with yaml tags.
func Decode(file string, n *yaml.Node, path string, v any) error {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return fmt.Errorf("strictyaml.Decode: want a non-nil pointer, got %T", v)
	}
	d := NewDecoder(file)
	d.Value(n, rv.Elem(), path)
	if len(d.problems) > 0 {
		Sort(d.problems)
		return &Error{Problems: d.problems}
	}
	return nil
}

// Resolve follows documents and aliases and counts the node against maxNodes; nil means stop.
func (d *Decoder) Resolve(n *yaml.Node) *yaml.Node {
	if n = Deref(n); n == nil || d.aborted {
		return nil
	}
	d.nodes++
	if d.nodes > maxNodes {
		d.aborted = true
		d.Fail(n, "", "document too large: more than %d values (aliases included)", maxNodes)
		return nil
	}
	return n
}

// Deref follows documents and aliases without counting; nil for an empty document or a cycle.
func Deref(n *yaml.Node) *yaml.Node {
	for range 64 {
		switch {
		case n == nil:
			return nil
		case n.Kind == yaml.AliasNode:
			n = n.Alias
		case n.Kind == yaml.DocumentNode && len(n.Content) > 0:
			n = n.Content[0]
		case n.Kind == yaml.DocumentNode:
			return nil
		default:
			return n
		}
	}
	return nil
}

// IsNull reports whether n is a null scalar (~, null, or nothing).
func IsNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

var (
	durationType    = reflect.TypeFor[time.Duration]()
	unmarshalerType = reflect.TypeFor[Unmarshaler]()
	unmarshalType   = reflect.TypeFor[yaml.Unmarshaler]()
)

// Value decodes n into v, recording problems under path.
func (d *Decoder) Value(n *yaml.Node, v reflect.Value, path string) {
	if n = d.Resolve(n); n == nil {
		return
	}
	d.depth++
	defer func() { d.depth-- }()
	if d.depth > MaxDepth {
		d.Fail(n, path, "nested more than %d levels deep (an alias that refers to itself?)", MaxDepth)
		d.aborted = true
		return
	}
	at := Position{n.Line, n.Column}
	if v.Kind() == reflect.Pointer && reflect.PointerTo(v.Type().Elem()).Implements(unmarshalerType) {
		// A present-but-empty section (`mock:`) still counts: the type decides what null means.
		if v.IsNil() {
			v.Set(reflect.New(v.Type().Elem()))
		}
		v = v.Elem()
	}
	if v.CanAddr() {
		if nd, ok := v.Addr().Interface().(Unmarshaler); ok {
			if !IsNull(n) {
				d.pos[path] = at
			}
			nd.DecodeYAML(d, n, path)
			return
		}
		if reflect.PointerTo(v.Type()).Implements(unmarshalType) {
			d.pos[path] = at
			if err := n.Decode(v.Addr().Interface()); err != nil {
				d.Fail(n, path, "%s", strings.TrimPrefix(err.Error(), "yaml: "))
			}
			return
		}
	}
	if IsNull(n) {
		return // absent: keep the zero value, so the default applies
	}
	d.pos[path] = at
	if v.Type() == durationType {
		if dur, ok := d.Duration(n, path); ok {
			v.SetInt(int64(dur))
		}
		return
	}
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			v.Set(reflect.New(v.Type().Elem()))
		}
		d.Value(n, v.Elem(), path)
	case reflect.Struct:
		d.Struct(n, v, path)
	case reflect.Slice:
		d.Sequence(n, v, path)
	case reflect.Map:
		d.mapping(n, v, path)
	default:
		d.scalar(n, v, path)
	}
}

// fieldInfo is one settable field of a struct, by YAML key.
type fieldInfo struct {
	key   string
	index []int
}

// fieldsOf lists the YAML keys of struct type t in declaration order, following inline fields.
func fieldsOf(t reflect.Type) []fieldInfo {
	var out []fieldInfo
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() && !f.Anonymous {
			continue
		}
		tag := f.Tag.Get("yaml")
		name, opts, _ := strings.Cut(tag, ",")
		if name == "-" {
			continue
		}
		if strings.Contains(","+opts+",", ",inline,") && f.Type.Kind() == reflect.Struct {
			for _, in := range fieldsOf(f.Type) {
				out = append(out, fieldInfo{key: in.key, index: append([]int{i}, in.index...)})
			}
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		out = append(out, fieldInfo{key: name, index: []int{i}})
	}
	return out
}

// pairs returns the key/value pairs of a mapping with merge keys ("<<: *base") expanded;
// explicit keys come first so they win over merged ones.
func (d *Decoder) pairs(n *yaml.Node, path string, depth int) [][2]*yaml.Node {
	var own, merged [][2]*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		if k.Kind == yaml.ScalarNode && k.ShortTag() == "!!merge" {
			if depth > 8 {
				d.Fail(k, path, "merge keys nested too deep")
				continue
			}
			src := d.Resolve(val)
			if src == nil {
				continue
			}
			var sources []*yaml.Node
			if src.Kind == yaml.SequenceNode {
				for _, s := range src.Content {
					if s = d.Resolve(s); s != nil {
						sources = append(sources, s)
					}
				}
			} else {
				sources = []*yaml.Node{src}
			}
			for _, s := range sources {
				if s.Kind != yaml.MappingNode {
					d.Fail(val, path, "a merge key (<<) takes a mapping or a list of mappings")
					continue
				}
				merged = append(merged, d.pairs(s, path, depth+1)...)
			}
			continue
		}
		own = append(own, [2]*yaml.Node{k, val})
	}
	return append(own, merged...)
}

// Entry is one key of a mapping with its value.
type Entry struct {
	Key     string
	KeyNode *yaml.Node
	Value   *yaml.Node
}

// Entries returns the entries of the mapping n, merge keys expanded, each key once: a key that
// is not a plain scalar is reported, and so is an own key given twice (as "KIND "k" given
// twice"); a merged key that an own key overrides is dropped quietly.
func (d *Decoder) Entries(n *yaml.Node, path, kind string) []Entry {
	pairs := d.pairs(n, path, 0)
	out := make([]Entry, 0, len(pairs))
	seen := map[string]*yaml.Node{}
	for _, kv := range pairs {
		k := kv[0]
		if k.Kind != yaml.ScalarNode {
			d.Fail(k, path, "a key must be a plain name, not %s", Describe(k))
			continue
		}
		if first, dup := seen[k.Value]; dup {
			if first != k && k.Line > 0 && isOwnKey(n, k) {
				d.Fail(k, path, "%s %q given twice (first at line %d)", kind, k.Value, first.Line)
			}
			continue
		}
		seen[k.Value] = k
		out = append(out, Entry{Key: k.Value, KeyNode: k, Value: kv[1]})
	}
	return out
}

// Struct decodes the mapping n into the struct v field by field.
func (d *Decoder) Struct(n *yaml.Node, v reflect.Value, path string) {
	if !d.Expect(n, path, yaml.MappingNode, "a mapping of fields (key: value)") {
		return
	}
	fields := fieldsOf(v.Type())
	keys := make([]string, len(fields))
	for i, f := range fields {
		keys[i] = f.key
	}
	for _, e := range d.Entries(n, path, "field") {
		key := e.Key
		if _, ok := v.Addr().Interface().(Extensible); ok && strings.HasPrefix(key, "x-") {
			continue
		}
		var fi *fieldInfo
		for i := range fields {
			if fields[i].key == key {
				fi = &fields[i]
				break
			}
		}
		if fi == nil {
			msg := suggest.Unknown("field", key, keys)
			if h, ok := v.Addr().Interface().(FieldHinter); ok {
				if hint := h.FieldHint(key); hint != "" {
					msg = fmt.Sprintf("unknown field %q: %s", key, hint)
				}
			}
			d.FailAt(e.KeyNode, path, Join(path, key), "%s", msg)
			continue
		}
		d.Value(e.Value, v.FieldByIndex(fi.index), Join(path, key))
	}
}

// isOwnKey reports whether k is one of n's own keys (not one merged in from an anchor).
func isOwnKey(n, k *yaml.Node) bool {
	for i := 0; i < len(n.Content); i += 2 {
		if n.Content[i] == k {
			return true
		}
	}
	return false
}

// Sequence decodes the list n into the slice v item by item.
func (d *Decoder) Sequence(n *yaml.Node, v reflect.Value, path string) {
	if !d.Expect(n, path, yaml.SequenceNode, "a list") {
		return
	}
	s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
	for i, item := range n.Content {
		d.Value(item, s.Index(i), fmt.Sprintf("%s[%d]", path, i))
	}
	v.Set(s)
}

func (d *Decoder) mapping(n *yaml.Node, v reflect.Value, path string) {
	if !d.Expect(n, path, yaml.MappingNode, "a mapping (key: value)") {
		return
	}
	if v.Type().Key().Kind() != reflect.String {
		d.Fail(n, path, "unsupported map key type %s", v.Type().Key())
		return
	}
	m := reflect.MakeMap(v.Type())
	for _, e := range d.Entries(n, path, "key") {
		elem := reflect.New(v.Type().Elem()).Elem()
		d.Value(e.Value, elem, Join(path, e.Key))
		m.SetMapIndex(reflect.ValueOf(e.Key).Convert(v.Type().Key()), elem)
	}
	v.Set(m)
}
