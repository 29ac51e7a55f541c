package scenario

import (
	"fmt"

	"github.com/ratelab/ratelab/workload"
)

// PlanPhase is trace-driven capacity planning as a phase (what `ratelab plan` does): the
// recorded workload in Trace, grown by each of Scales, simulated against the limits under each
// strategy; summary.json gains the plan. Nothing is sent.
type PlanPhase struct {
	// Trace is an attempts.jsonl recording or a CSV trace (timestamp,input_tokens,output_tokens…),
	// or TraceThisRun: the attempts the run's earlier phases recorded.
	Trace string `yaml:"trace" json:"trace"`
	// Limits is a run directory (its inferred limits) or a preset NAME[:TIER]; empty: the
	// scenario's mock: limits.
	Limits string `yaml:"limits" json:"limits,omitempty"`
	// Model picks a preset's class. Default: the preset's fallback.
	Model string `yaml:"model" json:"model,omitempty"`
	// Scales are the growth factors. Default 1, 2, 4, 8.
	Scales []float64 `yaml:"scales" json:"scales,omitempty"`
	// Strategies are the retry strategies. Default full-jitter, retry-after, header-pacing.
	Strategies Strategies `yaml:"strategies" json:"strategies,omitempty"`
	// SLO is what a scale must meet, e.g. "p95-delay=2s,fail=0.1%" (the default).
	SLO string `yaml:"slo" json:"slo,omitempty"`
	// Arrivals is trace (default), poisson or constant.
	Arrivals string `yaml:"arrivals" json:"arrivals,omitempty"`
	// InputSize, OutputSize and CacheReadSize are size distributions: trace (default),
	// empirical, N, uniform:LO-HI, lognormal:MEDIAN,SIGMA.
	InputSize     string `yaml:"input_size" json:"input_size,omitempty"`
	OutputSize    string `yaml:"output_size" json:"output_size,omitempty"`
	CacheReadSize string `yaml:"cache_read_size" json:"cache_read_size,omitempty"`
}

// TraceThisRun as a plan phase's trace plans from the run's own earlier phases.
const TraceThisRun = "run"

// DefaultPlanScales are a plan phase's scales when it names none.
var DefaultPlanScales = []float64{1, 2, 4, 8}

// DefaultPlanStrategies are a plan phase's strategies when it names none.
var DefaultPlanStrategies = []string{"full-jitter", "retry-after", "header-pacing"}

// plan checks a plan phase (the SLO and the strategies are checked by the runner, which
// builds them).
func (v *validator) plan(base string, p *PlanPhase) {
	if p.Trace == "" {
		v.add(base+".trace", "is required: an attempts.jsonl recording, a CSV trace, or run (this run's earlier phases), e.g. trace: runs/rec/attempts.jsonl")
	}
	if p.Trace == TraceThisRun && v.s.Phases[0].Plan == p {
		v.add(base+".trace", "run plans from the run's earlier phases, and this is the first phase: put a probe: or compare: before it, or name a file")
	}
	if p.Limits == "" && v.s.Mock == nil {
		v.add(base+".limits", "is required without mock: a run directory, a preset such as anthropic:tier-1, or a mock: section")
	}
	for i, s := range p.Scales {
		if !(s > 0) || s > 1e4 {
			v.add(fmt.Sprintf("%s.scales[%d]", base, i), "%g: want a growth factor above 0 and at most 10000", s)
		}
	}
	if _, err := workload.ParseArrivals(p.Arrivals); err != nil {
		v.add(base+".arrivals", "%v", err)
	}
	for _, f := range []struct{ field, val string }{{"input_size", p.InputSize}, {"output_size", p.OutputSize}, {"cache_read_size", p.CacheReadSize}} {
		if _, err := workload.ParseSize(f.val); err != nil {
			v.add(base+"."+f.field, "%v", err)
		}
	}
}

// planDefaults fills a plan phase's defaults.
func planDefaults(p *PlanPhase) {
	if len(p.Scales) == 0 {
		p.Scales = append([]float64(nil), DefaultPlanScales...)
	}
	if len(p.Strategies) == 0 {
		for _, n := range DefaultPlanStrategies {
			p.Strategies = append(p.Strategies, Strategy{Name: n, Label: n})
		}
	}
	for i := range p.Strategies {
		p.Strategies[i].Label = or(p.Strategies[i].Label, p.Strategies[i].Name)
	}
}
