package runner

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/ratelab/ratelab/backoff"
	"github.com/ratelab/ratelab/engine"
	"github.com/ratelab/ratelab/internal/strictyaml"
	"github.com/ratelab/ratelab/record"
	"github.com/ratelab/ratelab/scenario"
	"github.com/ratelab/ratelab/workload"
)

// phasePlan is one scenario phase turned into what the engines run: exactly one of probe or
// compare. segs are the run.json segments the phase has or will have, in order.
type phasePlan struct {
	index    int // in the scenario's phases
	probe    *probePlan
	compare  *comparePlan
	capacity *capacityPlan
	segs     []plannedSegment
}

// plannedSegment is one run.json segment and whether it started.
type plannedSegment struct {
	record.Segment
	ran bool
}

// probePlan is a probe phase: discovery, or one open-model phase at a rate or along stages.
type probePlan struct {
	label       string // the records' run field: "probe", or "probe-N" when the scenario has several
	mode        string // live or sim
	find        bool
	findRamp    bool    // discovery ramps gently (discover.Ramp)
	findCostCap float64 // discover.Options.CostCap
	pacer       workload.Pacer
	duration    time.Duration
	shape       string            // the records' phase field: "constant" or "stages"
	strategy    *backoff.Strategy // retries of each logical request; nil for none
	stratLabel  string            // the records' strategy field
	maxInflight int
	workload    record.Workload // the rate or stages, for run.json
	note        string
}

// strategyPlan is one strategy of a compare phase and the label its results carry.
type strategyPlan struct {
	s     *backoff.Strategy
	label string
}

// comparePlan is a compare phase: every strategy at every client count in every mode.
type comparePlan struct {
	modes       []string // in run order within a strategy: live before sim
	strategies  []strategyPlan
	clients     []int        // closed model; nil for open arrivals
	share       engine.Share // this host's clients under --shard
	requests    int
	think       time.Duration
	pacer       workload.Pacer // open arrivals
	rate        workload.Rate
	duration    time.Duration
	maxInflight int
	rest        time.Duration
	stream      *bool // the phase's stream override
}

// open reports whether the workload is open arrivals.
func (p *comparePlan) open() bool { return p.pacer != nil }

// segmentPlan is one strategy × client count × mode of a compare phase.
type segmentPlan struct {
	strategy strategyPlan
	clients  int // 0 for open arrivals
	mode     string
}

// label is the segment's label: the records' run field, e.g. full-jitter/sim/50.
func (s segmentPlan) label() string {
	n := "open"
	if s.clients > 0 {
		n = strconv.Itoa(s.clients)
	}
	return s.strategy.label + "/" + s.mode + "/" + n
}

// segments lists the phase's segments in order: client counts, then strategies, then modes.
func (p *comparePlan) segments() []segmentPlan {
	counts := p.clients
	if p.open() {
		counts = []int{0}
	}
	var out []segmentPlan
	for _, n := range counts {
		for _, s := range p.strategies {
			for _, m := range p.modes {
				out = append(out, segmentPlan{strategy: s, clients: n, mode: m})
			}
		}
	}
	return out
}

// planPhases turns the scenario's phases into engine plans, with the segments run.json will
// list. What the scenario's validation could not see (a strategy the table refuses, more live
// clients than max_inflight) is a *strictyaml.Error naming the field.
func planPhases(s *scenario.Scenario) ([]*phasePlan, error) {
	var problems []strictyaml.Problem
	fail := func(path, format string, args ...any) {
		problems = append(problems, strictyaml.Problem{Path: path, Msg: fmt.Sprintf(format, args...)})
	}
	probes := 0
	for _, ph := range s.Phases {
		if ph.Probe != nil {
			probes++
		}
	}
	var out []*phasePlan
	for i, ph := range s.Phases {
		base := fmt.Sprintf("phases[%d]", i)
		pp := &phasePlan{index: i}
		switch {
		case ph.Plan != nil:
			c, prob := planCapacity(ph.Plan, base+".plan")
			if prob != nil {
				problems = append(problems, *prob)
				continue
			}
			pp.capacity = c
		case ph.Probe != nil:
			label := "probe"
			if probes > 1 {
				label = fmt.Sprintf("probe-%d", i+1)
			}
			p, err := planProbe(ph.Probe, label)
			if err != nil {
				fail(base+".probe", "%v", err)
				continue
			}
			pp.probe = p
			if !p.find {
				sg := record.Segment{Label: label, Kind: "probe", Mode: p.mode}
				if p.strategy != nil {
					sg.Strategy, sg.Params = p.stratLabel, normalizedParams(p.strategy)
				}
				pp.segs = []plannedSegment{{Segment: sg}}
			}
		case ph.Compare != nil:
			c, err := planCompare(ph.Compare, base+".compare")
			if err != nil {
				problems = append(problems, err.Problems...)
				continue
			}
			pp.compare = c
			for _, sp := range c.segments() {
				pp.segs = append(pp.segs, plannedSegment{Segment: record.Segment{
					Label: sp.label(), Kind: "compare", Strategy: sp.strategy.label,
					Params: normalizedParams(sp.strategy.s), Mode: sp.mode, Clients: sp.clients,
				}})
			}
		}
		out = append(out, pp)
	}
	if len(problems) > 0 {
		return nil, &strictyaml.Error{Problems: problems}
	}
	return out, nil
}

// planProbe builds the pacer of a rate or stages phase, or marks a discovery phase.
func planProbe(p *scenario.ProbePhase, label string) (*probePlan, error) {
	out := &probePlan{label: label, mode: p.Mode, maxInflight: p.MaxInflight}
	if out.mode == "" {
		out.mode = scenario.ModeLive
	}
	if p.Strategy != nil {
		st, err := newStrategy(*p.Strategy)
		if err != nil {
			return nil, err
		}
		if st.Name() != "none" {
			out.strategy, out.stratLabel = st, p.Strategy.Label
			if out.stratLabel == "" {
				out.stratLabel = st.Label()
			}
			out.note = "retry strategy: " + out.stratLabel
		}
	}
	switch p.Shape() {
	case "rate":
		r, err := workload.ParseRate(string(p.Rate))
		if err != nil {
			return nil, err
		}
		out.pacer, out.duration, out.shape = workload.Constant(r), p.Duration.Std(), "constant"
		out.workload = record.Workload{Rate: r.String(), DurationS: out.duration.Seconds()}
	case "stages":
		stages, err := workload.ParseStages(p.Stages.String())
		if err != nil {
			return nil, err
		}
		start, err := workload.ParseRate(string(p.StartRate))
		if err != nil {
			return nil, err
		}
		sp := workload.Stages(start, stages)
		out.pacer, out.duration, out.shape = sp, sp.Duration(), "stages"
		out.workload = record.Workload{Stages: workload.FormatStages(stages), DurationS: sp.Duration().Seconds()}
		out.note = joinNotes(out.note, "stages ramp from the start rate "+start.String())
	default:
		out.find, out.findRamp, out.findCostCap = true, p.FindRamp, p.FindCostCap
		out.note = "adaptive limit discovery (find)"
		if p.FindRamp {
			out.note += ", ramping gently (find_ramp)"
		}
		if p.FindCostCap > 0 {
			out.note += fmt.Sprintf(", cost capped at %g× its goal (find_cost_cap)", p.FindCostCap)
		}
	}
	return out, nil
}

// joinNotes joins two run.json notes into one line.
func joinNotes(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}

// planCompare checks a compare phase against the engines and the strategy table.
func planCompare(c *scenario.ComparePhase, base string) (*comparePlan, *strictyaml.Error) {
	var problems []strictyaml.Problem
	p := &comparePlan{requests: c.Requests, think: c.Think.Std(), maxInflight: c.MaxInflight, rest: c.Rest.Std(), stream: c.Stream}
	switch c.Mode {
	case scenario.ModeSim:
		p.modes = []string{record.ModeSim}
	case scenario.ModeBoth:
		p.modes = []string{record.ModeLive, record.ModeSim}
	default:
		p.modes = []string{record.ModeLive}
	}
	for j, st := range c.Strategies {
		s, err := newStrategy(st)
		if err != nil {
			problems = append(problems, strictyaml.Problem{Path: fmt.Sprintf("%s.strategies[%d]", base, j), Msg: err.Error()})
			continue
		}
		label := st.Label
		if label == "" {
			label = st.Name
		}
		p.strategies = append(p.strategies, strategyPlan{s: s, label: label})
	}
	if c.Open() {
		r, err := workload.ParseRate(string(c.Rate))
		if err != nil {
			problems = append(problems, strictyaml.Problem{Path: base + ".rate", Msg: err.Error()})
		}
		p.pacer, p.rate, p.duration = workload.Constant(r), r, c.Duration.Std()
	} else {
		p.clients = c.Clients
		if n := slices.Max(c.Clients); n > c.MaxInflight && slices.Contains(p.modes, record.ModeLive) {
			problems = append(problems, strictyaml.Problem{Path: base + ".max_inflight",
				Msg: fmt.Sprintf("%d is below the %d live clients: each live client holds one attempt in flight; raise max_inflight", c.MaxInflight, n)})
		}
	}
	if len(problems) > 0 {
		return nil, &strictyaml.Error{Problems: problems}
	}
	return p, nil
}

// newStrategy builds a scenario strategy from the backoff table.
func newStrategy(st scenario.Strategy) (*backoff.Strategy, error) {
	return backoff.New(st.Spec())
}

// normalizedParams returns a strategy's parameters as run.json holds them after a re-read
// (numbers as float64), so the report built during the run matches a later re-render.
func normalizedParams(s *backoff.Strategy) map[string]any {
	b, err := json.Marshal(s.Params())
	if err != nil {
		return s.Params()
	}
	var out map[string]any
	if json.Unmarshal(b, &out) != nil {
		return s.Params()
	}
	return out
}

// anyLive reports whether any phase sends real HTTP.
func (r *runState) anyLive() bool { return r.anyMode(record.ModeLive) }

// anySim reports whether any phase runs in the simulator.
func (r *runState) anySim() bool { return r.anyMode(record.ModeSim) }

// anyMode reports whether any phase runs in mode (record.ModeLive or record.ModeSim).
func (r *runState) anyMode(mode string) bool {
	for _, ph := range r.phases {
		if (ph.probe != nil && ph.probe.mode == mode) ||
			(ph.compare != nil && slices.Contains(ph.compare.modes, mode)) {
			return true
		}
	}
	return false
}

// mostRequests is the most live requests the run can send, or -1 when retries or discovery
// make the count open-ended; max_requests caps it.
func (r *runState) mostRequests() int64 {
	var most int64
	for _, ph := range r.phases {
		switch {
		case ph.probe != nil && ph.probe.mode != record.ModeLive:
		case ph.probe != nil && !ph.probe.find && ph.probe.strategy == nil:
			if most >= 0 {
				most += int64(workload.HitsBefore(ph.probe.pacer, ph.probe.duration))
			}
		case ph.capacity != nil:
		case ph.probe != nil, slices.Contains(ph.compare.modes, record.ModeLive):
			most = -1
		}
	}
	if m := r.budget.MaxRequests; m > 0 && (most < 0 || m < most) {
		most = m
	}
	return most
}
