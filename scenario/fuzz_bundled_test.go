package scenario_test

import (
	"encoding/json"
	"testing"

	"github.com/ratelab/ratelab/account"
	"github.com/ratelab/ratelab/backoff"
	"github.com/ratelab/ratelab/scenario"
	"github.com/ratelab/ratelab/scenarios"
	"github.com/ratelab/ratelab/workload"
)

// FuzzLoadResolved loads scenario files with the hooks `ratelab run` uses (the mock section
// decoded by the mock server, strategies checked against the backoff table, rates by the
// probe's parser), so it reaches the parsers scenario's own FuzzLoad stubs out. It checks the
// promise of Options: a scenario that loads is one the engine accepts — every rate and stage
// list parses with the probe's parsers, every strategy resolves, the mock builds — and that a
// scenario that does not load is an *strictyaml.Error whose problems are placed. Run it with
//
//	go test ./scenarios -run '^$' -fuzz '^FuzzLoadResolved$' -fuzztime 60s
func FuzzLoadResolved(f *testing.F) {
	for _, name := range scenarios.Names() {
		_, data, err := scenario.ReadArg(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	for _, s := range []string{
		"mock: {limits: {requests: {per_minute: 60, window: 1s, advertise: {per_minute: 60}}}}\nphases: [{probe: {rate: 5/s, duration: 2s, strategy: {name: full-jitter, params: {base: 100ms}}}}]\n",
		"mock:\nphases:\n  - compare: {strategies: [all], clients: [1, 2], requests: 2, mode: sim}\n",
		"mock: {algorithm: gcra, window: 10s}\nphases: [{probe: {stages: '1s:5/s,2s:1/500ms', start_rate: 1/m}}]\n",
		"mock: {dialect: none}\nphases: [{compare: {strategies: [{name: client-limiter, params: {rpm: 0.5}}], rate: 2/s, duration: 1s}}]\n",
		"expect: {rate_limited_share: '< 5%', limits: {requests: {effective_per_minute: 'within 5% of 50'}}}\nmock: {}\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := scenario.Load("f.yaml", data)
		if err != nil {
			scenario.CheckPlacedProblems(t, err, "f.yaml")
			return
		}
		if _, err := json.Marshal(s); err != nil {
			t.Fatalf("resolved scenario does not encode: %v", err)
		}
		if s.Mock != nil {
			if _, err := account.New(s.Mock.Config, s.Seed); err != nil {
				t.Fatalf("the mock section loads but does not build: %v", err)
			}
		}
		for i, ph := range s.Phases {
			if p := ph.Probe; p != nil {
				checkRate(t, i, "rate", string(p.Rate))
				checkRate(t, i, "start_rate", string(p.StartRate))
				if len(p.Stages) > 0 {
					if _, err := workload.ParseStages(p.Stages.String()); err != nil {
						t.Fatalf("phase %d: stages %q load but the probe refuses them: %v", i, p.Stages.String(), err)
					}
				}
				if p.Strategy != nil {
					checkStrategy(t, i, *p.Strategy)
				}
			}
			if c := ph.Compare; c != nil {
				checkRate(t, i, "rate", string(c.Rate))
				if len(c.Strategies) == 0 {
					t.Fatalf("phase %d: a compare phase without strategies loaded", i)
				}
				for _, st := range c.Strategies {
					checkStrategy(t, i, st)
				}
			}
		}
	})
}

func checkRate(t *testing.T, phase int, field, rate string) {
	t.Helper()
	if rate == "" {
		return
	}
	if _, err := workload.ParseRate(rate); err != nil {
		t.Fatalf("phase %d: %s %q loads but the probe refuses it: %v", phase, field, rate, err)
	}
}

func checkStrategy(t *testing.T, phase int, st scenario.Strategy) {
	t.Helper()
	if _, err := backoff.New(backoff.SpecOf(st.Name, st.Params)); err != nil {
		t.Fatalf("phase %d: strategy %s%v loads but does not resolve: %v", phase, st.Name, st.Params, err)
	}
}
