package scenario

import (
	"bytes"
	"errors"
	"io"
	"os"
	"reflect"

	"github.com/ratelab/ratelab/internal/strictyaml"
	"go.yaml.in/yaml/v3"
)

// ParamError is a problem with one parameter of a strategy: it is reported at that parameter's
// path and line, e.g. "phases[1].compare.strategies[2].params.cap: must be > 0".
type ParamError struct {
	Param string // parameter name, e.g. "cap"
	Msg   string // what is wrong and what would be valid
}

// Error returns "param: message".
func (e *ParamError) Error() string { return e.Param + ": " + e.Msg }

// LoadFile reads and loads the scenario file at path; problems name the path as given.
func LoadFile(path string) (*Scenario, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Load(path, data)
}

// Load decodes, validates and resolves one scenario document. file names the source in
// problems. It returns the scenario with defaults filled in, or a *strictyaml.Error listing
// every problem, each with its position and field path.
func Load(file string, data []byte) (*Scenario, error) {
	d := strictyaml.NewDecoder(file)
	var root yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	switch err := dec.Decode(&root); {
	case errors.Is(err, io.EOF):
		return nil, &strictyaml.Error{Problems: []strictyaml.Problem{{File: file, Msg: "the file is empty; a scenario needs at least target: or mock:"}}}
	case err != nil:
		return nil, &strictyaml.Error{Problems: []strictyaml.Problem{strictyaml.SyntaxProblem(file, err)}}
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		d.Fail(&extra, "", "a scenario file holds one YAML document; this is a second one (remove the ---)")
	} else if !errors.Is(err, io.EOF) {
		d.Add(strictyaml.SyntaxProblem(file, err))
	}

	s := &Scenario{}
	d.Value(&root, reflect.ValueOf(s).Elem(), "")
	if top := strictyaml.Deref(&root); top == nil || top.Kind != yaml.MappingNode {
		if len(d.Problems()) == 0 { // a null document: "~", "!"
			d.Fail(top, "", "a scenario is a mapping of fields (target:, mock:, phases: …); this document has none")
		}
		return nil, &strictyaml.Error{Problems: d.Problems()} // nothing else to check
	}
	s.src = &source{file: file, pos: d.Positions(), bad: d.Bad()}
	if d.Aborted() {
		return nil, &strictyaml.Error{Problems: d.Problems()}
	}
	problems := d.Problems()
	if err := s.Resolve(); err != nil {
		var se *strictyaml.Error
		if !errors.As(err, &se) {
			return nil, err
		}
		problems = append(problems, se.Problems...)
	}
	if len(problems) > 0 {
		strictyaml.Sort(problems)
		return nil, &strictyaml.Error{Problems: problems}
	}
	return s, nil
}

// Resolve validates the scenario (the mock section, strategy names and parameters, rates) and
// fills in the defaults. A scenario built from flags goes through Resolve
// too. It returns a *strictyaml.Error listing every problem.
func (s *Scenario) Resolve() error {
	v := &validator{s: s}
	v.validate()
	if len(v.problems) > 0 {
		strictyaml.Sort(v.problems)
		return &strictyaml.Error{Problems: v.problems}
	}
	v.expandAll()
	s.SetDefaults()
	return nil
}
