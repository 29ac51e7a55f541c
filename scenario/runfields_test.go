package scenario

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// TestRunFields: the fields the probe and compare flags can set (a probe phase's mode and retry
// strategy, a compare phase's rest, spec-form labels) decode, default and validate like the rest.
func TestRunFields(t *testing.T) {
	t.Run("valid", func(t *testing.T) {
		s := mustLoad(t, "mock:\nphases:\n"+
			"  - probe: {rate: 5/s, duration: 10s, strategy: full-jitter, mode: sim}\n"+
			"  - probe: {rate: 5/s, duration: 10s, strategy: {name: retry-after, params: {base: 1}}}\n"+
			"  - compare: {strategies: [{name: full-jitter, label: \"full-jitter(base=1s)\"}], rest: 30s}\n")
		assert.Equal(t, &Strategy{Name: "full-jitter"}, s.Phases[0].Probe.Strategy)
		assert.Equal(t, ModeSim, s.Phases[0].Probe.Mode)
		assert.Equal(t, &Strategy{Name: "retry-after", Params: Params{"base": 1}}, s.Phases[1].Probe.Strategy)
		assert.Equal(t, ModeLive, s.Phases[1].Probe.Mode, "live by default")
		assert.Equal(t, "full-jitter(base=1s)", s.Phases[2].Compare.Strategies[0].Label)
		assert.Equal(t, Duration(30*time.Second), s.Phases[2].Compare.Rest)
	})
	tests := []struct {
		name string
		src  string
		want []string
	}{
		{"probe mode", "mock:\nphases:\n  - probe: {mode: both}\n", []string{
			`bad.yaml:3:19: phases[0].probe.mode: unknown mode "both"; valid: live, sim`,
		}},
		{"sim probe needs the mock", "target: {url: \"https://x.test\"}\nphases:\n  - probe: {mode: sim}\n", []string{
			`bad.yaml:3:19: phases[0].probe.mode: mode sim needs mock: the simulator runs the mock's limiter model, and a real API cannot be simulated; use mode live`,
		}},
		{"probe strategies", "mock:\nphases:\n" +
			"  - probe: {find: true, strategy: full-jitter}\n" +
			"  - probe: {rate: 1/s, duration: 1s, strategy: full-jiter}\n" +
			"  - probe: {rate: 1/s, duration: 1s, strategy: all}\n" +
			"  - probe: {rate: 1/s, duration: 1s, strategy: {name: none, params: {n: 0}}}\n" +
			"  - probe: {rate: 1/s, duration: 1s, strategy: [none]}\n", []string{
			`bad.yaml:3:35: phases[0].probe.strategy: does not apply to find: discovery never retries (every attempt is evidence); give rate or stages, or remove strategy`,
			`bad.yaml:4:48: phases[1].probe.strategy.name: unknown strategy "full-jiter"; did you mean "full-jitter"?`,
			`bad.yaml:5:48: phases[2].probe.strategy.name: a probe phase takes one strategy; compare phases take all`,
			`bad.yaml:6:73: phases[3].probe.strategy.params.n: unknown parameter "n": it takes no parameters`,
			`bad.yaml:7:48: phases[4].probe.strategy: must be a strategy name or {name, label, params}, got a list`,
		}},
		{"negative rest", "mock:\nphases:\n  - compare: {strategies: [none], rest: -1s}\n", []string{
			`bad.yaml:3:41: phases[0].compare.rest: must not be negative (0: until the headers say the budget is replenished)`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, problems(t, tt.src))
		})
	}
}
