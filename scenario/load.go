package scenario

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Options are the checks other packages plug into loading, so this package depends on none of
// them. Every hook is optional; without one the corresponding part is checked only for shape.
type Options struct {
	// DecodeMock decodes and validates the mock: section (a mapping node, or a null node for an
	// empty section) into the mock server's configuration, which is stored in Mock.Config. Its
	// error may be an *Error (e.g. from DecodeNode; paths relative to the section are prefixed
	// with "mock"), a *yaml.TypeError ("line N: …"), a *ParamError, or any error, which is then
	// reported at the section.
	DecodeMock func(n *yaml.Node) (any, error)
	// Strategies lists the valid strategy names (as `ratelab compare --list` prints them). When
	// set, unknown names are reported with the closest valid one and "all" expands to this list.
	Strategies []string
	// CheckStrategy validates one strategy's parameters. Return a *ParamError (several joined
	// with errors.Join) to point at a parameter, or any error to point at the strategy.
	CheckStrategy func(name string, params map[string]any) error
	// CheckRate validates a rate string such as "5/s" (e.g. the probe's own parser). Default:
	// ParseRate.
	CheckRate func(rate string) error
}

// ParamError is a problem with one parameter of a strategy (or one setting of the mock), for
// hooks to return: the problem is reported at that parameter's path and line, e.g.
// "phases[1].compare.strategies[2].params.cap: must be > 0".
type ParamError struct {
	Param string // parameter name, e.g. "cap"
	Msg   string // what is wrong and what would be valid
}

// Error returns "param: message".
func (e *ParamError) Error() string { return e.Param + ": " + e.Msg }

// LoadFile reads and loads the scenario file at path; problems name the path as given.
func LoadFile(path string, opts Options) (*Scenario, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Load(path, data, opts)
}

// Load decodes, validates and resolves one scenario document. file names the source in
// problems. It returns the scenario with defaults filled in, or an *Error listing every problem,
// each with its position and field path.
func Load(file string, data []byte, opts Options) (*Scenario, error) {
	d := newDecoder(file)
	var root yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	switch err := dec.Decode(&root); {
	case errors.Is(err, io.EOF):
		return nil, &Error{Problems: []Problem{{File: file, Msg: "the file is empty; a scenario needs at least target: or mock:"}}}
	case err != nil:
		return nil, &Error{Problems: []Problem{syntaxProblem(file, err)}}
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		d.fail(&extra, "", "a scenario file holds one YAML document; this is a second one (remove the ---)")
	} else if !errors.Is(err, io.EOF) {
		d.problems = append(d.problems, syntaxProblem(file, err))
	}

	s := &Scenario{}
	d.value(&root, reflect.ValueOf(s).Elem(), "")
	if top := deref(&root); top == nil || top.Kind != yaml.MappingNode {
		if len(d.problems) == 0 { // a null document: "~", "!"
			d.fail(top, "", "a scenario is a mapping of fields (target:, mock:, phases: …); this document has none")
		}
		return nil, &Error{Problems: d.problems} // nothing else to check
	}
	if s.Mock != nil && s.Mock.Node != nil {
		recordPositions(d, s.Mock.Node, "mock", 0)
	}
	s.src = &source{file: file, pos: d.pos, bad: d.bad}
	if d.aborted {
		return nil, &Error{Problems: d.problems}
	}
	problems := d.problems
	if err := s.Resolve(opts); err != nil {
		var se *Error
		if !errors.As(err, &se) {
			return nil, err
		}
		problems = append(problems, se.Problems...)
	}
	if len(problems) > 0 {
		sortProblems(problems)
		return nil, &Error{Problems: problems}
	}
	return s, nil
}

var lineRE = regexp.MustCompile(`^(?:yaml: )?line (\d+): (.*)$`)

// syntaxProblem turns a YAML parser error ("yaml: line 3: did not find expected key") into a
// positioned problem.
func syntaxProblem(file string, err error) Problem {
	msg := err.Error()
	p := Problem{File: file, Msg: "invalid YAML: " + strings.TrimPrefix(msg, "yaml: ")}
	if m := lineRE.FindStringSubmatch(msg); m != nil {
		p.Line, _ = strconv.Atoi(m[1])
		p.Msg = "invalid YAML: " + m[2]
	}
	return p
}

// recordPositions notes the position of every value under n, so problems a hook reports by
// path (or by line) inside a section it decodes itself still get a line and column.
func recordPositions(d *decoder, n *yaml.Node, path string, depth int) {
	if depth > maxDepth {
		return
	}
	if n = d.resolve(n); n == nil {
		return
	}
	if _, ok := d.pos[path]; !ok {
		d.pos[path] = position{n.Line, n.Column}
	}
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			if k := n.Content[i]; k.Kind == yaml.ScalarNode {
				recordPositions(d, n.Content[i+1], join(path, k.Value), depth+1)
			}
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			recordPositions(d, c, fmt.Sprintf("%s[%d]", path, i), depth+1)
		}
	}
}

// Resolve validates the scenario, runs the hooks in opts (mock decoding, strategy names and
// parameters, rates) and fills in the defaults. A scenario built from flags goes through Resolve
// too. It returns an *Error listing every problem.
func (s *Scenario) Resolve(opts Options) error {
	v := &validator{s: s, opts: opts}
	v.validate()
	if len(v.problems) > 0 {
		sortProblems(v.problems)
		return &Error{Problems: v.problems}
	}
	v.expandAll()
	s.SetDefaults()
	return nil
}
