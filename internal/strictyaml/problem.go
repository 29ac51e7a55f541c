package strictyaml

import (
	"cmp"
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Problem is one thing wrong with a document: where it is (file, line, column, and the field
// path such as "phases[1].compare.strategies[2].params.cap") and what is wrong.
type Problem struct {
	File string `json:"file,omitempty"`
	Line int    `json:"line,omitempty"` // 1-based; 0 when unknown (a scenario built from flags)
	Col  int    `json:"col,omitempty"`  // 1-based; 0 when unknown
	Path string `json:"path,omitempty"` // "" for the whole document
	Msg  string `json:"msg"`
}

// String renders the problem as "file:line:col: path: message", leaving out the parts that are
// unknown.
func (p Problem) String() string {
	var b strings.Builder
	if p.File != "" {
		b.WriteString(p.File)
		if p.Line > 0 {
			fmt.Fprintf(&b, ":%d", p.Line)
			if p.Col > 0 {
				fmt.Fprintf(&b, ":%d", p.Col)
			}
		}
		b.WriteString(": ")
	} else if p.Line > 0 {
		fmt.Fprintf(&b, "line %d: ", p.Line)
	}
	if p.Path != "" {
		b.WriteString(p.Path)
		b.WriteString(": ")
	}
	b.WriteString(p.Msg)
	return b.String()
}

// Error is an invalid document: every problem found, in file order. Commands map it to exit
// code 2 and print one problem per line.
type Error struct {
	Problems []Problem
}

// Error returns the problems one per line.
func (e *Error) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// Sort orders problems by file position; problems without a position keep their order after
// the positioned ones.
func Sort(ps []Problem) {
	slices.SortStableFunc(ps, func(a, b Problem) int {
		if (a.Line == 0) != (b.Line == 0) {
			if a.Line == 0 {
				return 1
			}
			return -1
		}
		return cmp.Or(cmp.Compare(a.Line, b.Line), cmp.Compare(a.Col, b.Col))
	})
}

var lineRE = regexp.MustCompile(`^(?:yaml: )?line (\d+): (.*)$`)

// SyntaxProblem turns a YAML parser error ("yaml: line 3: did not find expected key") into a
// positioned problem.
func SyntaxProblem(file string, err error) Problem {
	msg := err.Error()
	p := Problem{File: file, Msg: "invalid YAML: " + strings.TrimPrefix(msg, "yaml: ")}
	if m := lineRE.FindStringSubmatch(msg); m != nil {
		p.Line, _ = strconv.Atoi(m[1])
		p.Msg = "invalid YAML: " + m[2]
	}
	return p
}

// LineOf splits the line number off a message of the YAML library ("line 3: cannot
// unmarshal …"); ok is false when the message names no line.
func LineOf(msg string) (line int, rest string, ok bool) {
	m := lineRE.FindStringSubmatch(msg)
	if m == nil {
		return 0, msg, false
	}
	line, _ = strconv.Atoi(m[1])
	return line, m[2], true
}

// RecordPositions notes the position of every value under n, and of every key, starting at
// path, so that problems found later (validation, or a section decoded some other way) still
// get a line and column.
func (d *Decoder) RecordPositions(n *yaml.Node, path string) { d.recordPositions(n, path, 0) }

func (d *Decoder) recordPositions(n *yaml.Node, path string, depth int) {
	if depth > MaxDepth {
		return
	}
	if n = d.Resolve(n); n == nil {
		return
	}
	if _, ok := d.pos[path]; !ok {
		d.pos[path] = Position{n.Line, n.Column}
	}
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			if k := n.Content[i]; k.Kind == yaml.ScalarNode {
				p := Join(path, k.Value)
				if _, ok := d.keys[p]; !ok {
					d.keys[p] = Position{k.Line, k.Column}
				}
				d.recordPositions(n.Content[i+1], p, depth+1)
			}
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			d.recordPositions(c, fmt.Sprintf("%s[%d]", path, i), depth+1)
		}
	}
}

func wantOf(k reflect.Kind) string {
	switch k {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Float32, reflect.Float64:
		return "a number"
	default:
		return "a whole number"
	}
}

// Describe names what a node is, for "got …" messages.
func Describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		return "an alias (*" + n.Value + ")"
	case yaml.ScalarNode:
		if IsNull(n) {
			return "nothing"
		}
		return Show(n.Value)
	default:
		return "an unsupported node"
	}
}

// Show quotes a user value for a message: shortened when long, and withheld when it looks like
// an API key, so a key pasted into the wrong field never reaches the terminal.
func Show(s string) string {
	if LooksLikeKey(s) {
		return "a value that looks like an API key (not shown)"
	}
	if len(s) > 40 {
		s = s[:37] + "..."
	}
	return strconv.Quote(s)
}

// LooksLikeKey reports whether s looks like a provider API key or a bearer token.
func LooksLikeKey(s string) bool {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(strings.ToLower(s), "bearer ") {
		return true
	}
	if strings.HasPrefix(s, "sk-") && len(s) > 12 {
		return true
	}
	// A long run of letters and digits with no spaces is a token, not a setting.
	if len(s) >= 32 && !strings.ContainsAny(s, " /:.") {
		var letters, digits int
		for _, r := range s {
			switch {
			case r >= '0' && r <= '9':
				digits++
			case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z':
				letters++
			}
		}
		return letters > 0 && digits > 0
	}
	return false
}
