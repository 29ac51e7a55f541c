package scenario

import (
	"os"
	"strings"
	"testing"

	"github.com/ratelab/ratelab/internal/strictyaml"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// problems loads src and returns its problems rendered one per line ("" when it loads).
func problems(t *testing.T, src string) []string {
	t.Helper()
	_, err := Load("bad.yaml", []byte(src))
	if err == nil {
		return nil
	}
	var se *strictyaml.Error
	require.ErrorAs(t, err, &se)
	return strings.Split(se.Error(), "\n")
}

func mustLoad(t *testing.T, src string) *Scenario {
	t.Helper()
	s, err := Load("ok.yaml", []byte(src))
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
