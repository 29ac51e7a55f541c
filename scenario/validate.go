package scenario

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/ratelab/ratelab/backoff"
	"github.com/ratelab/ratelab/internal/strictyaml"
	"github.com/ratelab/ratelab/internal/suggest"
	"github.com/ratelab/ratelab/workload"
)

// validator collects every semantic problem of a scenario, each at its field path (and, for a
// loaded file, its line and column).
type validator struct {
	s        *Scenario
	problems []strictyaml.Problem
}

var (
	nameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)
	// labelRE also takes the spec form `ratelab compare --strategies` labels results with,
	// e.g. client-limiter(rpm=600).
	labelRE  = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*(\([A-Za-z0-9._=,:%+-]*\))?$`)
	envRE    = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	methodRE = regexp.MustCompile(`^[A-Z]+$`)
	tokenRE  = regexp.MustCompile("^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
)

// credentialHeaders are request headers that carry secrets; scenario files are shared and
// recorded in run.json, so keys come only from the environment (target.key_env).
var credentialHeaders = []string{"authorization", "proxy-authorization", "x-api-key", "api-key", "cookie"}

// MaxClients bounds a compare phase's client count.
const MaxClients = 100_000

// MaxPromptTokens bounds the synthetic prompt size (the engine's bound).
const MaxPromptTokens = workload.MaxPromptTokens

// add records a problem at path unless a decoding problem already covers it.
func (v *validator) add(path, format string, args ...any) {
	if v.suppressed(path) {
		return
	}
	v.problems = append(v.problems, v.at(path, fmt.Sprintf(format, args...)))
}

// at builds a problem at path, positioned at path or its nearest written ancestor.
func (v *validator) at(path, msg string) strictyaml.Problem {
	p := strictyaml.Problem{Path: path, Msg: msg}
	if src := v.s.src; src != nil {
		p.File = src.file
		for q := path; ; q = parentPath(q) {
			if pos, ok := src.pos[q]; ok {
				p.Line, p.Col = pos.Line, pos.Col
				break
			}
			if q == "" {
				break
			}
		}
	}
	return p
}

func (v *validator) suppressed(path string) bool {
	if v.s.src == nil {
		return false
	}
	for b := range v.s.src.bad {
		if b == path || under(path, b) || under(b, path) {
			return true
		}
	}
	return false
}

// under reports whether path lies strictly inside ancestor.
func under(path, ancestor string) bool {
	if ancestor == "" || len(path) <= len(ancestor) || !strings.HasPrefix(path, ancestor) {
		return false
	}
	c := path[len(ancestor)]
	return c == '.' || c == '['
}

// parentPath drops the last segment of a field path: "a.b[2]" → "a.b" → "a" → "".
func parentPath(p string) string {
	i := max(strings.LastIndexByte(p, '.'), strings.LastIndexByte(p, '['))
	if i < 0 {
		return ""
	}
	return p[:i]
}

func (v *validator) validate() {
	s := v.s
	if s.Name != "" && !nameRE.MatchString(s.Name) {
		v.add("name", "must be letters, digits, '.', '_' or '-' (it names the output directory), got %s", strictyaml.Show(s.Name))
	}
	v.target()
	v.mock()
	v.workload()
	for i := range s.Phases {
		v.phase(i)
	}
	v.nonNegative("budget.max_requests", s.Budget.MaxRequests, "0 means no limit")
	v.nonNegative("budget.max_duration", int64(s.Budget.MaxDuration), "0 means no limit")
	v.nonNegative("budget.budget_tokens", s.Budget.BudgetTokens, "0 means no limit")
	v.expect()
}

// positive reports x when it is negative, or zero but written in the file (zero otherwise
// means "the default").
func (v *validator) positive(path string, x int64, what string) {
	if x < 0 || (x == 0 && v.s.given(path)) {
		v.add(path, "must be at least 1%s", what)
	}
}

func (v *validator) positiveDuration(path string, d Duration) {
	if d < 0 || (d == 0 && v.s.given(path)) {
		v.add(path, "must be a duration above 0, such as 30s")
	}
}

func (v *validator) nonNegative(path string, x int64, note string) {
	if x < 0 {
		v.add(path, "must not be negative (%s)", note)
	}
}

func (v *validator) workload() {
	w := &v.s.Workload
	v.positive("workload.prompt_tokens", w.PromptTokens, "")
	if w.PromptTokens > MaxPromptTokens {
		v.add("workload.prompt_tokens", "must be at most %d", MaxPromptTokens)
	}
	if w.PromptTokensSpread < 0 || w.PromptTokensSpread >= 1 {
		v.add("workload.prompt_tokens_spread", "must be from 0 up to (not including) 1: a relative spread, 0.2 means ±20%%")
	}
	v.positive("workload.max_tokens", w.MaxTokens, "")
	v.positiveDuration("workload.timeout", w.Timeout)
	if w.StreamIdleTimeout < 0 {
		v.add("workload.stream_idle_timeout", "must be a positive duration such as 30s")
	}
	v.cache()
}

// cache checks the prompt-cache fields: a hit ratio needs a prefix.
func (v *validator) cache() {
	w := &v.s.Workload
	v.nonNegative("workload.cache_prefix_tokens", w.CachePrefixTokens, "a prefix length in tokens, 0 for none")
	if r := w.CacheHitRatio; r != nil {
		switch {
		case !(*r >= 0 && *r <= 1):
			v.add("workload.cache_hit_ratio", "must be a fraction from 0 to 1, e.g. 0.8 for 80%% of requests reading the cache")
		case w.CachePrefixTokens == 0:
			v.add("workload.cache_hit_ratio", "needs workload.cache_prefix_tokens: the prefix the requests share")
		}
	}
}

// checkRate validates a rate with the engine's parser (workload.ParseRate); positive rejects 0/s.
func (v *validator) checkRate(path string, r Rate, positive bool) {
	switch parsed, err := r.Parse(); {
	case err != nil:
		v.add(path, "%v", err)
	case positive && parsed.PerSecond() <= 0:
		v.add(path, "must be more than 0, e.g. 5/s")
	}
}

func (v *validator) phase(i int) {
	ph := &v.s.Phases[i]
	base := fmt.Sprintf("phases[%d]", i)
	switch {
	case ph.Probe != nil && ph.Compare != nil:
		v.add(base, "a phase is either probe: or compare:, not both; make them two list items")
	case ph.Plan != nil && (ph.Probe != nil || ph.Compare != nil):
		v.add(base, "a plan: phase is a list item of its own, without probe: or compare:")
	case ph.Plan != nil:
		v.plan(base+".plan", ph.Plan)
	case ph.Probe != nil:
		v.probe(base+".probe", ph.Probe)
	case ph.Compare != nil:
		v.compare(base+".compare", ph.Compare)
	default:
		v.add(base, "a phase needs probe:, compare: or plan:, e.g. - probe: {find: true}")
	}
}

func (v *validator) probe(base string, p *ProbePhase) {
	var shapes []string
	if p.Rate != "" {
		shapes = append(shapes, "rate")
	}
	if len(p.Stages) > 0 {
		shapes = append(shapes, "stages")
	}
	if p.Find {
		shapes = append(shapes, "find")
	}
	switch {
	case len(shapes) > 1:
		v.add(base, "give one of rate (with duration), stages, or find: true; this phase has %s", strings.Join(shapes, " and "))
		return
	case len(shapes) == 0 && v.s.given(base+".find"):
		v.add(base+".find", "is false and the phase has no rate or stages: give rate and duration, or stages, or find: true")
	}
	if (p.FindRamp || p.FindCostCap != 0) && !p.Find {
		v.add(base+".find_ramp", "and find_cost_cap go with find: true")
	}
	if p.FindCostCap < 0 || (p.FindCostCap > 0 && p.FindCostCap < 1) {
		v.add(base+".find_cost_cap", "is %g: want 0 (no cap) or a factor of at least 1, e.g. 4", p.FindCostCap)
	}
	if p.Rate != "" {
		v.checkRate(base+".rate", p.Rate, true)
		if p.Duration == 0 && !v.s.given(base+".duration") {
			v.add(base+".duration", "is required with rate, e.g. duration: 30s")
		}
		v.positiveDuration(base+".duration", p.Duration)
	} else if p.Duration != 0 {
		v.add(base+".duration", "goes with rate; stages set their own durations, and find stops by itself (bound it with budget.max_duration)")
	}
	if len(p.Stages) > MaxStages {
		v.add(base+".stages", "has %d stages: at most %d", len(p.Stages), MaxStages)
	}
	for k, st := range p.Stages {
		sp := fmt.Sprintf("%s.stages[%d]", base, k)
		if st.Duration <= 0 {
			v.add(sp+".duration", "must be a duration above 0, such as 30s")
		}
		v.checkRate(sp+".target", st.Target, false)
	}
	if p.StartRate != "" {
		if len(p.Stages) == 0 {
			v.add(base+".start_rate", "goes with stages (the rate the first stage ramps from)")
		} else {
			v.checkRate(base+".start_rate", p.StartRate, false)
		}
	}
	v.positive(base+".max_inflight", int64(p.MaxInflight), "")
	if p.Mode != "" && p.Mode != ModeLive && p.Mode != ModeSim {
		v.add(base+".mode", "%s", suggest.Unknown("mode", p.Mode, []string{ModeLive, ModeSim}))
	} else if p.Mode == ModeSim && v.s.Mock == nil {
		v.add(base+".mode", "mode sim needs mock: the simulator runs the mock's limiter model, and a real API cannot be simulated; use mode live")
	}
	if p.Strategy != nil {
		v.probeStrategy(base+".strategy", p)
	}
}

// probeStrategy checks the retry strategy of a probe phase: one named strategy, for a rate or
// stages phase.
func (v *validator) probeStrategy(path string, p *ProbePhase) {
	st := p.Strategy
	switch {
	case p.Rate == "" && len(p.Stages) == 0:
		v.add(path, "does not apply to find: discovery never retries (every attempt is evidence); give rate or stages, or remove strategy")
	case st.Name == "":
		v.add(path+".name", "is required: which strategy (see ratelab compare --list)")
	case st.Name == AllStrategies:
		v.add(path+".name", "a probe phase takes one strategy; compare phases take all")
	case !slices.Contains(backoff.Names(), st.Name):
		v.add(path+".name", "%s", suggest.Unknown("strategy", st.Name, backoff.Names()))
	case !v.suppressed(path):
		if err := checkStrategy(st.Name, st.Params); err != nil {
			v.strategyError(path, path+".params", err)
		}
	}
}

func (v *validator) compare(base string, c *ComparePhase) {
	v.strategies(base, c)
	if c.Mode != "" && !slices.Contains(Modes, c.Mode) {
		v.add(base+".mode", "%s", suggest.Unknown("mode", c.Mode, Modes))
	} else if (c.Mode == ModeSim || c.Mode == ModeBoth) && v.s.Mock == nil {
		v.add(base+".mode", "mode %s needs mock: the simulator runs the mock's limiter model, and a real API cannot be simulated; use mode live", c.Mode)
	}
	if c.Open() {
		v.checkRate(base+".rate", c.Rate, true)
		if c.Duration == 0 && !v.s.given(base+".duration") {
			v.add(base+".duration", "is required with rate (arrivals at the rate for this long), e.g. duration: 60s")
		}
		v.positiveDuration(base+".duration", c.Duration)
		closed := "describes a closed workload (clients making requests in turn), rate and duration an open one; give one or the other"
		if len(c.Clients) > 0 {
			v.add(base+".clients", "%s", closed)
		}
		if c.Requests != 0 {
			v.add(base+".requests", "%s", closed)
		}
		if c.Think != 0 {
			v.add(base+".think", "%s", closed)
		}
	} else {
		if c.Duration != 0 {
			v.add(base+".duration", "goes with rate (open arrivals); a closed workload ends when every client has made its requests")
		}
		seen := map[int]bool{}
		for k, n := range c.Clients {
			p := fmt.Sprintf("%s.clients[%d]", base, k)
			switch {
			case n < 1:
				v.add(p, "must be at least 1 client")
			case n > MaxClients:
				v.add(p, "must be at most %d clients", MaxClients)
			case seen[n]:
				v.add(p, "%d clients appears twice in the sweep", n)
			}
			seen[n] = true
		}
		if v.s.given(base+".clients") && len(c.Clients) == 0 {
			v.add(base+".clients", "is empty; give a client count or a list of them")
		}
		v.positive(base+".requests", int64(c.Requests), " request per client")
		if c.Think < 0 {
			v.add(base+".think", "must not be negative")
		}
	}
	v.positive(base+".max_inflight", int64(c.MaxInflight), "")
	if c.Rest < 0 {
		v.add(base+".rest", "must not be negative (0: until the headers say the budget is replenished)")
	}
}

// strategies checks names, labels and parameters of a compare phase's strategy list.
func (v *validator) strategies(base string, c *ComparePhase) {
	path := base + ".strategies"
	if len(c.Strategies) == 0 {
		v.add(path, "list the strategies to compare, e.g. [full-jitter, retry-after], or all")
		return
	}
	labels := map[string]string{} // label → path of the entry that uses it
	use := func(label, p, dupMsg string) {
		if first, ok := labels[label]; ok {
			v.add(p, "%s (also used by %s)", dupMsg, strings.TrimPrefix(first, base+"."))
			return
		}
		labels[label] = p
	}
	for j, st := range c.Strategies {
		p := fmt.Sprintf("%s[%d]", path, j)
		if st.Name == AllStrategies {
			if len(st.Params) > 0 || st.Label != "" {
				v.add(p, "all takes no label or params; list a strategy on its own to set its parameters")
			}
			for _, n := range backoff.Names() {
				use(n, p, fmt.Sprintf("all includes %s, which is listed already; give that entry a label to run it as a variant", n))
			}
			continue
		}
		if st.Name == "" {
			v.add(p+".name", "is required: which strategy (see ratelab compare --list)")
			continue
		}
		if !slices.Contains(backoff.Names(), st.Name) {
			v.add(p+".name", "%s", suggest.Unknown("strategy", st.Name, backoff.Names()))
			continue
		}
		label := st.Label
		if label == "" {
			label = st.Name
		} else if !labelRE.MatchString(label) || label == AllStrategies {
			v.add(p+".label", "must be letters, digits, '.', '_' or '-' (optionally with a parameter list such as (base=1s)) and not \"all\", got %s", strictyaml.Show(label))
		}
		use(label, p, fmt.Sprintf("strategy %s is listed twice; give this entry a label to run it as a variant", label))
		if !v.suppressed(p) {
			if err := checkStrategy(st.Name, st.Params); err != nil {
				v.strategyError(p, p+".params", err)
			}
		}
	}
}

// expandAll replaces "all" in strategy lists with every strategy of the backoff table, keeping
// entries that are listed on their own as well.
func (v *validator) expandAll() {
	for i := range v.s.Phases {
		c := v.s.Phases[i].Compare
		if c == nil || !slices.ContainsFunc(c.Strategies, isAll) {
			continue
		}
		var out Strategies
		for _, st := range c.Strategies {
			if !isAll(st) {
				out = append(out, st)
				continue
			}
			for _, n := range backoff.Names() {
				out = append(out, Strategy{Name: n})
			}
		}
		c.Strategies = out
	}
}

func isAll(s Strategy) bool { return s.Name == AllStrategies }
