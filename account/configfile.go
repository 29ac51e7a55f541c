package account

import (
	"bytes"
	"errors"
	"io"
	"os"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// ConfigError is an invalid configuration file: it names the file, the line and the field.
type ConfigError struct {
	File  string
	Line  int    // 1-based; 0 when unknown
	Field string // YAML path, e.g. limits.requests.window; "" for a syntax error
	Msg   string
}

func (e *ConfigError) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		b.WriteString(":" + strconv.Itoa(e.Line))
	}
	b.WriteString(": ")
	if e.Field != "" {
		b.WriteString(e.Field + ": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// LoadConfigFile reads a mock configuration from a YAML file; see LoadConfig.
func LoadConfigFile(path string) (Config, error) {
	f, err := os.Open(path)
	if err != nil {
		return Config{}, &ConfigError{File: path, Msg: err.Error()}
	}
	defer f.Close()
	return LoadConfig(f, path)
}

// LoadConfig reads a mock configuration in YAML from r (name is the file name errors use).
// Fields not in the file keep DefaultConfig's values. Decoding is strict: an unknown field, a
// value of the wrong type or an invalid value is a *ConfigError naming the line and the field,
// and an unknown field names the closest valid one. Example:
//
//	algorithm: token-bucket
//	window: 1m
//	limits:
//	  requests: {per_minute: 60, window: 1s, burst: 1, advertise: {per_minute: 60}}
//	  input_tokens: {per_minute: 30000}
//	  output_tokens: {per_minute: 8000}
//	count_rejected: true
//	output_accounting: max_tokens
func LoadConfig(r io.Reader, name string) (Config, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return Config{}, &ConfigError{File: name, Msg: err.Error()}
	}
	cfg := DefaultConfig()
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return cfg, syntaxError(name, err)
	}
	if len(doc.Content) == 0 {
		return cfg, nil // an empty file: the defaults
	}
	root := doc.Content[0]
	if err := checkNode(name, root, reflect.TypeOf(cfg), ""); err != nil {
		return cfg, err
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&cfg); err != nil {
		return cfg, syntaxError(name, err)
	}
	if err := cfg.Validate(); err != nil {
		var fe *FieldError
		if errors.As(err, &fe) {
			return cfg, &ConfigError{File: name, Line: lineOf(root, fe.Field), Field: fe.Field, Msg: fe.Msg}
		}
		return cfg, &ConfigError{File: name, Msg: err.Error()}
	}
	return cfg, nil
}

var yamlLine = regexp.MustCompile(`line (\d+)`)

// syntaxError turns a yaml error ("yaml: line 3: …") into a ConfigError with its line.
func syntaxError(name string, err error) *ConfigError {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	ce := &ConfigError{File: name, Msg: msg}
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		ce.Line, _ = strconv.Atoi(m[1])
		ce.Msg = strings.TrimSpace(strings.TrimPrefix(strings.Replace(msg, m[0], "", 1), ":"))
	}
	return ce
}

var durationType = reflect.TypeOf(time.Duration(0))

// checkNode walks a YAML node against the Go type it will decode into and reports the first
// unknown field (with the closest valid name) or scalar of the wrong type, with its line.
func checkNode(file string, n *yaml.Node, t reflect.Type, path string) error {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	if t.Kind() != reflect.Struct {
		if n.Kind != yaml.ScalarNode {
			return &ConfigError{File: file, Line: n.Line, Field: path, Msg: "want a single value (" + typeName(t) + "), not a list or a mapping"}
		}
		if n.Tag == "!!null" {
			return nil
		}
		if err := n.Decode(reflect.New(t).Interface()); err != nil {
			return &ConfigError{File: file, Line: n.Line, Field: path, Msg: "cannot read " + strconv.Quote(n.Value) + " as " + typeName(t)}
		}
		return nil
	}
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return nil
	}
	if n.Kind != yaml.MappingNode {
		return &ConfigError{File: file, Line: n.Line, Field: path, Msg: "want a mapping of " + strings.Join(fieldNames(t), ", ")}
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		f, ok := fieldByTag(t, k.Value)
		sub := k.Value
		if path != "" {
			sub = path + "." + k.Value
		}
		if !ok {
			names := fieldNames(t)
			msg := "unknown field"
			if c := closest(k.Value, names); c != "" {
				msg += " (did you mean " + strconv.Quote(c) + "?)"
			}
			msg += "; valid fields: " + strings.Join(names, ", ")
			return &ConfigError{File: file, Line: k.Line, Field: sub, Msg: msg}
		}
		if err := checkNode(file, v, f.Type, sub); err != nil {
			return err
		}
	}
	return nil
}

func typeName(t reflect.Type) string {
	switch {
	case t == durationType:
		return "a duration such as 1m, 5s or 250ms"
	case t.Kind() == reflect.Bool:
		return "true or false"
	case t.Kind() >= reflect.Int && t.Kind() <= reflect.Uint64:
		return "a whole number"
	case t.Kind() == reflect.Float32 || t.Kind() == reflect.Float64:
		return "a number"
	}
	return "a string"
}

func yamlName(f reflect.StructField) string {
	name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
	return name
}

func fieldByTag(t reflect.Type, name string) (reflect.StructField, bool) {
	for i := range t.NumField() {
		if f := t.Field(i); yamlName(f) == name && name != "" && name != "-" {
			return f, true
		}
	}
	return reflect.StructField{}, false
}

func fieldNames(t reflect.Type) []string {
	var names []string
	for i := range t.NumField() {
		if n := yamlName(t.Field(i)); n != "" && n != "-" {
			names = append(names, n)
		}
	}
	return names
}

// closest returns the name nearest to s by edit distance, if it is near enough to be a typo.
func closest(s string, names []string) string {
	best, bestD := "", len(s)/2+2
	for _, n := range names {
		if d := editDistance(strings.ToLower(s), n); d < bestD {
			best, bestD = n, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// lineOf returns the line of the field at a dotted path in a mapping node. A limit's window or
// algorithm absent from the file comes from the top-level default: its line. Otherwise it is the
// line of the nearest present ancestor; 0 when none is present.
func lineOf(n *yaml.Node, path string) int {
	if line, found := lineOfPath(n, path); found {
		return line
	}
	parts := strings.Split(path, ".")
	if leaf := parts[len(parts)-1]; len(parts) > 1 && (leaf == "window" || leaf == "algorithm") {
		if line, found := lineOfPath(n, leaf); found {
			return line
		}
	}
	line, _ := lineOfPath(n, path)
	return line
}

// lineOfPath returns the line of the deepest field of path present in n, and whether all of
// path was.
func lineOfPath(n *yaml.Node, path string) (line int, found bool) {
	parts := strings.Split(path, ".")
	for i, part := range parts {
		if n == nil || n.Kind != yaml.MappingNode {
			break
		}
		var next *yaml.Node
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == part {
				line, next = n.Content[i].Line, n.Content[i+1]
				break
			}
		}
		if next == nil {
			break
		}
		if i == len(parts)-1 {
			return line, true
		}
		n = next
	}
	return line, false
}

// String renders the configuration as the YAML LoadConfig reads.
func (c Config) String() string {
	b, err := yaml.Marshal(c)
	if err != nil {
		return "# " + err.Error() + "\n"
	}
	return string(b)
}
