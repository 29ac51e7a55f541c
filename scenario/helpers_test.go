package scenario

import (
	"errors"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/ratelab/ratelab/internal/strictyaml"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"
)

// testMock stands in for the mock server's configuration.
type testMock struct {
	Algorithm string `yaml:"algorithm"`
	Limits    struct {
		Requests struct {
			PerMinute int64  `yaml:"per_minute"`
			Burst     *int64 `yaml:"burst"`
		} `yaml:"requests"`
	} `yaml:"limits"`
}

// testOptions wires a mock hook that behaves like the real one: strict decoding of the mock
// section and a check that reports a bad setting at its line.
func testOptions() Options {
	return Options{
		DecodeMock: func(n *yaml.Node) (any, error) {
			var cfg testMock
			if err := strictyaml.Decode("", n, "", &cfg); err != nil {
				return nil, err
			}
			if cfg.Limits.Requests.PerMinute < 0 {
				return nil, &ParamError{Param: "limits.requests.per_minute", Msg: "must not be negative"}
			}
			if cfg.Algorithm == "broken" {
				return nil, errors.New("algorithm broken is not supported")
			}
			return &cfg, nil
		},
	}
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// problems loads src and returns its problems rendered one per line ("" when it loads).
func problems(t *testing.T, src string, opts Options) []string {
	t.Helper()
	_, err := Load("bad.yaml", []byte(src), opts)
	if err == nil {
		return nil
	}
	var se *strictyaml.Error
	require.ErrorAs(t, err, &se)
	return strings.Split(se.Error(), "\n")
}

func mustLoad(t *testing.T, src string) *Scenario {
	t.Helper()
	s, err := Load("ok.yaml", []byte(src), testOptions())
	require.NoError(t, err)
	return s
}

// evalScenario is a scenario with a threshold of every kind (threshold's test data).
var evalScenario = func() string {
	b, err := os.ReadFile("../threshold/testdata/every-threshold.yaml")
	if err != nil {
		panic(err)
	}
	return string(b)
}()

// TestEvalScenarioLoads: a scenario with a threshold of every kind is valid.
func TestEvalScenarioLoads(t *testing.T) {
	s := mustLoad(t, evalScenario)
	require.NotNil(t, s.Expect)
	assert.Len(t, s.Expect.Strategies, 3)
}
