package presets

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"reflect"
	"slices"
	"strings"

	"github.com/ratelab/ratelab/internal/strictyaml"
	"go.yaml.in/yaml/v3"
)

// Decode reads one preset file strictly (an unknown or misspelt field is an error naming the
// file, line and field) and validates it; file names the input in messages. The bundled files
// are read with Get; Decode is for tests and for presets a user supplies.
func Decode(file string, data []byte) (*Preset, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var root yaml.Node
	switch err := dec.Decode(&root); {
	case errors.Is(err, io.EOF):
		return nil, problem(file, 0, "empty file: want a preset (schema: "+Schema+")")
	case err != nil:
		return nil, &strictyaml.Error{Problems: []strictyaml.Problem{strictyaml.SyntaxProblem(file, err)}}
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return nil, problem(file, extra.Line, "more than one YAML document: a preset file holds one")
	}
	d := strictyaml.NewDecoder(file)
	var p Preset
	d.Value(&root, reflect.ValueOf(&p).Elem(), "")
	if len(d.Problems()) > 0 {
		return nil, &strictyaml.Error{Problems: d.Problems()}
	}
	p.file = file
	p.inherit()
	d.RecordPositions(&root, "")
	v := &validator{file: file, d: d, p: &p}
	v.preset()
	if len(v.problems) > 0 {
		return nil, &strictyaml.Error{Problems: v.problems}
	}
	p.resolve()
	return &p, nil
}

// problem is an error of one problem of the file as a whole (line 0: none).
func problem(file string, line int, msg string) error {
	return &strictyaml.Error{Problems: []strictyaml.Problem{{File: file, Line: line, Msg: msg}}}
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

// positionOf finds where the field at p is written (its key, or a sequence item), or its
// nearest present parent.
func positionOf(d *strictyaml.Decoder, p path) strictyaml.Position {
	for ; len(p) > 0; p = p[:len(p)-1] {
		if at, ok := d.KeyPosition(p.String()); ok {
			return at
		}
		if at, ok := d.Positions()[p.String()]; ok {
			return at
		}
	}
	return d.Positions()[""]
}
