package main

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ratelab/ratelab/backoff"
	"github.com/ratelab/ratelab/scenario"
	"github.com/ratelab/ratelab/workload"
)

const compareAbout = `Runs the same workload under each retry strategy and ranks them: requests, attempts, 429s,
amplification (attempts per request), makespan against its lower bound, goodput, completion
latency and fairness. The workload is --clients N clients sharing one key, each making
--requests K logical requests in turn (pausing --think between them), or open arrivals at
--rate R for --duration D. The simulator (--mode sim, the default with --target mock) runs in
virtual time against the embedded mock's own account model, hours in seconds; --mode live sends
real HTTP; --mode both runs each strategy both ways and reports how far they agree. Each
strategy × client count × mode starts from a fresh budget.`

// compareExamples are the examples of compare's help.
func compareExamples(fs *flagSet) {
	fs.example("the default strategies, 10 clients × 10 requests, simulated against the mock's 50 requests a minute",
		"ratelab compare")
	fs.example("three strategies at two client counts",
		"ratelab compare --strategies full-jitter,retry-after,header-pacing --clients 10,50 --requests 20")
	fs.example("live over HTTP and simulated, and how far they agree",
		"ratelab compare --mode both --rpm 600 --burst 10 --clients 20 --requests 10")
	fs.example("open arrivals: 5 requests a second for a minute, whatever the responses do",
		"ratelab compare --rate 5/s --duration 1m --strategies exponential,full-jitter")
	fs.example("a real API (segments share its budget and rest in between)",
		"ratelab compare --target https://api.anthropic.com --model claude-haiku-4-5 --clients 5 --requests 4 --yes")
	fs.example("the strategies and their parameters",
		"ratelab compare --list")
}

// compareNote says how live segments share a budget.
const compareNote = "Against the embedded mock every live segment uses a fresh API key, a fresh budget. " +
	"A real API's segments share one budget: after a segment that saw a limit (a rate-limit header or a 429) " +
	"compare rests until the headers say it is replenished (a minute without headers, or --rest). " +
	"Segments lie end to end on the run's timeline (wall time live, virtual time simulated); " +
	"--max-duration bounds that timeline."

// defaultStrategies is what compare runs when --strategies is not given: the folklore defaults
// and the server-aware strategies.
const defaultStrategies = "exponential,full-jitter,equal-jitter,decorrelated-jitter,anthropic-sdk,retry-after,header-pacing"

// The compare modes.
const (
	modeLive = scenario.ModeLive
	modeSim  = scenario.ModeSim
)

// compareFlags are the flags of `ratelab compare`.
type compareFlags struct {
	mode       string
	strategies string
	list       bool
	clients    string
	requests   int
	think      time.Duration
	rest       time.Duration
	probe      probeFlags // target, workload, --rate/--duration, run and mock flags
}

// probeOnlyFlags are probe flags compare does not take.
var probeOnlyFlags = []string{"stages", "start-rate", "find", "find-ramp", "find-cost-cap", "strategy"}

func (f *compareFlags) register(fs *flagSet) {
	fs.StringVar(&f.strategies, "strategies", defaultStrategies, `strategies to compare, comma-separated, each NAME or NAME(param=value,…), or "all" (see --list)`)
	fs.BoolVar(&f.list, "list", false, "list the strategies with their parameters and exit")
	fs.StringVar(&f.mode, "mode", "", "live, sim or both (default: sim with --target mock, live with a URL)")
	fs.StringVar(&f.clients, "clients", "10", "clients sharing one key; several, e.g. 10,50,100, sweep the count")
	fs.IntVar(&f.requests, "requests", 10, "logical requests per client")
	fs.DurationVar(&f.think, "think", 0, "pause after each logical request of a client")
	fs.DurationVar(&f.rest, "rest", 0, "live against a real API: pause between segments (default: until the headers say the budget is replenished, only after a limit was seen)")
	f.probe.register(fs)
	for _, name := range probeOnlyFlags {
		_ = fs.MarkHidden(name)
	}
	fs.Lookup("rate").Usage = "open arrivals at this rate instead of clients, e.g. 5/s (a bare number is per second); with --duration"
	fs.Lookup("duration").Usage = "how long open arrivals last, e.g. 1m"
	fs.value("strategies", "LIST")
	fs.value("mode", "MODE")
	fs.value("clients", "N[,N…]")
}

// compareFields maps the scenario fields of the compare phase to the flags that set them.
var compareFields = withFields(map[string]string{
	"phases[0].compare.strategies": "strategies", "phases[0].compare.clients": "clients",
	"phases[0].compare.requests": "requests", "phases[0].compare.think": "think", "phases[0].compare.rate": "rate",
	"phases[0].compare.duration": "duration", "phases[0].compare.max_inflight": "max-inflight",
	"phases[0].compare.mode": "mode", "phases[0].compare.rest": "rest",
})

// phase checks the compare flags and builds the scenario's one compare phase (the target is
// checked separately).
func (f *compareFlags) phase(fs *flagSet, isMock bool) (*scenario.ComparePhase, error) {
	for _, name := range probeOnlyFlags {
		if fs.Changed(name) {
			return nil, usageErrorf("compare: --%s is a probe flag; compare takes --clients/--requests, or --rate R --duration D", name)
		}
	}
	if f.rest < 0 {
		return nil, usageErrorf("--rest %s: want a duration ≥ 0", f.rest)
	}
	p := &scenario.ComparePhase{Think: scenario.Duration(f.think), MaxInflight: f.probe.maxInflight, Rest: scenario.Duration(f.rest)}
	mode := f.mode
	if mode == "" {
		mode = modeLive
		if isMock {
			mode = modeSim
		}
	}
	if !slices.Contains(scenario.Modes, mode) {
		return nil, usageErrorf("--mode %q: want live, sim or both", f.mode)
	}
	if mode != modeLive && !isMock {
		return nil, usageErrorf("--mode %s: the simulator models the embedded mock, so it needs --target mock (the target is %s); use --mode live", mode, f.probe.target)
	}
	p.Mode = mode

	list := strings.TrimSpace(f.strategies)
	if list == "all" {
		list = strings.Join(backoff.Names(), ",")
	}
	specs, err := backoff.ParseList(list)
	if err == nil {
		_, err = backoff.ResolveList(list)
	}
	if err != nil {
		return nil, usageErrorf("--strategies: %v (see ratelab compare --list)", err)
	}
	seen := map[string]bool{}
	for _, spec := range specs {
		if seen[spec.String()] {
			return nil, usageErrorf("--strategies: %s is listed twice; give each variant its own parameters", spec)
		}
		seen[spec.String()] = true
		p.Strategies = append(p.Strategies, *strategyOf(spec))
	}

	if f.probe.rate != "" || f.probe.duration != 0 {
		for _, name := range []string{"clients", "requests", "think"} {
			if fs.Changed(name) {
				return nil, usageErrorf("compare: --%s is for clients (the closed workload); --rate and --duration make arrivals open", name)
			}
		}
		if f.probe.duration < 0 || (f.probe.duration == 0 && fs.Changed("duration")) {
			return nil, usageErrorf("--duration %s: want a positive duration such as 1m", f.probe.duration)
		}
		if f.probe.rate == "" || f.probe.duration == 0 {
			return nil, usageErrorf("compare: open arrivals need both --rate R and --duration D, e.g. --rate 5/s --duration 1m")
		}
		r, err := workload.ParseRate(f.probe.rate)
		if err != nil {
			return nil, usageErrorf("--rate: %v", err)
		}
		if r.PerSecond() <= 0 {
			return nil, usageErrorf("--rate %s: want a positive rate such as 5/s", f.probe.rate)
		}
		p.Rate, p.Duration = scenario.Rate(f.probe.rate), scenario.Duration(f.probe.duration)
		return p, nil
	}
	if p.Clients, err = parseClients(f.clients); err != nil {
		return nil, err
	}
	if f.requests < 1 {
		return nil, usageErrorf("--requests %d: want at least 1 logical request per client", f.requests)
	}
	p.Requests = f.requests
	if f.think < 0 {
		return nil, usageErrorf("--think %s: want a duration ≥ 0", f.think)
	}
	if n := slices.Max(p.Clients); n > f.probe.maxInflight && mode != modeSim {
		return nil, usageErrorf("--clients %d exceeds --max-inflight %d: each live client holds one attempt in flight; raise --max-inflight", n, f.probe.maxInflight)
	}
	return p, nil
}

// maxClients bounds --clients, as it bounds a scenario's clients.
const maxClients = scenario.MaxClients

// parseClients reads --clients: one count or a comma-separated sweep, each at least 1, no repeats.
func parseClients(s string) ([]int, error) {
	var out []int
	for _, part := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(part))
		if err != nil || n < 1 || n > maxClients {
			return nil, usageErrorf("--clients %q: want client counts from 1 to %d, e.g. 10 or 10,50,100", s, maxClients)
		}
		if slices.Contains(out, n) {
			return nil, usageErrorf("--clients %q: %d is listed twice", s, n)
		}
		out = append(out, n)
	}
	return out, nil
}

// runCompare is `ratelab compare`: the flags become a scenario with one compare phase, which
// the runner executes.
func runCompare(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlagSet("compare", "ratelab compare [flags]", compareAbout)
	f := &compareFlags{}
	f.register(fs)
	compareExamples(fs)
	fs.group("Comparison", "strategies", "list", "mode", "clients", "requests", "think", "rate", "duration", "rest", "max-inflight")
	groupTarget(fs)
	groupRun(fs)
	groupMock(fs, "Embedded mock limits (with --target mock)", "Embedded mock responses")
	fs.note(compareNote, unitsNote, keysNote, failuresNote, exitNote)
	if err := parseFlags(env, fs, args); err != nil {
		return err
	}
	if f.list {
		return backoff.List(env.stdout)
	}
	if err := noArgs(fs); err != nil {
		return err
	}
	if f.probe.maxInflight < 1 {
		return usageErrorf("--max-inflight %d: want at least 1", f.probe.maxInflight)
	}
	p, err := f.phase(fs, f.probe.target == "mock")
	if err != nil {
		return err
	}
	s, err := f.probe.baseScenario(fs, "compare")
	if err != nil {
		return err
	}
	s.Phases = []scenario.Phase{{Compare: p}}
	shard, stop, err := f.probe.run.runOptions(env)
	if err != nil {
		return err
	}
	defer stop()
	return executeFlags(ctx, env, s, "compare", compareFields, shard)
}
