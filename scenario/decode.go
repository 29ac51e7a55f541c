package scenario

import (
	"fmt"
	"math"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// maxNodes bounds the values one document may expand to, aliases included, so a "billion laughs"
// document cannot exhaust memory or time. A real scenario has a few hundred values.
const maxNodes = 10_000

// maxDepth bounds nesting, which also stops an alias that refers to itself.
const maxDepth = 64

// position is a 1-based line and column in the source file.
type position struct{ line, col int }

// decoder turns a YAML node tree into Go values strictly: every key must be a known field, every
// scalar must have the right type, and every problem is collected with its file position and
// field path instead of stopping at the first.
type decoder struct {
	file     string
	problems []Problem
	pos      map[string]position // field path → position of its value
	bad      map[string]bool     // field paths that failed to decode
	nodes    int
	depth    int
	aborted  bool
}

func newDecoder(file string) *decoder {
	return &decoder{file: file, pos: map[string]position{}, bad: map[string]bool{}}
}

// nodeDecoder is implemented by this package's value types (durations, rates, stages, client
// lists, quantities, the mock section…) to decode themselves with their own messages.
type nodeDecoder interface {
	decodeNode(d *decoder, n *yaml.Node, path string)
}

// extensible is implemented by structs that ignore keys starting with "x-", a place for YAML
// anchors to be defined (as in Compose files).
type extensible interface {
	extensible()
}

// fieldHinter lets a struct explain a key that is deliberately not a field (e.g. "yes").
type fieldHinter interface {
	fieldHint(key string) string
}

// fail records a problem at node n for path.
func (d *decoder) fail(n *yaml.Node, path, format string, args ...any) {
	d.failAt(n, path, path, format, args...)
}

// failAt records a problem at node n for path, and marks badPath as not decoded (validation
// then stays quiet about it and everything under it).
func (d *decoder) failAt(n *yaml.Node, path, badPath, format string, args ...any) {
	p := Problem{File: d.file, Path: path, Msg: fmt.Sprintf(format, args...)}
	if n != nil {
		p.Line, p.Col = n.Line, n.Column
	}
	d.problems = append(d.problems, p)
	d.bad[badPath] = true
}

// DecodeNode decodes the YAML node n into v (a pointer) with this package's strict rules and
// positioned messages: unknown fields (with the closest valid name), wrong scalar types and
// duplicate keys are all reported at once as an *Error whose paths start with path and whose
// positions name file. It works for any struct with yaml tags, so the embedded mock's
// configuration can be decoded with the same messages as the rest of a scenario.
func DecodeNode(file string, n *yaml.Node, path string, v any) error {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return fmt.Errorf("scenario.DecodeNode: want a non-nil pointer, got %T", v)
	}
	d := newDecoder(file)
	d.value(n, rv.Elem(), path)
	if len(d.problems) > 0 {
		sortProblems(d.problems)
		return &Error{Problems: d.problems}
	}
	return nil
}

// resolve follows documents and aliases and counts the node against maxNodes; nil means stop.
func (d *decoder) resolve(n *yaml.Node) *yaml.Node {
	if n = deref(n); n == nil || d.aborted {
		return nil
	}
	d.nodes++
	if d.nodes > maxNodes {
		d.aborted = true
		d.fail(n, "", "document too large: more than %d values (aliases included)", maxNodes)
		return nil
	}
	return n
}

// deref follows documents and aliases without counting; nil for an empty document or a cycle.
func deref(n *yaml.Node) *yaml.Node {
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

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

var (
	durationType    = reflect.TypeFor[time.Duration]()
	nodeDecoderType = reflect.TypeFor[nodeDecoder]()
	unmarshalType   = reflect.TypeFor[yaml.Unmarshaler]()
)

// value decodes n into v, recording problems under path.
func (d *decoder) value(n *yaml.Node, v reflect.Value, path string) {
	if n = d.resolve(n); n == nil {
		return
	}
	d.depth++
	defer func() { d.depth-- }()
	if d.depth > maxDepth {
		d.fail(n, path, "nested more than %d levels deep (an alias that refers to itself?)", maxDepth)
		d.aborted = true
		return
	}
	at := position{n.Line, n.Column}
	if v.Kind() == reflect.Pointer && reflect.PointerTo(v.Type().Elem()).Implements(nodeDecoderType) {
		// A present-but-empty section (`mock:`) still counts: the type decides what null means.
		if v.IsNil() {
			v.Set(reflect.New(v.Type().Elem()))
		}
		v = v.Elem()
	}
	if v.CanAddr() {
		if nd, ok := v.Addr().Interface().(nodeDecoder); ok {
			if !isNull(n) {
				d.pos[path] = at
			}
			nd.decodeNode(d, n, path)
			return
		}
		if reflect.PointerTo(v.Type()).Implements(unmarshalType) {
			d.pos[path] = at
			if err := n.Decode(v.Addr().Interface()); err != nil {
				d.fail(n, path, "%s", strings.TrimPrefix(err.Error(), "yaml: "))
			}
			return
		}
	}
	if isNull(n) {
		return // absent: keep the zero value, so the default applies
	}
	d.pos[path] = at
	if v.Type() == durationType {
		if dur, ok := d.duration(n, path); ok {
			v.SetInt(int64(dur))
		}
		return
	}
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			v.Set(reflect.New(v.Type().Elem()))
		}
		d.value(n, v.Elem(), path)
	case reflect.Struct:
		d.structure(n, v, path)
	case reflect.Slice:
		d.sequence(n, v, path)
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
func (d *decoder) pairs(n *yaml.Node, path string, depth int) [][2]*yaml.Node {
	var own, merged [][2]*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		if k.Kind == yaml.ScalarNode && k.ShortTag() == "!!merge" {
			if depth > 8 {
				d.fail(k, path, "merge keys nested too deep")
				continue
			}
			src := d.resolve(val)
			if src == nil {
				continue
			}
			var sources []*yaml.Node
			if src.Kind == yaml.SequenceNode {
				for _, s := range src.Content {
					if s = d.resolve(s); s != nil {
						sources = append(sources, s)
					}
				}
			} else {
				sources = []*yaml.Node{src}
			}
			for _, s := range sources {
				if s.Kind != yaml.MappingNode {
					d.fail(val, path, "a merge key (<<) takes a mapping or a list of mappings")
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

// keyOf returns a mapping key as a string, or reports it.
func (d *decoder) keyOf(k *yaml.Node, path string) (string, bool) {
	if k.Kind != yaml.ScalarNode {
		d.fail(k, path, "a key must be a plain name, not a %s", kindName(k))
		return "", false
	}
	return k.Value, true
}

func (d *decoder) structure(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.MappingNode {
		d.fail(n, path, "must be a mapping of fields (key: value), got %s", describe(n))
		return
	}
	fields := fieldsOf(v.Type())
	keys := make([]string, len(fields))
	for i, f := range fields {
		keys[i] = f.key
	}
	seen := map[string]*yaml.Node{}
	for _, kv := range d.pairs(n, path, 0) {
		key, ok := d.keyOf(kv[0], path)
		if !ok {
			continue
		}
		if first, dup := seen[key]; dup {
			if first != kv[0] && kv[0].Line > 0 && isOwnKey(n, kv[0]) {
				d.fail(kv[0], path, "field %q given twice (first at line %d)", key, first.Line)
			}
			continue
		}
		seen[key] = kv[0]
		if _, ok := v.Addr().Interface().(extensible); ok && strings.HasPrefix(key, "x-") {
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
			msg := unknownMsg("field", key, keys)
			if h, ok := v.Addr().Interface().(fieldHinter); ok {
				if hint := h.fieldHint(key); hint != "" {
					msg = fmt.Sprintf("unknown field %q: %s", key, hint)
				}
			}
			d.failAt(kv[0], path, join(path, key), "%s", msg)
			continue
		}
		d.value(kv[1], v.FieldByIndex(fi.index), join(path, key))
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

func (d *decoder) sequence(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.SequenceNode {
		d.fail(n, path, "must be a list, got %s", describe(n))
		return
	}
	s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
	for i, item := range n.Content {
		d.value(item, s.Index(i), fmt.Sprintf("%s[%d]", path, i))
	}
	v.Set(s)
}

func (d *decoder) mapping(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.MappingNode {
		d.fail(n, path, "must be a mapping (key: value), got %s", describe(n))
		return
	}
	if v.Type().Key().Kind() != reflect.String {
		d.fail(n, path, "unsupported map key type %s", v.Type().Key())
		return
	}
	m := reflect.MakeMap(v.Type())
	seen := map[string]*yaml.Node{}
	for _, kv := range d.pairs(n, path, 0) {
		key, ok := d.keyOf(kv[0], path)
		if !ok {
			continue
		}
		if first, dup := seen[key]; dup {
			if isOwnKey(n, kv[0]) {
				d.fail(kv[0], path, "key %q given twice (first at line %d)", key, first.Line)
			}
			continue
		}
		seen[key] = kv[0]
		elem := reflect.New(v.Type().Elem()).Elem()
		d.value(kv[1], elem, join(path, key))
		m.SetMapIndex(reflect.ValueOf(key).Convert(v.Type().Key()), elem)
	}
	v.Set(m)
}

// scalar decodes a string, bool, integer, float or interface value.
func (d *decoder) scalar(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.ScalarNode {
		if v.Kind() == reflect.Interface {
			var x any
			if err := n.Decode(&x); err != nil {
				d.fail(n, path, "%s", strings.TrimPrefix(err.Error(), "yaml: "))
				return
			}
			if x != nil {
				v.Set(reflect.ValueOf(x))
			}
			return
		}
		d.fail(n, path, "must be %s, got %s", wantOf(v.Kind()), describe(n))
		return
	}
	tag := n.ShortTag()
	switch v.Kind() {
	case reflect.String:
		v.SetString(n.Value)
	case reflect.Bool:
		var b bool
		if tag != "!!bool" || n.Decode(&b) != nil {
			d.fail(n, path, "must be true or false, got %s", show(n.Value))
			return
		}
		v.SetBool(b)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		i, ok := intOf(n)
		if !ok || v.OverflowInt(i) {
			d.fail(n, path, "must be a whole number, got %s", show(n.Value))
			return
		}
		v.SetInt(i)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		i, ok := intOf(n)
		if !ok || i < 0 || v.OverflowUint(uint64(i)) {
			d.fail(n, path, "must be a whole number of at least 0, got %s", show(n.Value))
			return
		}
		v.SetUint(uint64(i))
	case reflect.Float32, reflect.Float64:
		f, ok := floatOf(n)
		if !ok || v.OverflowFloat(f) {
			d.fail(n, path, "must be a number, got %s", show(n.Value))
			return
		}
		v.SetFloat(f)
	case reflect.Interface:
		var x any
		if err := n.Decode(&x); err != nil {
			d.fail(n, path, "cannot read %s", show(n.Value))
			return
		}
		if x != nil {
			v.Set(reflect.ValueOf(x))
		}
	default:
		d.fail(n, path, "unsupported field type %s", v.Type())
	}
}

// intOf reads an integer scalar.
func intOf(n *yaml.Node) (int64, bool) {
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!int" {
		return 0, false
	}
	var i int64
	if err := n.Decode(&i); err != nil {
		return 0, false
	}
	return i, true
}

// floatOf reads an integer or float scalar as a finite float64.
func floatOf(n *yaml.Node) (float64, bool) {
	if n.Kind != yaml.ScalarNode {
		return 0, false
	}
	if t := n.ShortTag(); t != "!!int" && t != "!!float" {
		return 0, false
	}
	var f float64
	if err := n.Decode(&f); err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, false
	}
	return f, true
}

// duration reads a Go duration ("30s", "1m30s", "250ms"); 0 alone is allowed without a unit.
func (d *decoder) duration(n *yaml.Node, path string) (time.Duration, bool) {
	if n.Kind != yaml.ScalarNode {
		d.fail(n, path, "must be a duration such as 30s, got %s", describe(n))
		return 0, false
	}
	if n.Value == "0" {
		return 0, true
	}
	dur, err := time.ParseDuration(n.Value)
	if err != nil {
		if _, isNum := floatOf(n); isNum {
			d.fail(n, path, "must be a duration with a unit, such as %ss", n.Value)
		} else {
			d.fail(n, path, "must be a duration such as 30s, 1m30s or 250ms, got %s", show(n.Value))
		}
		return 0, false
	}
	return dur, true
}

func join(path, key string) string {
	if !plainKey.MatchString(key) {
		key = strconv.Quote(key)
		if path == "" {
			return "[" + key + "]"
		}
		return path + "[" + key + "]"
	}
	if path == "" {
		return key
	}
	return path + "." + key
}

var plainKey = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)
