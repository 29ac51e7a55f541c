package scenario

import (
	"fmt"
	"reflect"
	"strings"
	"time"

	"github.com/ratelab/ratelab/internal/strictyaml"
	"github.com/ratelab/ratelab/workload"
	"go.yaml.in/yaml/v3"
)

// Rate is a request rate as written: "5/s", "300/m", "2/h", "10/1s", "1/500ms". It is kept as
// text, as written, and parsed by workload.ParseRate (Parse).
type Rate string

func (r *Rate) DecodeYAML(d *strictyaml.Decoder, n *yaml.Node, path string) {
	if strictyaml.IsNull(n) || !d.Expect(n, path, yaml.ScalarNode, "a rate such as 5/s or 300/m") {
		return
	}
	*r = Rate(strings.TrimSpace(n.Value))
}

// Parse reads the rate (workload.ParseRate).
func (r Rate) Parse() (workload.Rate, error) { return workload.ParseRate(string(r)) }

// Stage is one k6-style stage: ramp linearly from the previous rate to Target over Duration.
type Stage struct {
	Duration Duration `yaml:"duration" json:"duration"`
	Target   Rate     `yaml:"target" json:"target"`
}

// Stages is a list of stages, written in YAML either as the --stages flag string
// ("30s:5/s,60s:20/s") or as a list of {duration, target}. Its text form is the flag string.
type Stages []Stage

// String returns the --stages flag form, e.g. "30s:5/s,60s:20/s".
func (st Stages) String() string {
	parts := make([]string, len(st))
	for i, s := range st {
		parts[i] = s.Duration.String() + ":" + string(s.Target)
	}
	return strings.Join(parts, ",")
}

// MarshalText writes the --stages flag form.
func (st Stages) MarshalText() ([]byte, error) { return []byte(st.String()), nil }

// UnmarshalText reads the --stages flag form.
func (st *Stages) UnmarshalText(b []byte) error {
	out, err := ParseStages(string(b))
	if err != nil {
		return err
	}
	*st = out
	return nil
}

// MaxStages bounds the number of stages of one probe phase.
const MaxStages = 1000

// ParseStages reads the --stages flag form "30s:5/s,60s:20/s" into stages. It checks the
// shape and the durations; rates are checked separately (Rate.Parse).
func ParseStages(s string) (Stages, error) {
	if strings.TrimSpace(s) == "" {
		return nil, fmt.Errorf("no stages: write DURATION:RATE,… e.g. 30s:5/s,60s:20/s")
	}
	parts := strings.Split(s, ",")
	if len(parts) > MaxStages {
		return nil, fmt.Errorf("%d stages: at most %d", len(parts), MaxStages)
	}
	var out Stages
	for i, part := range parts {
		ds, rs, ok := strings.Cut(strings.TrimSpace(part), ":")
		if !ok {
			return nil, fmt.Errorf("stage %d %s: want DURATION:RATE, e.g. 30s:5/s", i+1, strictyaml.Show(part))
		}
		d, err := time.ParseDuration(strings.TrimSpace(ds))
		if err != nil {
			return nil, fmt.Errorf("stage %d %s: bad duration %s: want e.g. 30s:5/s", i+1, strictyaml.Show(part), strictyaml.Show(ds))
		}
		out = append(out, Stage{Duration: Duration(d), Target: Rate(strings.TrimSpace(rs))})
	}
	return out, nil
}

func (st *Stages) DecodeYAML(d *strictyaml.Decoder, n *yaml.Node, path string) {
	switch {
	case strictyaml.IsNull(n):
	case n.Kind == yaml.ScalarNode:
		out, err := ParseStages(n.Value)
		if err != nil {
			d.Fail(n, path, "%v", err)
			return
		}
		*st = out
	case n.Kind == yaml.SequenceNode:
		v := reflect.ValueOf(st).Elem()
		d.Sequence(n, v, path)
	default:
		d.Fail(n, path, "must be a list of {duration, target} or a string such as 30s:5/s,60s:20/s, got %s", strictyaml.Describe(n))
	}
}
