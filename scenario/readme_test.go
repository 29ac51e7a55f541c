package scenario_test

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/ratelab/ratelab/scenario"
	"github.com/ratelab/ratelab/scenarios"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var yamlBlock = regexp.MustCompile("(?s)```yaml\n(.*?)```")

// TestReadmeExamples: every YAML example in README.md loads. A fragment (no target: or mock:)
// is loaded as part of a scenario against the default mock; the expect: example gets the
// compare phase its strategy thresholds need.
func TestReadmeExamples(t *testing.T) {
	text, err := os.ReadFile("../scenarios/README.md")
	require.NoError(t, err)
	blocks := yamlBlock.FindAllStringSubmatch(string(text), -1)
	require.GreaterOrEqual(t, len(blocks), 10)
	hasTop := regexp.MustCompile(`(?m)^(target|mock):`)
	for _, m := range blocks {
		src := m[1]
		first, _, _ := strings.Cut(src, "\n")
		t.Run(first, func(t *testing.T) {
			if !hasTop.MatchString(src) {
				src = "mock:\n" + src
			}
			if strings.HasPrefix(first, "expect:") {
				src += "phases:\n  - compare: {strategies: [full-jitter], mode: both}\n"
			}
			_, err := scenario.Load("README.md", []byte(src))
			assert.NoError(t, err)
		})
	}
}

// TestReadmeListsEveryBundledScenario keeps the table at the end of README.md complete.
func TestReadmeListsEveryBundledScenario(t *testing.T) {
	text, err := os.ReadFile("../scenarios/README.md")
	require.NoError(t, err)
	for _, name := range scenarios.Names() {
		assert.Contains(t, string(text), "| `"+name+"` |", name)
	}
}
