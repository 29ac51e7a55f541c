package scenario

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/ratelab/ratelab/account"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestMergeKeysAndExtensions(t *testing.T) {
	s := mustLoad(t, `x-limits: &fast {rate: 5/s, duration: 10s}
mock:
description: &d one line
name: demo
phases:
  - probe: *fast
  - probe: {<<: *fast, duration: 20s}
  - probe:
      <<: [*fast]
      max_inflight: 3
`)
	assert.Equal(t, "one line", s.Description)
	assert.Equal(t, &ProbePhase{Rate: "5/s", Duration: Duration(10 * time.Second), MaxInflight: DefaultMaxInflight, Mode: ModeLive}, s.Phases[0].Probe)
	assert.Equal(t, &ProbePhase{Rate: "5/s", Duration: Duration(20 * time.Second), MaxInflight: DefaultMaxInflight, Mode: ModeLive}, s.Phases[1].Probe, "explicit keys win over merged ones")
	assert.Equal(t, &ProbePhase{Rate: "5/s", Duration: Duration(10 * time.Second), MaxInflight: 3, Mode: ModeLive}, s.Phases[2].Probe)

	assert.Equal(t, []string{`bad.yaml:3:17: phases[0].probe: a merge key (<<) takes a mapping or a list of mappings`},
		problems(t, "mock:\nphases:\n  - probe: {<<: 5, find: true}\n"))
}

// TestMockJSON: the mock: section is decoded over the defaults into account.Config; JSON shows
// the section as written, or the configuration when there is no section (built from flags).
func TestMockJSON(t *testing.T) {
	s := mustLoad(t, "mock:\n  algorithm: gcra\n  limits: {requests: {per_minute: 60}}\n")
	assert.Equal(t, int64(60), s.Mock.Config.Limits.Requests.PerMinute)
	assert.Equal(t, account.DefaultConfig().Limits.OutputTokens, s.Mock.Config.Limits.OutputTokens, "what the section does not set keeps its default")
	j, err := json.Marshal(s.Mock)
	require.NoError(t, err)
	assert.JSONEq(t, `{"algorithm":"gcra","limits":{"requests":{"per_minute":60}}}`, string(j))

	cfg := account.DefaultConfig()
	j, err = json.Marshal(&Mock{Config: cfg})
	require.NoError(t, err)
	want, err := cfg.MarshalJSON()
	require.NoError(t, err)
	assert.JSONEq(t, string(want), string(j), "built from flags: the configuration")

	empty, err := Load("m.yaml", []byte("mock:\n"))
	require.NoError(t, err)
	assert.Equal(t, account.DefaultConfig(), empty.Mock.Config)
	j, err = json.Marshal(empty.Mock)
	require.NoError(t, err)
	assert.JSONEq(t, `{}`, string(j))
}

// TestScenarioJSON: the resolved scenario's JSON never holds a key and uses the YAML spellings.
func TestScenarioJSON(t *testing.T) {
	s := mustLoad(t, "target: {url: 'https://api.anthropic.com', model: m}\nworkload: {timeout: 90s}\nbudget: {max_duration: 2m}\n")
	j, err := json.Marshal(s)
	require.NoError(t, err)
	assert.JSONEq(t, `{
		"name": "ok",
		"target": {"api": "anthropic", "url": "https://api.anthropic.com", "model": "m", "key_env": "ANTHROPIC_API_KEY", "method": "POST"},
		"workload": {"prompt_tokens": 32, "max_tokens": 16, "timeout": "1m30s"},
		"phases": [{"probe": {"find": true, "max_inflight": 4000, "mode": "live"}}],
		"budget": {"max_duration": "2m0s"},
		"seed": 1,
		"output": {"dir": "out/ok"}
	}`, string(j))
}
