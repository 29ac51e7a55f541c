package main

import (
	"context"
	"time"

	"github.com/spf13/pflag"

	"github.com/ratelab/ratelab/probe"
	"github.com/ratelab/ratelab/probe/backoff"
	"github.com/ratelab/ratelab/scenario"
	"github.com/ratelab/ratelab/scenarios"
)

const probeAbout = `Drives requests at a target and records every attempt (scheduled and sent times, status,
usage and the parsed rate-limit headers) in DIR/attempts.jsonl, with DIR/run.json describing the
run, then writes the report (summary.json, report.md, charts, attempts.csv). Load is open-model:
arrivals follow the rate whatever the responses do; when --max-inflight binds, late starts and
dropped hits are counted and reported, never hidden. Without --rate or --stages the probe finds
the limits adaptively (--find).

  ratelab probe --target mock --rate 2/s --duration 30s
  ratelab probe --target mock --rpm 300 --stages 30s:5/s,60s:20/s --start-rate 1/s
  ratelab probe --target mock --rpm 600 --burst 30 --find --max-duration 60s
  ratelab probe --target https://api.anthropic.com --model claude-haiku-4-5 --rate 1/s --duration 1m

--target mock starts the embedded mock on a free loopback port, configured by the mock flags.
Keys come from ANTHROPIC_API_KEY / OPENAI_API_KEY or --api-key-env NAME and are never printed or
written anywhere. Before more than 20 requests go to a non-loopback host, the probe asks for
confirmation (or needs --yes). Ctrl-C stops the run and still writes the report, marked partial.`

// probeFlags are the flags of `ratelab probe`.
type probeFlags struct {
	run          runFlags
	target       string
	api          string
	model        string
	maxTokens    int64
	promptTokens int64
	spread       float64
	rate         string
	duration     time.Duration
	stages       string
	startRate    string
	find         bool
	maxInflight  int
	timeout      time.Duration
	keyEnv       string
	method       string
	headers      []string
	body         string
	strategy     string

	mock      *mockFlags
	mockNames []string // the flags addMockFlags registered
}

func (f *probeFlags) register(fs *flagSet) {
	fs.StringVar(&f.target, "target", "mock", "mock (the embedded mock server) or the target's URL")
	fs.StringVar(&f.api, "api", "", "anthropic|openai|http (default: inferred from the URL; anthropic for mock)")
	fs.StringVar(&f.model, "model", "", "model to request (default for mock: "+mockModel(probe.APIAnthropic)+"; required for a real API)")
	fs.Int64Var(&f.maxTokens, "max-tokens", probe.DefaultMaxTokens, "the request's max_tokens")
	fs.Int64Var(&f.promptTokens, "prompt-tokens", probe.DefaultPromptTokens, "prompt size in tokens (4 bytes each under the mock's estimator)")
	fs.Float64Var(&f.spread, "prompt-tokens-spread", 0, "relative spread of the prompt size, 0.2 = uniform ±20% per request")
	fs.StringVar(&f.rate, "rate", "", "constant arrival rate, e.g. 20/s, 1200/m, 5/500ms (with --duration)")
	fs.DurationVar(&f.duration, "duration", 0, "how long a --rate run lasts")
	fs.StringVar(&f.stages, "stages", "", "k6-style ramp: DURATION:RATE stages, e.g. 30s:5/s,60s:20/s (linear from the previous rate)")
	fs.StringVar(&f.startRate, "start-rate", "1/s", "rate the first stage ramps from")
	fs.BoolVar(&f.find, "find", false, "find the limits adaptively (the default without --rate/--stages)")
	fs.IntVar(&f.maxInflight, "max-inflight", probe.DefaultMaxInflight, "most attempts in flight at once; beyond it hits start late or are dropped")
	fs.DurationVar(&f.timeout, "timeout", probe.DefaultTimeout, "per-attempt timeout, from send to the end of the response body")
	fs.StringVar(&f.keyEnv, "api-key-env", "", "environment variable holding the API key (default ANTHROPIC_API_KEY or OPENAI_API_KEY by --api)")
	fs.StringVar(&f.method, "method", "", "HTTP method for --api http (default GET, or POST with --body)")
	fs.StringArrayVar(&f.headers, "header", nil, "extra request header K:V (repeatable; sent, never recorded)")
	fs.StringVar(&f.body, "body", "", "request body for --api http; @FILE reads it from a file")
	fs.StringVar(&f.strategy, "strategy", "none", "retry strategy of each logical request, e.g. full-jitter(base=1s) (see ratelab compare --list)")
	f.run.register(fs, "out/"+fs.Name()+"-<timestamp>")
	before := map[string]bool{}
	fs.VisitAll(func(fl *pflag.Flag) { before[fl.Name] = true })
	f.mock = addMockFlags(fs)
	fs.VisitAll(func(fl *pflag.Flag) {
		if !before[fl.Name] {
			f.mockNames = append(f.mockNames, fl.Name)
		}
	})
}

// probeFields maps the scenario fields of the probe phase to the flags that set them.
var probeFields = withFields(map[string]string{
	"phases[0].probe.rate": "rate", "phases[0].probe.duration": "duration", "phases[0].probe.stages": "stages",
	"phases[0].probe.start_rate": "start-rate", "phases[0].probe.max_inflight": "max-inflight",
	"phases[0].probe.strategy": "strategy",
})

// phase checks the load-shape flags and builds the scenario's one probe phase.
func (f *probeFlags) phase() (*scenario.ProbePhase, error) {
	p := &scenario.ProbePhase{MaxInflight: f.maxInflight, Mode: scenario.ModeLive}
	switch {
	case f.find || (f.rate == "" && f.stages == ""):
		switch {
		case f.rate != "" || f.stages != "":
			return nil, usageErrorf("probe: --find sets its own load: drop --rate/--stages, or drop --find")
		case f.duration != 0:
			return nil, usageErrorf("probe: --duration goes with --rate; --find stops by itself (bound it with --max-duration, --max-requests or --budget-tokens)")
		case f.strategy != "" && f.strategy != "none":
			return nil, usageErrorf("probe: --strategy does not apply to --find (discovery never retries; every attempt is evidence)")
		}
		p.Find = true
		return p, nil
	case f.rate != "" && f.stages != "":
		return nil, usageErrorf("probe: give --rate (with --duration) or --stages, not both")
	case f.rate != "":
		r, err := probe.ParseRate(f.rate)
		if err != nil {
			return nil, usageErrorf("--rate: %v", err)
		}
		if r.PerSecond() <= 0 {
			return nil, usageErrorf("--rate %s: want a positive rate such as 20/s", f.rate)
		}
		if f.duration <= 0 {
			return nil, usageErrorf("--rate %s needs --duration, e.g. --duration 30s", f.rate)
		}
		p.Rate, p.Duration = scenario.Rate(f.rate), scenario.Duration(f.duration)
	default:
		if f.duration != 0 {
			return nil, usageErrorf("--duration goes with --rate; --stages set their own length")
		}
		stages, err := probe.ParseStages(f.stages)
		if err != nil {
			return nil, usageErrorf("--stages: %v", err)
		}
		if _, err := probe.ParseRate(f.startRate); err != nil {
			return nil, usageErrorf("--start-rate: %v", err)
		}
		p.Stages, err = scenario.ParseStages(probe.FormatStages(stages))
		if err != nil {
			return nil, usageErrorf("--stages: %v", err)
		}
		p.StartRate = scenario.Rate(f.startRate)
	}
	spec, err := backoff.Parse(f.strategy)
	if err == nil {
		_, err = backoff.New(spec)
	}
	if err != nil {
		return nil, usageErrorf("--strategy: %v", err)
	}
	if spec.Name != "none" {
		p.Strategy = strategyOf(spec)
	}
	return p, nil
}

// strategyOf turns a --strategy/--strategies spec into a scenario strategy labelled as written,
// e.g. client-limiter(rpm=600).
func strategyOf(spec backoff.Spec) *scenario.Strategy {
	st := &scenario.Strategy{Name: spec.Name, Label: spec.String()}
	if len(spec.Args) > 0 {
		st.Params = scenario.Params{}
		for _, a := range spec.Args {
			st.Params[a.Name] = a.Value
		}
	}
	return st
}

// runProbe is `ratelab probe`: the flags become a scenario with one probe phase, which the
// runner executes.
func runProbe(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlagSet("probe", "ratelab probe [flags]", probeAbout)
	f := &probeFlags{}
	f.register(fs)
	if err := parseFlags(env, fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageErrorf("probe: unexpected argument %q (see 'ratelab probe --help')", fs.Arg(0))
	}
	p, err := f.phase()
	if err != nil {
		return err
	}
	s, err := f.baseScenario(fs, "probe")
	if err != nil {
		return err
	}
	s.Phases = []scenario.Phase{{Probe: p}}
	if err := s.Resolve(scenarios.Options()); err != nil {
		return flagScenarioError("probe", err, probeFields)
	}
	return execute(ctx, env, s, "probe", probeFields)
}

// flagScenarioError maps a scenario built from flags that does not resolve to a usage error
// naming the flags.
func flagScenarioError(command string, err error, flags map[string]string) error {
	if se, ok := err.(*scenario.Error); ok {
		return scenarioError(command, se, flags)
	}
	return usageErrorf("%s: %v", command, err)
}
