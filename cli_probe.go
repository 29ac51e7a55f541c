package main

import (
	"context"
	"time"

	"github.com/spf13/pflag"

	"github.com/ratelab/ratelab/api"
	"github.com/ratelab/ratelab/backoff"
	"github.com/ratelab/ratelab/engine"
	"github.com/ratelab/ratelab/internal/strictyaml"
	"github.com/ratelab/ratelab/probe"
	"github.com/ratelab/ratelab/scenario"
	"github.com/ratelab/ratelab/workload"
)

const probeAbout = `Sends requests to a target, the embedded mock or a real API, and finds out its rate limits:
at a constant rate (--rate with --duration), along a k6-style ramp (--stages), or adaptively
(--find, the default without --rate or --stages). Every attempt goes to DIR/attempts.jsonl with
its scheduled and sent times, status, usage and rate-limit headers, and the report (summary.json,
report.md, charts, attempts.csv) states the advertised and the effective limits with their
intervals. Load is open-model: arrivals keep to the rate whatever the responses do; late and
dropped hits are counted, never hidden.`

// probeExamples are the examples of probe's help.
func probeExamples(fs *flagSet) {
	fs.example("find the limits of the embedded mock (a token bucket of 50 requests a minute)",
		"ratelab probe --target mock --rpm 50 --find")
	fs.example("2 requests a second for 30 seconds",
		"ratelab probe --target mock --rate 2/s --duration 30s")
	fs.example("ramp from 1/s to 5/s over 30 s, then to 20/s over 60 s",
		"ratelab probe --target mock --rpm 300 --stages 30s:5/s,60s:20/s")
	fs.example("a real API, with the key in ANTHROPIC_API_KEY",
		"ratelab probe --target https://api.anthropic.com --model claude-haiku-4-5 --rate 1/s --duration 1m --yes")
}

// Notes shared by the help of the run commands.
const (
	unitsNote = "Rates are N/s, N/m, N/h or N per a duration (5/500ms); a bare number N means N/s. " +
		"Durations are written 500ms, 30s, 1m30s, 2h."
	keysNote = "Keys come from ANTHROPIC_API_KEY or OPENAI_API_KEY (by --api), or the variable --api-key-env " +
		"names; a key is never printed or written to any file. Before more than 20 requests go to a " +
		"non-loopback host, the run asks for confirmation (or needs --yes)."
	failuresNote = "A run whose target answers nothing but transport errors and 5xx statuses for 10 s and " +
		"5 attempts in a row stops, naming the cause; a run in which no request succeeded fails. " +
		"Ctrl-C stops a run and still writes its report, marked partial; a second Ctrl-C ends it at once."
	exitNote = "Exit status: 0 done, 1 failed (the target down, nothing succeeded, an error), 2 bad flags " +
		"or scenario, 3 a scenario threshold failed, 130 interrupted."
)

// probeFlags are the flags of `ratelab probe`.
type probeFlags struct {
	run          runFlags
	target       string
	api          string
	model        string
	maxTokens    int64
	promptTokens int64
	spread       float64
	cachePrefix  int64   // --cache-prefix-tokens
	cacheHit     float64 // --cache-hit-ratio
	rate         string
	duration     time.Duration
	stages       string
	startRate    string
	find         bool
	findRamp     bool
	findCostCap  float64
	maxInflight  int
	timeout      time.Duration
	stream       bool
	streamIdle   time.Duration
	keyEnv       string
	method       string
	headers      []string
	body         string
	strategy     string

	mock      *mockFlags
	mockNames []string // the flags addMockFlags registered
}

func (f *probeFlags) register(fs *flagSet) {
	fs.StringVar(&f.target, "target", "mock", "where requests go: mock (the embedded mock server, set up by the mock flags) or an http(s) URL")
	fs.StringVar(&f.api, "api", "", "the API the target speaks: anthropic, openai or http (default: from the URL's path; anthropic for mock)")
	fs.StringVar(&f.model, "model", "", "model to request; required for a real API (default for mock: "+api.Anthropic.MockModel()+")")
	fs.StringVar(&f.keyEnv, "api-key-env", "", "environment variable holding the API key (default ANTHROPIC_API_KEY or OPENAI_API_KEY by --api)")
	fs.StringVar(&f.method, "method", "", "HTTP method for --api http (default GET, or POST with --body)")
	fs.StringArrayVar(&f.headers, "header", nil, "extra request header, repeatable; sent, never recorded")
	fs.StringVar(&f.body, "body", "", "request body for --api http; @FILE reads it from a file")
	fs.Int64Var(&f.maxTokens, "max-tokens", workload.DefaultMaxTokens, "the request's max_tokens, in tokens")
	fs.Int64Var(&f.promptTokens, "prompt-tokens", workload.DefaultPromptTokens, "prompt size in tokens (4 bytes each under the mock's estimator)")
	fs.Float64Var(&f.spread, "prompt-tokens-spread", 0, "relative spread of the prompt size: 0.2 varies it uniformly by ±20% per request")
	fs.Int64Var(&f.cachePrefix, "cache-prefix-tokens", 0, "open every request (--api anthropic) with a cache_control system block of this many tokens, at least 1024: a prompt-cache prefix")
	fs.Float64Var(&f.cacheHit, "cache-hit-ratio", 1, "share of requests that send the shared cache prefix; the others send one of their own (a cache write each)")
	fs.DurationVar(&f.timeout, "timeout", engine.DefaultTimeout, "per-attempt timeout, from send to the end of the response body")
	fs.BoolVar(&f.stream, "stream", false, "ask for streamed responses and read every event: time to first token, tokens/s, mid-stream failures")
	fs.DurationVar(&f.streamIdle, "stream-idle-timeout", probe.DefaultStreamIdle, "a streamed response that sends nothing for this long is recorded as stalled")
	fs.StringVar(&f.rate, "rate", "", "constant arrival rate, e.g. 20/s or 1200/m (a bare number is per second); with --duration")
	fs.DurationVar(&f.duration, "duration", 0, "how long a --rate run sends, e.g. 30s")
	fs.StringVar(&f.stages, "stages", "", "k6-style ramp of DURATION:RATE stages, each linear from the previous rate, e.g. 30s:5/s,60s:20/s")
	fs.StringVar(&f.startRate, "start-rate", "1/s", "rate the first stage ramps from")
	fs.BoolVar(&f.find, "find", false, "find the limits adaptively (the default without --rate or --stages)")
	fs.BoolVar(&f.findRamp, "find-ramp", false, "discovery ramps gently (30 requests the first minute, then at most 1.5x a minute) so a server that refuses sharp increases below its limits does not; costs minutes")
	fs.Float64Var(&f.findCostCap, "find-cost-cap", 0, "stop discovery, with the wider interval it has, after this many times its goal budget (two windows' requests, three windows' time), e.g. 4; 0: no cap")
	fs.StringVar(&f.strategy, "strategy", "none", "retry strategy of each request of a --rate or --stages run, e.g. full-jitter(base=1s); see ratelab compare --list")
	fs.IntVar(&f.maxInflight, "max-inflight", engine.DefaultMaxInflight, "most attempts in flight at once; beyond it hits start late or are dropped, and are counted")
	f.run.register(fs, "out/"+fs.Name()+"-<timestamp>")
	before := map[string]bool{}
	fs.VisitAll(func(fl *pflag.Flag) { before[fl.Name] = true })
	f.mock = addMockFlags(fs)
	fs.VisitAll(func(fl *pflag.Flag) {
		if !before[fl.Name] {
			f.mockNames = append(f.mockNames, fl.Name)
		}
	})
	for name, v := range map[string]string{
		"target": "mock|URL", "api": "NAME", "model": "NAME", "api-key-env": "NAME", "method": "METHOD",
		"header": "K:V", "body": "TEXT|@FILE", "rate": "N/s", "stages": "D:R,…", "start-rate": "N/s",
		"strategy": "NAME(…)",
	} {
		fs.value(name, v)
	}
}

// groupTarget and the other group functions lay out the flags probe and compare share.
func groupTarget(fs *flagSet) {
	fs.group("Target", "target", "api", "model", "api-key-env", "method", "header", "body")
	fs.group("Request shape", "max-tokens", "prompt-tokens", "prompt-tokens-spread", "cache-prefix-tokens", "cache-hit-ratio", "timeout", "stream", "stream-idle-timeout")
}

// probeFields maps the scenario fields of the probe phase to the flags that set them.
var probeFields = withFields(map[string]string{
	"phases[0].probe.rate": "rate", "phases[0].probe.duration": "duration", "phases[0].probe.stages": "stages",
	"phases[0].probe.start_rate": "start-rate", "phases[0].probe.max_inflight": "max-inflight",
	"phases[0].probe.strategy": "strategy", "phases[0].probe.find_ramp": "find-ramp",
	"phases[0].probe.find_cost_cap": "find-cost-cap",
})

// phase checks the load-shape flags and builds the scenario's one probe phase.
func (f *probeFlags) phase() (*scenario.ProbePhase, error) {
	p := &scenario.ProbePhase{MaxInflight: f.maxInflight, Mode: scenario.ModeLive}
	if (f.findRamp || f.findCostCap != 0) && (f.rate != "" || f.stages != "") {
		return nil, usageErrorf("probe: --find-ramp and --find-cost-cap go with discovery (--find), not with --rate/--stages")
	}
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
		p.Find, p.FindRamp, p.FindCostCap = true, f.findRamp, f.findCostCap
		return p, nil
	case f.rate != "" && f.stages != "":
		return nil, usageErrorf("probe: give --rate (with --duration) or --stages, not both")
	case f.rate != "":
		r, err := workload.ParseRate(f.rate)
		if err != nil {
			return nil, usageErrorf("--rate: %v", err)
		}
		if r.PerSecond() <= 0 {
			return nil, usageErrorf("--rate %s: want a positive rate such as 20/s", f.rate)
		}
		switch {
		case f.duration < 0 || (f.duration == 0 && f.run.fs.Changed("duration")):
			return nil, usageErrorf("--duration %s: want a positive duration such as 30s", f.duration)
		case f.duration == 0:
			return nil, usageErrorf("--rate %s needs --duration, e.g. --duration 30s", f.rate)
		}
		p.Rate, p.Duration = scenario.Rate(f.rate), scenario.Duration(f.duration)
	default:
		if f.duration != 0 {
			return nil, usageErrorf("--duration goes with --rate; --stages set their own length")
		}
		stages, err := workload.ParseStages(f.stages)
		if err != nil {
			return nil, usageErrorf("--stages: %v", err)
		}
		if _, err := workload.ParseRate(f.startRate); err != nil {
			return nil, usageErrorf("--start-rate: %v", err)
		}
		p.Stages, err = scenario.ParseStages(workload.FormatStages(stages))
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
	st := &scenario.Strategy{Name: spec.Name, Label: spec.Label()}
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
	probeExamples(fs)
	groupTarget(fs)
	fs.group("Load", "rate", "duration", "stages", "start-rate", "find", "find-ramp", "find-cost-cap", "strategy", "max-inflight")
	groupRun(fs)
	groupMock(fs, "Embedded mock limits (with --target mock)", "Embedded mock responses")
	fs.note(unitsNote, keysNote, failuresNote, exitNote)
	if err := parseFlagsNoArgs(env, fs, args); err != nil {
		return err
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
	shard, stop, err := f.run.runOptions(env)
	if err != nil {
		return err
	}
	defer stop()
	return executeFlags(ctx, env, s, "probe", probeFields, shard)
}

// flagScenarioError maps a scenario built from flags that does not resolve to a usage error
// naming the flags.
func flagScenarioError(command string, err error, flags map[string]string) error {
	if se, ok := err.(*strictyaml.Error); ok {
		return scenarioError(command, se, flags)
	}
	return usageErrorf("%s: %v", command, err)
}
