package scenario

import (
	"cmp"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Problem is one thing wrong with a scenario: where it is (file, line, column, and the field
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

// Error is an invalid scenario: every problem found, in file order. Commands map it to exit
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

// sortProblems orders problems by file position; problems without a position keep their order
// after the positioned ones.
func sortProblems(ps []Problem) {
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

// suggest returns the candidate closest to s by edit distance when it is close enough to be a
// likely typo, else "".
func suggest(s string, candidates []string) string {
	best, bestD := "", -1
	for _, c := range candidates {
		d := editDistance(strings.ToLower(s), strings.ToLower(c))
		if bestD < 0 || d < bestD {
			best, bestD = c, d
		}
	}
	// A typo changes at most a third of the word, and never more than 3 letters.
	limit := min(3, max(1, max(len(s), len(best))/3))
	if bestD < 0 || bestD > limit {
		return ""
	}
	return best
}

// unknownMsg explains an unknown name: the closest valid one when there is a likely typo, else
// the list of valid names.
func unknownMsg(kind, s string, valid []string) string {
	if c := suggest(s, valid); c != "" {
		return fmt.Sprintf("unknown %s %q; did you mean %q?", kind, s, c)
	}
	return fmt.Sprintf("unknown %s %q; valid: %s", kind, s, strings.Join(valid, ", "))
}

// editDistance is the optimal string alignment distance between a and b: insertions,
// deletions, substitutions and transpositions of adjacent letters ("burts" → "burst") cost 1.
// It works over bytes (names are ASCII).
func editDistance(a, b string) int {
	d := make([][]int, len(a)+1)
	for i := range d {
		d[i] = make([]int, len(b)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(a)][len(b)]
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

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "mapping"
	case yaml.SequenceNode:
		return "list"
	default:
		return "value"
	}
}

// describe names what a node is, for "got …" messages.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if isNull(n) {
			return "nothing"
		}
		return show(n.Value)
	default:
		return "an unsupported node"
	}
}

// show quotes a user value for a message: shortened when long, and withheld when it looks like
// an API key, so a key pasted into the wrong field never reaches the terminal.
func show(s string) string {
	if looksLikeKey(s) {
		return "a value that looks like an API key (not shown)"
	}
	if len(s) > 40 {
		s = s[:37] + "..."
	}
	return strconv.Quote(s)
}

// looksLikeKey reports whether s looks like a provider API key or a bearer token.
func looksLikeKey(s string) bool {
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
