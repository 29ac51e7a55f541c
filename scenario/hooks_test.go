package scenario

import (
	"errors"
	"testing"

	"github.com/ratelab/ratelab/internal/strictyaml"
	"github.com/stretchr/testify/assert"
	"go.yaml.in/yaml/v3"
)

// TestHookErrorForms: whatever form a hook's error takes, its problems land on the right line.
func TestHookErrorForms(t *testing.T) {
	const src = "mock:\n  rpm: 60\n  limits:\n    requests: {per_minute: x}\n"
	tests := []struct {
		name string
		hook func(n *yaml.Node) (any, error)
		want []string
	}{
		{"yaml type errors by line", func(n *yaml.Node) (any, error) {
			var cfg struct {
				RPM    int                       `yaml:"rpm"`
				Limits map[string]map[string]int `yaml:"limits"`
			}
			return nil, n.Decode(&cfg)
		}, []string{"bad.yaml:4:28: mock.limits.requests.per_minute: cannot unmarshal !!str `x` into int"}},
		{"problems by path without a line", func(*yaml.Node) (any, error) {
			return nil, &strictyaml.Error{Problems: []strictyaml.Problem{
				{Path: "limits.requests.per_minute", Msg: "must be a number"},
				{Path: "mock.rpm", Msg: "is not a field; use limits.requests.per_minute"},
				{Msg: "something about the whole section"},
			}}
		}, []string{
			"bad.yaml:2:3: mock: something about the whole section",
			"bad.yaml:2:8: mock.rpm: is not a field; use limits.requests.per_minute",
			"bad.yaml:4:28: mock.limits.requests.per_minute: must be a number",
		}},
		{"joined parameter errors", func(*yaml.Node) (any, error) {
			return nil, errors.Join(
				&ParamError{Param: "rpm", Msg: "unknown"},
				&ParamError{Param: "limits.requests", Msg: "bad"},
				&ParamError{Param: "odd key", Msg: "quoted"},
				errors.New("plain"))
		}, []string{
			"bad.yaml:2:3: mock[\"odd key\"]: quoted",
			"bad.yaml:2:3: mock: plain",
			"bad.yaml:2:8: mock.rpm: unknown",
			"bad.yaml:4:15: mock.limits.requests: bad",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, problems(t, src, Options{DecodeMock: tt.hook}))
		})
	}
}
