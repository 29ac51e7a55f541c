package account

import (
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/ratelab/ratelab/limiter"
	"github.com/ratelab/ratelab/ratelimit"
)

// Provider is a provider's rules resolved for the account model: its model classes with their
// per-minute and per-day limits and accounting. The presets package builds it from a preset
// tier (presets.Apply); the ledger then keeps one budget per API key and pool, where classes
// that share a pool share a budget.
type Provider struct {
	// Name is the preset's name: anthropic, openai, azure-openai, gemini or bedrock.
	Name string
	// Spec is the NAME:TIER the provider was resolved from.
	Spec string
	// Classes are the model classes; Classify indexes them.
	Classes []Class
	// Classify returns the index in Classes of a model's class and the pool its budget is
	// kept under. nil: every model is Classes[0], in one pool.
	Classify func(model string) (class int, pool string)
	// Lenient accepts Anthropic requests without an anthropic-version header.
	Lenient bool
}

// Class is a model class's limits and accounting.
type Class struct {
	Name string
	// Limits are the per-minute limits of the class's pool (CountTokens is taken from Config).
	Limits Limits
	// RequestsPerDay and TokensPerDay are daily limits; 0: none.
	RequestsPerDay int64
	TokensPerDay   int64
	// DailyAlgorithm enforces the daily limits over 24 hours: fixed-window (a day aligned to
	// 00:00 UTC, the default) or token-bucket (a day's quota refilled continuously).
	DailyAlgorithm limiter.Algorithm
	// DailyReset, when set, gives a fixed-window daily limit's reset: the first reset instant
	// after its argument (midnight Pacific for Gemini).
	DailyReset func(time.Time) time.Time
	// InputCounts lists the prompt token kinds that count toward the input (or combined)
	// token limits: input, cache_creation, cache_read. Empty: input and cache_creation.
	InputCounts []string
	// OutputAccounting overrides Config.OutputAccounting for the class ("" keeps it).
	OutputAccounting OutputAccounting
	// OutputBurndown is how many quota tokens one output token costs (0: 1).
	OutputBurndown float64
}

// The causes of a refusal a Reply names.
const (
	CauseRateLimit         = "rate-limit"
	CauseDailyQuota        = "daily-quota"
	CauseSpendCap          = "spend-cap"
	CauseInsufficientQuota = "insufficient-quota"
)

// TerminalCauses are the causes Config.TerminalCause may name.
var TerminalCauses = []string{CauseSpendCap, CauseInsufficientQuota, CauseDailyQuota}

// counts reports whether kind counts toward the input limits of a class with input counts ic.
func counts(ic []string, kind string) bool {
	if len(ic) == 0 {
		return kind == "input" || kind == "cache_creation"
	}
	for _, k := range ic {
		if k == kind {
			return true
		}
	}
	return false
}

// providerState routes calls to one sub-ledger per pool and keeps the daily limits, the
// terminal quota and the prompt cache per API key.
type providerState struct {
	cfg   Config
	prov  Provider
	seed  int64
	cache PromptCache

	mu    sync.Mutex
	pools map[string]*Ledger
	order []string // pools in order of first use
	daily map[string]*dailyBudget
}

func newProviderState(cfg Config, seed int64) (*providerState, error) {
	if cfg.Provider == nil && cfg.RequestsPerDay == 0 && cfg.TokensPerDay == 0 && cfg.TerminalAfter == 0 && !cfg.Acceleration.on() {
		return nil, nil
	}
	p := &providerState{cfg: cfg, seed: seed, pools: map[string]*Ledger{}, daily: map[string]*dailyBudget{}}
	if cfg.Provider != nil {
		p.prov = *cfg.Provider
		p.prov.Classes = slices.Clone(p.prov.Classes)
	}
	if len(p.prov.Classes) == 0 {
		p.prov.Classes = []Class{{Name: "default", Limits: cfg.Limits}}
	}
	for i := range p.prov.Classes {
		c := &p.prov.Classes[i]
		if cfg.RequestsPerDay > 0 {
			c.RequestsPerDay = cfg.RequestsPerDay
		}
		if cfg.TokensPerDay > 0 {
			c.TokensPerDay = cfg.TokensPerDay
		}
		pc := p.poolConfig(i)
		if _, err := pc.resolve(); err != nil {
			return nil, err
		}
		if _, err := newDaily(c); err != nil {
			return nil, &FieldError{Field: "requests_per_day", Msg: err.Error()}
		}
	}
	return p, nil
}

// poolConfig is the configuration of class i's pool ledger.
func (p *providerState) poolConfig(i int) Config {
	c := p.cfg
	cl := &p.prov.Classes[i]
	c.Provider, c.Preset = nil, ""
	c.RequestsPerDay, c.TokensPerDay, c.TerminalAfter, c.Acceleration = 0, 0, 0, nil
	count := c.Limits.CountTokens
	c.Limits = cl.Limits
	c.Limits.CountTokens = count
	if cl.OutputAccounting != "" {
		c.OutputAccounting = cl.OutputAccounting
	}
	c.OutputBurndown = cl.OutputBurndown
	return c
}

// classOf returns the class index and pool of a model.
func (p *providerState) classOf(model string) (int, string) {
	if p.prov.Classify == nil {
		return 0, p.prov.Classes[0].Name
	}
	i, pool := p.prov.Classify(model)
	if i < 0 || i >= len(p.prov.Classes) {
		i = 0
	}
	return i, pool
}

// pool returns the ledger of a pool and the key's daily budget in it, creating them.
func (p *providerState) pool(class int, pool, key string) (*Ledger, *dailyBudget) {
	p.mu.Lock()
	defer p.mu.Unlock()
	l := p.pools[pool]
	if l == nil {
		var err error
		// The configuration was validated in newProviderState.
		if l, err = New(p.poolConfig(class), p.seed); err != nil {
			panic("account: building a pool ledger: " + err.Error())
		}
		p.pools[pool] = l
		p.order = append(p.order, pool)
	}
	dk := pool + "\x00" + key
	d := p.daily[dk]
	if d == nil {
		d, _ = newDaily(&p.prov.Classes[class])
		p.daily[dk] = d
	}
	return l, d
}

// handle answers a call under the provider's rules: the terminal quota and daily limits
// first, then the pool's per-minute limits, with the prompt cache's reads and writes.
func (p *providerState) handle(now time.Time, call *Call, r *Reply) (*Ledger, *account) {
	ci, poolName := p.classOf(call.Model)
	cl := &p.prov.Classes[ci]
	l, d := p.pool(ci, poolName, call.Key)
	r.Class, r.Pool = cl.Name, poolName
	llm := call.Endpoint == EndpointMessages || call.Endpoint == EndpointChat

	var split CacheSplit
	if llm && len(call.Cache) > 0 {
		split = p.cache.Split(now, call.Key+"\x00"+call.Model, call.InputTokens, call.Cache)
	}
	c2 := *call
	if llm {
		c2.InputTokens = split.Input
		if counts(cl.InputCounts, "cache_creation") {
			c2.InputTokens += split.Creation
		}
		if counts(cl.InputCounts, "cache_read") {
			c2.InputTokens += split.Read
		}
		if len(call.Cache) == 0 {
			c2.InputTokens = call.InputTokens
		}
	}

	// The key's daily state is held from the check to the charge, so concurrent requests
	// cannot both take a day's last unit.
	d.mu.Lock()
	defer d.mu.Unlock()
	if llm {
		cause, dim, limit, retry := p.dailyCheck(now, d, cl, &c2)
		if cause != "" {
			l.refuse(now, &c2, r, cause, dim, limit, retry)
			return nil, nil
		}
		if p.cfg.Acceleration.on() {
			ok, wait := d.accel.check(p.cfg.Acceleration, now)
			if !ok {
				l.refuseAccel(now, &c2, r, wait)
				return nil, nil
			}
		}
	}
	a := l.handle(now, &c2, nil, r)
	combineTokens(&r.Limits)
	if r.Status == 429 && r.Cause == "" {
		r.Cause = CauseRateLimit
	}
	if !llm || r.Status != 200 {
		return l, a
	}
	if len(call.Cache) > 0 {
		p.cache.Commit(now, call.Key+"\x00"+call.Model, call.Cache)
		r.InputTokens, r.CacheCreation, r.CacheRead = split.Input, split.Creation, split.Read
		r.CacheCreation1h = split.Creation1h
	}
	d.admitted++
	d.accel.count()
	if d.requests != nil {
		d.requests.Charge(now, 1)
	}
	if d.tokens != nil {
		d.tokens.Charge(now, c2.InputTokens+r.OutputTokens)
	}
	return l, a
}

// combineTokens fills the anthropic tokens-* values from the input and output limits when no
// combined limit is enforced: Anthropic sends them on every response, the most restrictive
// limit in effect, which without a workspace limit is input plus output. Only a Provider
// sends them: the mock without one keeps its headers (tokens-* with --tpm only), which
// inference reads as a limit of its own.
func combineTokens(s *ratelimit.Snapshot) {
	if s.Dialect != ratelimit.DialectAnthropic || s.Dims[ratelimit.Tokens].Present() {
		return
	}
	in, out := s.Dims[ratelimit.InputTokens], s.Dims[ratelimit.OutputTokens]
	if !in.Present() || !out.Present() {
		return
	}
	s.Dims[ratelimit.Tokens] = ratelimit.State{
		Limit:     in.Limit + out.Limit,
		Remaining: in.Remaining + out.Remaining,
		Reset:     max(in.Reset, out.Reset),
		Window:    in.Window,
		Flags:     in.Flags & out.Flags,
	}
}

// stats merges the pool ledgers' counters, in pool order of first use.
func (p *providerState) stats() Stats {
	p.mu.Lock()
	names, ledgers := inOrder(p.order, p.pools)
	p.mu.Unlock()
	out := Stats{Accounts: []AccountStats{}, Unkeyed: map[string]int64{}}
	for i, l := range ledgers {
		s := l.Stats()
		for _, a := range s.Accounts {
			if len(ledgers) > 1 || names[i] != p.prov.Classes[0].Name {
				a.Key += " (" + names[i] + ")"
			}
			out.Accounts = append(out.Accounts, a)
		}
		for k, n := range s.Unkeyed {
			out.Unkeyed[k] += n
		}
	}
	return out
}

// accountStats sums key's counters over the pools it used.
func (p *providerState) accountStats(key string) (AccountStats, bool) {
	p.mu.Lock()
	ledgers := make([]*Ledger, 0, len(p.order))
	for _, n := range p.order {
		ledgers = append(ledgers, p.pools[n])
	}
	p.mu.Unlock()
	out := AccountStats{Key: maskKey(key), Status: map[string]int64{}, Dimensions: map[string]DimStats{}}
	found := false
	for _, l := range ledgers {
		s, ok := l.AccountStats(key)
		if !ok {
			continue
		}
		found = true
		out.Requests += s.Requests
		for k, n := range s.Status {
			out.Status[k] += n
		}
		for k, d := range s.Dimensions {
			sum := out.Dimensions[k]
			sum.Admitted += d.Admitted
			sum.Rejected += d.Rejected
			sum.Units += d.Units
			out.Dimensions[k] = sum
		}
	}
	return out, found
}

// validateProvider checks the settings of daily limits, terminal quotas and accounting.
func (c *Config) validateProvider() error {
	if c.RequestsPerDay < 0 {
		return fieldErrorf("requests_per_day", "%d is negative: want ≥ 0 (0: no daily limit)", c.RequestsPerDay)
	}
	if c.TokensPerDay < 0 {
		return fieldErrorf("tokens_per_day", "%d is negative: want ≥ 0 (0: no daily limit)", c.TokensPerDay)
	}
	if c.TerminalAfter < 0 {
		return fieldErrorf("terminal_after", "%d is negative: want ≥ 0 (0: never)", c.TerminalAfter)
	}
	if c.TerminalCause != "" && !slices.Contains(TerminalCauses, c.TerminalCause) {
		return fieldErrorf("terminal_cause", "unknown cause %q: want one of %s", c.TerminalCause, strings.Join(TerminalCauses, ", "))
	}
	if a := c.Acceleration; a != nil && (a.Factor < 0 || a.Factor > 0 && a.Factor < 1 || a.Window < 0 || a.Floor < 0) {
		return fieldErrorf("acceleration", "factor %v, window %v, floor %d: want a factor ≥ 1 (0: off), a window and a floor ≥ 0", a.Factor, a.Window, a.Floor)
	}
	if c.OutputBurndown < 0 {
		return fieldErrorf("output_burndown", "%v is negative: want a multiplier ≥ 1 (0: 1)", c.OutputBurndown)
	}
	return nil
}

// refuseAccel writes an acceleration refusal into r: an ordinary rate-limit 429 on requests
// (the provider's does not tell them apart), with the time until the model's window ends.
func (m *Ledger) refuseAccel(now time.Time, call *Call, r *Reply, wait time.Duration) {
	m.refuse(now, call, r, CauseRateLimit, "rpm", m.res.dims[dimRequests].perMinute, wait)
	r.Terminal = false
	r.ErrorType, r.Message = m.rateLimitError(call.Endpoint, dimRequests, call, 1, limiter.Decision{}, wait)
}
