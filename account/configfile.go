package account

import (
	"errors"
	"io"
	"os"
	"reflect"
	"strings"

	"github.com/ratelab/ratelab/internal/strictyaml"
	"go.yaml.in/yaml/v3"
)

// LoadConfigFile reads a mock configuration from a YAML file; see LoadConfig.
func LoadConfigFile(path string) (Config, error) {
	f, err := os.Open(path)
	if err != nil {
		return Config{}, &strictyaml.Error{Problems: []strictyaml.Problem{{File: path, Msg: err.Error()}}}
	}
	defer f.Close()
	return LoadConfig(f, path)
}

// LoadConfig reads a mock configuration in YAML from r (name is the file name errors use).
// Fields not in the file keep DefaultConfig's values. Decoding is strict, as for a scenario
// file (internal/strictyaml): an unknown field (with the closest valid name), a value of the
// wrong type or an invalid value is a *strictyaml.Error naming the file, line, column and field.
// Example:
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
	cfg := DefaultConfig()
	data, err := io.ReadAll(r)
	if err != nil {
		return cfg, err
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return cfg, &strictyaml.Error{Problems: []strictyaml.Problem{strictyaml.SyntaxProblem(name, err)}}
	}
	if len(doc.Content) == 0 {
		return cfg, nil // an empty file: the defaults
	}
	return cfg, DecodeConfig(name, &doc, "", &cfg)
}

// DecodeConfig decodes the YAML node n over *cfg strictly and validates the result: every
// problem is a *strictyaml.Error naming file, the line and the field, whose path starts with
// path (a scenario's mock section passes "mock"). A null node keeps *cfg.
func DecodeConfig(file string, n *yaml.Node, path string, cfg *Config) error {
	d := strictyaml.NewDecoder(file)
	d.Value(n, reflect.ValueOf(cfg).Elem(), path)
	if ps := d.Problems(); len(ps) > 0 {
		strictyaml.Sort(ps)
		return &strictyaml.Error{Problems: ps}
	}
	err := cfg.Validate()
	if err == nil {
		return nil
	}
	d.RecordPositions(n, path)
	p := strictyaml.Problem{File: file, Path: path, Msg: err.Error()}
	var fe *FieldError
	if errors.As(err, &fe) {
		p.Path, p.Msg = fieldPath(path, fe.Field), fe.Msg
	}
	at := positionOf(d, path, p.Path)
	p.Line, p.Col = at.Line, at.Col
	return &strictyaml.Error{Problems: []strictyaml.Problem{p}}
}

// fieldPath is the path of field (dotted, relative to the configuration) under base.
func fieldPath(base, field string) string {
	if base == "" {
		return field
	}
	return base + "." + field
}

// positionOf finds where the field at p is written: its key, else the key of the top-level
// default a limit's window or algorithm comes from, else its nearest written parent.
func positionOf(d *strictyaml.Decoder, base, p string) strictyaml.Position {
	if at, ok := d.KeyPosition(p); ok {
		return at
	}
	if i := strings.LastIndexByte(p, '.'); i >= 0 {
		if leaf := p[i+1:]; leaf == "window" || leaf == "algorithm" {
			if at, ok := d.KeyPosition(fieldPath(base, leaf)); ok {
				return at
			}
		}
	}
	for i := strings.LastIndexByte(p, '.'); i >= 0; i = strings.LastIndexByte(p, '.') {
		p = p[:i]
		if at, ok := d.KeyPosition(p); ok {
			return at
		}
	}
	return d.Positions()[base]
}

// String renders the configuration as the YAML LoadConfig reads.
func (c Config) String() string {
	b, err := yaml.Marshal(c)
	if err != nil {
		return "# " + err.Error() + "\n"
	}
	return string(b)
}
