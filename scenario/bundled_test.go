package scenario_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ratelab/ratelab/account"
	"github.com/ratelab/ratelab/backoff"
	"github.com/ratelab/ratelab/internal/strictyaml"
	"github.com/ratelab/ratelab/scenario"
	"github.com/ratelab/ratelab/scenarios"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var bundled = []string{
	"advertised-vs-enforced", "anthropic-headers", "anthropic-ramp", "backoff-shootout",
	"capacity-plan", "no-headers", "openai-headers", "preset-anthropic", "preset-azure-openai", "preset-bedrock",
	"preset-gemini", "preset-openai", "quickstart", "rejected-count",
	"streaming-capacity", "trace-plan",
}

// TestEveryBundledScenarioLoads: every file parses, validates against the real mock
// configuration and strategy table, and its thresholds name things that exist.
func TestEveryBundledScenarioLoads(t *testing.T) {
	assert.Equal(t, bundled, scenarios.Names())
	for _, name := range scenarios.Names() {
		t.Run(name, func(t *testing.T) {
			s, err := scenario.LoadArg(name)
			require.NoError(t, err)
			assert.Equal(t, name, s.Name, "the name field matches the file name")
			assert.NotEmpty(t, s.Description)
			assert.NotContains(t, strings.TrimSpace(s.Description), "\n", "descriptions are one line")
		})
	}
}

// TestLiveScenariosAreBounded: a scenario that spends real money names its key variable and
// stops after a small number of requests and tokens.
func TestLiveScenariosAreBounded(t *testing.T) {
	infos, err := scenarios.List()
	require.NoError(t, err)
	var live []string
	for _, in := range infos {
		if !in.Live {
			continue
		}
		live = append(live, in.Name)
		s, err := scenario.LoadArg(in.Name)
		require.NoError(t, err)
		assert.Contains(t, []string{"ANTHROPIC_API_KEY", "OPENAI_API_KEY"}, s.Target.KeyEnv, in.Name)
		assert.Positive(t, s.Budget.MaxRequests, in.Name)
		assert.LessOrEqual(t, s.Budget.MaxRequests, int64(100), in.Name)
		assert.Positive(t, s.Budget.BudgetTokens, in.Name)
		assert.NotContains(t, in.Description, "sk-", in.Name)
	}
	assert.Equal(t, []string{"anthropic-headers", "anthropic-ramp", "openai-headers"}, live)
}

// TestScenarioShapes pins what each bundled scenario is for.
func TestScenarioShapes(t *testing.T) {
	load := func(name string) (*scenario.Scenario, *account.Config) {
		s, err := scenario.LoadArg(name)
		require.NoError(t, err)
		if s.Mock == nil {
			return s, nil
		}
		return s, &s.Mock.Config
	}

	s, m := load("quickstart")
	require.Len(t, s.Phases, 2)
	assert.True(t, s.Phases[0].Probe.Find)
	assert.Equal(t, scenario.ModeBoth, s.Phases[1].Compare.Mode)
	assert.Equal(t, "out/quickstart", s.Output.Dir)
	assert.Equal(t, int64(1200), m.Limits.Requests.PerMinute)
	assert.Equal(t, "anthropic", s.Target.API)

	s, _ = load("anthropic-headers")
	assert.Equal(t, int64(1), s.Budget.MaxRequests)
	assert.Equal(t, "https://api.anthropic.com", s.Target.URL)

	s, _ = load("openai-headers")
	assert.Equal(t, "openai", s.Target.API)

	s, _ = load("anthropic-ramp")
	assert.Equal(t, "30s:0.5/s,1m0s:1.5/s", s.Phases[0].Probe.Stages.String())

	s, m = load("backoff-shootout")
	assert.Equal(t, scenario.Clients{10, 25, 50, 100, 200}, s.Phases[0].Compare.Clients)
	assert.Equal(t, scenario.ModeSim, s.Phases[0].Compare.Mode)
	assert.Len(t, s.Phases[0].Compare.Strategies, len(backoff.Names()), "all strategies")
	assert.Equal(t, int64(50), m.Limits.Requests.PerMinute)

	_, m = load("no-headers")
	assert.Equal(t, "none", m.Dialect)

	_, m = load("advertised-vs-enforced")
	require.NotNil(t, m.Limits.Requests.Advertise)
	assert.Equal(t, int64(60), m.Limits.Requests.Advertise.PerMinute)
	assert.Equal(t, time.Second, m.Limits.Requests.Window)

	_, m = load("rejected-count")
	assert.True(t, m.CountRejected)

	s, m = load("capacity-plan")
	assert.Equal(t, "output_tokens", s.Expect.Binding)
	// Output tokens bind: 400,000 OTPM / 1,000 per request < 2,000,000 ITPM / 2,000 < 4,000 RPM.
	perReqOut := float64(m.Limits.OutputTokens.PerMinute) / float64(s.Workload.MaxTokens)
	perReqIn := float64(m.Limits.InputTokens.PerMinute) / float64(s.Workload.PromptTokens)
	assert.Less(t, perReqOut, perReqIn)
	assert.Less(t, perReqOut, float64(m.Limits.Requests.PerMinute))
}

func TestReadArg(t *testing.T) {
	dir := t.TempDir()
	own := filepath.Join(dir, "mine.yaml")
	require.NoError(t, os.WriteFile(own, []byte("mock:\n"), 0o644))

	file, data, err := scenario.ReadArg("quickstart")
	require.NoError(t, err)
	assert.Equal(t, "quickstart.yaml", file)
	assert.Contains(t, string(data), "name: quickstart")

	file, _, err = scenario.ReadArg("quickstart.yaml")
	require.NoError(t, err)
	assert.Equal(t, "quickstart.yaml", file)

	file, data, err = scenario.ReadArg(own)
	require.NoError(t, err)
	assert.Equal(t, own, file)
	assert.Equal(t, "mock:\n", string(data))

	tests := []struct{ arg, want string }{
		{"quikstart", `no scenario file "quikstart" and no bundled scenario of that name; did you mean "quickstart"? (see ratelab scenarios)`},
		{"zzz", `no scenario file "zzz" and no bundled scenario of that name; bundled: ` + strings.Join(bundled, ", ") + ` (see ratelab scenarios)`},
		{filepath.Join(dir, "missing.yaml"), filepath.Join(dir, "missing.yaml") + ": no such scenario file"},
		{dir + "/", dir + "/: not a readable scenario file"},
	}
	for _, tt := range tests {
		_, _, err := scenario.ReadArg(tt.arg)
		var se *strictyaml.Error
		require.ErrorAs(t, err, &se, tt.arg)
		assert.Equal(t, tt.want, se.Error())
	}
}

// TestBundledChecks: problems found by the mock's and the strategy table's own checks point at
// the line of the offending setting.
func TestBundledChecks(t *testing.T) {
	src := `mock:
  limits:
    requests: {per_minute: 60, algorithm: token-buckit, burts: 5}
phases:
  - compare:
      strategies:
        - {name: full-jitter, params: {cap: soon, max-attempts: -1, bse: 1s}}
        - {name: anthropic-sdk, params: {max-attempts: 2.5}}
        - client-limiter
`
	_, err := scenario.Load("bad.yaml", []byte(src))
	var se *strictyaml.Error
	require.ErrorAs(t, err, &se)
	assert.Equal(t, []string{
		`bad.yaml:3:57: mock.limits.requests: unknown field "burts"; did you mean "burst"?`,
		`bad.yaml:7:45: phases[0].compare.strategies[0].params.cap: "soon" is not a duration: want e.g. 500ms, 2s, 1m30s or a number of seconds`,
		`bad.yaml:7:65: phases[0].compare.strategies[0].params.max-attempts: -1 out of range: want 0 ≤ max-attempts ≤ 1000`,
		`bad.yaml:7:74: phases[0].compare.strategies[0].params.bse: unknown parameter "bse" (did you mean "base"?); valid parameters: base, cap, max-attempts, max-elapsed, retry-terminal`,
		`bad.yaml:8:56: phases[0].compare.strategies[1].params.max-attempts: "2.5" is not a whole number`,
	}, strings.Split(se.Error(), "\n"))

	// Rates are checked by the probe's parser.
	_, err = scenario.Load("bad.yaml", []byte("mock:\nphases:\n  - probe: {rate: 5/fortnight, duration: 1s}\n"))
	require.ErrorAs(t, err, &se)
	assert.True(t, strings.HasPrefix(se.Error(), `bad.yaml:3:19: phases[0].probe.rate: invalid rate "5/fortnight"`), se.Error())

	// With the unknown field fixed, the mock's own validation reports the algorithm at its line.
	src = strings.Replace(src, "burts", "burst", 1)
	_, err = scenario.Load("bad.yaml", []byte(src))
	require.ErrorAs(t, err, &se)
	assert.True(t, strings.HasPrefix(se.Problems[0].String(), "bad.yaml:3:43: mock.limits.requests.algorithm: "), se.Problems[0].String())
}
