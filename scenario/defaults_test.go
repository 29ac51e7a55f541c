package scenario

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/ratelab/ratelab/api"
	"github.com/ratelab/ratelab/backoff"
	"github.com/ratelab/ratelab/internal/strictyaml"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDefaults(t *testing.T) {
	tests := []struct {
		name  string
		file  string
		src   string
		check func(t *testing.T, s *Scenario)
	}{
		{"embedded mock, nothing else", "quick.yaml", "mock:\n", func(t *testing.T, s *Scenario) {
			assert.Equal(t, "quick", s.Name)
			assert.Equal(t, Target{API: string(api.Anthropic), Model: api.Anthropic.MockModel(), Method: "POST"}, s.Target)
			assert.Equal(t, Workload{PromptTokens: DefaultPromptTokens, MaxTokens: DefaultMaxTokens, Timeout: Duration(DefaultTimeout)}, s.Workload)
			require.Len(t, s.Phases, 1)
			assert.Equal(t, &ProbePhase{Find: true, MaxInflight: DefaultMaxInflight, Mode: ModeLive}, s.Phases[0].Probe)
			assert.Equal(t, DefaultSeed, s.Seed)
			assert.Equal(t, "out/quick", s.Output.Dir)
			assert.NotNil(t, s.Mock)
			assert.Nil(t, s.Expect)
		}},
		{"real anthropic target", "a.yaml", "target: {url: 'https://api.anthropic.com', model: claude-haiku-4-5}\n", func(t *testing.T, s *Scenario) {
			assert.Equal(t, Target{API: string(api.Anthropic), URL: "https://api.anthropic.com", Model: "claude-haiku-4-5", KeyEnv: api.Anthropic.KeyEnv(), Method: "POST"}, s.Target)
		}},
		{"real openai target inferred from the path", "o.yaml", "target: {url: 'https://example.test/v1/chat/completions', model: m}\n", func(t *testing.T, s *Scenario) {
			assert.Equal(t, string(api.OpenAI), s.Target.API)
			assert.Equal(t, api.OpenAI.KeyEnv(), s.Target.KeyEnv)
		}},
		{"http target without a body gets GET and no key", "h.yaml", "target: {url: 'https://example.test/ping'}\n", func(t *testing.T, s *Scenario) {
			assert.Equal(t, Target{API: string(api.HTTP), URL: "https://example.test/ping", Method: "GET"}, s.Target)
		}},
		{"http target with a body gets POST", "h.yaml", "target: {url: 'https://example.test/ping', body: '{}'}\n", func(t *testing.T, s *Scenario) {
			assert.Equal(t, "POST", s.Target.Method)
		}},
		{"openai on the mock", "m.yaml", "mock: {}\ntarget: {api: openai}\n", func(t *testing.T, s *Scenario) {
			assert.Equal(t, api.OpenAI.MockModel(), s.Target.Model)
			assert.Empty(t, s.Target.KeyEnv)
		}},
		{"explicit seed 0 is kept", "s.yaml", "mock:\nseed: 0\n", func(t *testing.T, s *Scenario) {
			assert.Equal(t, int64(0), s.Seed)
		}},
		{"explicit name and dir win", "s.yaml", "mock:\nname: n\noutput: {dir: /tmp/x}\n", func(t *testing.T, s *Scenario) {
			assert.Equal(t, "n", s.Name)
			assert.Equal(t, "/tmp/x", s.Output.Dir)
		}},
		{"phase defaults", "p.yaml", "mock:\nphases:\n  - probe: {stages: '10s:5/s'}\n  - probe: {rate: 2/s, duration: 5s}\n  - compare: {strategies: [none, {name: none, label: n2}]}\n  - compare: {strategies: [none], rate: 5/s, duration: 10s}\n", func(t *testing.T, s *Scenario) {
			assert.Equal(t, &ProbePhase{Stages: Stages{{Duration: Duration(10 * time.Second), Target: "5/s"}}, StartRate: DefaultStartRate, MaxInflight: DefaultMaxInflight, Mode: ModeLive}, s.Phases[0].Probe)
			assert.Equal(t, &ProbePhase{Rate: "2/s", Duration: Duration(5 * time.Second), MaxInflight: DefaultMaxInflight, Mode: ModeLive}, s.Phases[1].Probe)
			assert.Equal(t, &ComparePhase{
				Strategies: Strategies{{Name: "none", Label: "none"}, {Name: "none", Label: "n2"}},
				Clients:    Clients{DefaultClients}, Requests: DefaultRequests, MaxInflight: DefaultMaxInflight, Mode: DefaultMode,
			}, s.Phases[2].Compare)
			assert.Equal(t, &ComparePhase{
				Strategies: Strategies{{Name: "none", Label: "none"}},
				Rate:       "5/s", Duration: Duration(10 * time.Second), MaxInflight: DefaultMaxInflight, Mode: DefaultMode,
			}, s.Phases[3].Compare)
		}},
		{"all expands, variants stay", "a.yaml", "mock:\nphases:\n  - compare: {strategies: [all, {name: full-jitter, label: fj-fast, params: {cap: 1s}}]}\n", func(t *testing.T, s *Scenario) {
			var labels []string
			for _, st := range s.Phases[0].Compare.Strategies {
				labels = append(labels, st.Label)
			}
			names := backoff.Names()
			assert.Equal(t, append(append([]string{}, names...), "fj-fast"), labels)
			assert.Equal(t, Params{"cap": "1s"}, s.Phases[0].Compare.Strategies[len(names)].Params)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Load(tt.file, []byte(tt.src))
			require.NoError(t, err)
			tt.check(t, s)
			before, err := json.Marshal(s)
			require.NoError(t, err)
			s.SetDefaults()
			after, err := json.Marshal(s)
			require.NoError(t, err)
			assert.JSONEq(t, string(before), string(after), "SetDefaults is idempotent")
		})
	}
}

func TestApplyOverrides(t *testing.T) {
	out, seed, quiet, yes := "elsewhere", int64(42), true, true
	maxReq, tokens, dur := int64(100), int64(5000), 2*time.Minute

	s := mustLoad(t, "mock:\nseed: 7\noutput: {dir: here, quiet: false}\nbudget: {max_requests: 10}\n")
	require.NoError(t, s.Apply(Overrides{}))
	assert.Equal(t, int64(7), s.Seed, "no override leaves the file's value")
	assert.Equal(t, "here", s.Output.Dir)
	assert.Equal(t, int64(10), s.Budget.MaxRequests)
	assert.False(t, s.Yes)

	require.NoError(t, s.Apply(Overrides{Out: &out, Seed: &seed, Quiet: &quiet, Yes: &yes, MaxRequests: &maxReq, MaxDuration: &dur, BudgetTokens: &tokens}))
	assert.Equal(t, "elsewhere", s.Output.Dir)
	assert.Equal(t, int64(42), s.Seed)
	assert.True(t, s.Output.Quiet)
	assert.True(t, s.Yes)
	assert.Equal(t, Budget{MaxRequests: 100, MaxDuration: Duration(2 * time.Minute), BudgetTokens: 5000}, s.Budget)

	neg := int64(-1)
	negDur := -time.Second
	err := s.Apply(Overrides{MaxRequests: &neg, MaxDuration: &negDur})
	var se *strictyaml.Error
	require.ErrorAs(t, err, &se)
	assert.Equal(t, "--max-requests: must not be negative (0 means no limit)\n--max-duration: must not be negative (0 means no limit)", se.Error())
	assert.Equal(t, int64(100), s.Budget.MaxRequests, "a rejected override changes nothing")
}

// TestResolveFromFlags: a scenario built in code (from flags) is validated the same way, with
// problems that name the field but no file position.
func TestResolveFromFlags(t *testing.T) {
	s := &Scenario{
		Target: Target{URL: "https://api.anthropic.com"},
		Phases: []Phase{{Probe: &ProbePhase{Rate: "5/s"}}},
		Seed:   0,
	}
	err := s.Resolve()
	var se *strictyaml.Error
	require.ErrorAs(t, err, &se)
	assert.Equal(t, []strictyaml.Problem{
		{Path: "target.model", Msg: "is required for api anthropic, e.g. model: claude-haiku-4-5"},
		{Path: "phases[0].probe.duration", Msg: "is required with rate, e.g. duration: 30s"},
	}, se.Problems)

	s.Target.Model = "m"
	s.Phases[0].Probe.Duration = Duration(time.Second)
	s.Name = "cli"
	require.NoError(t, s.Resolve())
	assert.Equal(t, int64(0), s.Seed, "a scenario from flags keeps the flag's seed, 0 included")
	assert.Equal(t, "out/cli", s.Output.Dir)
}
