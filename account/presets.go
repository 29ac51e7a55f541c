package account

import (
	"slices"
	"strconv"
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

// dailyBudget is one key's daily and terminal state in one pool.
type dailyBudget struct {
	requests, tokens dailyLimiter // nil when the limit is off
	admitted         int64        // requests admitted, for TerminalAfter
	accel            accelCounter
}

// dailyLimiter is what a daily limit needs of a limiter.
type dailyLimiter interface {
	Charge(now time.Time, n int64)
	Peek(now time.Time) limiter.Decision
}

// calendarDay counts a daily quota that resets at a calendar instant (Gemini's midnight
// Pacific): next returns the first reset after an instant.
type calendarDay struct {
	limit, used int64
	until       time.Time // the next reset; zero before the first use
	next        func(time.Time) time.Time
}

func (c *calendarDay) roll(now time.Time) {
	if c.until.IsZero() || !now.Before(c.until) {
		c.used, c.until = 0, c.next(now)
	}
}

// Charge counts n units at now.
func (c *calendarDay) Charge(now time.Time, n int64) {
	c.roll(now)
	c.used += n
}

// Peek returns the quota left at now and the time until the reset.
func (c *calendarDay) Peek(now time.Time) limiter.Decision {
	c.roll(now)
	wait := c.until.Sub(now)
	return limiter.Decision{Allowed: c.used < c.limit, Limit: c.limit, Remaining: max(c.limit-c.used, 0), Reset: wait, RetryAfter: wait}
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

func newDaily(c *Class) (*dailyBudget, error) {
	d := &dailyBudget{}
	alg := c.DailyAlgorithm
	if alg == "" {
		alg = limiter.FixedWindow
	}
	for _, x := range []struct {
		n   int64
		dst *dailyLimiter
	}{{c.RequestsPerDay, &d.requests}, {c.TokensPerDay, &d.tokens}} {
		if x.n <= 0 {
			continue
		}
		if c.DailyReset != nil && alg == limiter.FixedWindow {
			*x.dst = &calendarDay{limit: x.n, next: c.DailyReset}
			continue
		}
		l, err := limiter.New(limiter.Config{Algorithm: alg, Limit: x.n, Window: 24 * time.Hour, Burst: x.n})
		if err != nil {
			return nil, err
		}
		*x.dst = l
	}
	return d, nil
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
func (p *providerState) handle(now time.Time, call *Call, r *Reply) {
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

	if llm {
		p.mu.Lock()
		cause, dim, limit, retry := p.dailyCheck(now, d, cl, &c2)
		p.mu.Unlock()
		if cause != "" {
			l.refuse(now, &c2, r, cause, dim, limit, retry)
			return
		}
		if p.cfg.Acceleration.on() {
			p.mu.Lock()
			ok, wait := d.accel.check(p.cfg.Acceleration, now)
			p.mu.Unlock()
			if !ok {
				l.refuseAccel(now, &c2, r, wait)
				return
			}
		}
	}
	l.handle(now, &c2, nil, r)
	combineTokens(&r.Limits)
	if r.Status == 429 && r.Cause == "" {
		r.Cause = CauseRateLimit
	}
	if !llm || r.Status != 200 {
		return
	}
	if len(call.Cache) > 0 {
		p.cache.Commit(now, call.Key+"\x00"+call.Model, call.Cache)
		r.InputTokens, r.CacheCreation, r.CacheRead = split.Input, split.Creation, split.Read
	}
	p.mu.Lock()
	d.admitted++
	d.accel.count()
	if d.requests != nil {
		d.requests.Charge(now, 1)
	}
	if d.tokens != nil {
		d.tokens.Charge(now, c2.InputTokens+r.OutputTokens)
	}
	p.mu.Unlock()
}

// dailyCheck returns the cause of a terminal refusal ("" when none): the terminal quota after
// TerminalAfter requests, else an exhausted daily limit, with the limit's dimension name, its
// value and the time until it admits again.
func (p *providerState) dailyCheck(now time.Time, d *dailyBudget, cl *Class, call *Call) (cause, dim string, limit int64, retry time.Duration) {
	if n := p.cfg.TerminalAfter; n > 0 && d.admitted >= n {
		cause := p.cfg.TerminalCause
		if cause == "" {
			cause = CauseSpendCap
		}
		if cause != CauseDailyQuota {
			return cause, "", n, 0
		}
		return cause, "rpd", n, 24 * time.Hour
	}
	if d.requests != nil {
		if dec := d.requests.Peek(now); dec.Remaining < 1 {
			return CauseDailyQuota, "rpd", cl.RequestsPerDay, max(dec.Reset, dec.RetryAfter)
		}
	}
	if d.tokens != nil {
		if dec := d.tokens.Peek(now); dec.Remaining < call.InputTokens+call.MaxTokens {
			return CauseDailyQuota, "tpd", cl.TokensPerDay, max(dec.Reset, dec.RetryAfter)
		}
	}
	return "", "", 0, 0
}

// refuse writes a terminal refusal of cause into r, with the account's current header values.
func (m *Ledger) refuse(now time.Time, call *Call, r *Reply, cause, dim string, limit int64, retry time.Duration) {
	e := call.Endpoint
	r.Dialect = m.dialects[e]
	r.Limits.Dialect, r.Limits.Rounding = r.Dialect, m.res.rounding
	r.Status, r.Cause, r.Terminal = 429, cause, true
	r.LimitName, r.LimitValue, r.Used, r.Requested = dim, limit, limit, 1
	r.Exceeded = ratelimit.Requests
	if dim == "tpd" {
		r.Exceeded = ratelimit.Tokens
	}
	r.ErrorType, r.Message = terminalError(e, cause, dim, call.Model, limit, retry)
	if a := m.account(call.Key); a != nil {
		a.mu.Lock()
		a.stats.count(429)
		for _, d := range m.dims[e] {
			a.header(now, &m.res, d, nil, &r.Limits)
		}
		a.mu.Unlock()
	}
	combineTokens(&r.Limits)
	if retry > 0 {
		r.Limits.RetryAfter, r.Limits.HasRetryAfter = retry, true
	}
}

// terminalError is the type and message of a terminal refusal in the words of endpoint e's
// provider family; a preset's own templates replace them in the HTTP mock.
func terminalError(e Endpoint, cause, dim, model string, limit int64, retry time.Duration) (string, string) {
	if e == EndpointChat {
		switch cause {
		case CauseDailyQuota:
			unit, short := "requests per day", "RPD"
			if dim == "tpd" {
				unit, short = "tokens per day", "TPD"
			}
			return "requests", "Rate limit reached for " + model + " in organization " + Organization + " on " + unit + " (" + short +
				"): Limit " + itoa(limit) + ", Used " + itoa(limit) + ", Requested 1. Please try again in " + retry.Round(time.Millisecond).String() +
				". Visit https://platform.openai.com/account/rate-limits to learn more."
		case CauseInsufficientQuota:
			return "insufficient_quota", "You exceeded your current quota, please check your plan and billing details. For more information on this error, read the docs: https://platform.openai.com/docs/guides/error-codes/api-errors."
		}
		return "insufficient_quota", "Your organization has reached its spend limit. Raise the limit in your billing settings to continue."
	}
	switch cause {
	case CauseDailyQuota:
		unit := "requests per day"
		if dim == "tpd" {
			unit = "tokens per day"
		}
		return "rate_limit_error", "This request would exceed your organization's daily limit of " + thousands(limit) + " " + unit + "."
	case CauseInsufficientQuota:
		return "billing_error", "Your credit balance is too low to access the Anthropic API. Please go to Plans & Billing to upgrade or purchase credits."
	}
	return "rate_limit_error", "You have reached your API usage limits: your organization has crossed its monthly API usage threshold, set based on your organization's API tier."
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

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
	names := append([]string(nil), p.order...)
	ledgers := make([]*Ledger, len(names))
	for i, n := range names {
		ledgers[i] = p.pools[n]
	}
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
