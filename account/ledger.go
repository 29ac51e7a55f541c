// Package account is the account model the mock server and the simulator share: a real
// rate-limit budget per API key (requests, input, output and combined tokens, each with its own
// limiter algorithm), what each call costs, the admit-or-429 decision with the rate-limit header
// values and provider-style error text, and the configured latency and faults. Its core,
// Ledger.Handle, is a pure function of the instant and the call: the mock's HTTP front end
// (mockserver) and the virtual-time engine (sim) call the very same object.
package account

import (
	"math/rand/v2"
	"sync"
	"time"

	"github.com/ratelab/ratelab/limiter"
	"github.com/ratelab/ratelab/ratelimit"
)

// Ledger is the account model: one set of limiters per API key, built from one Config. It is
// safe for concurrent use; for a given seed and call sequence its replies are deterministic. It
// never reads the clock: every instant is passed in.
type Ledger struct {
	cfg      Config
	res      resolved
	dims     [numEndpoints][]mockDim // the dimensions each endpoint is limited by
	dialects [numEndpoints]ratelimit.Dialect
	faults   bool
	genDraws bool           // generation jitter or stream faults draw numbers
	prov     *providerState // nil: one budget per key, no daily limits, no prompt cache

	mu       sync.RWMutex
	accounts map[string]*account
	order    []string // keys in creation order, for stats

	rngMu sync.Mutex
	rng   *rand.Rand

	unkeyed statusCounts // replies that reached no account (401, 403, and the HTTP layer's 4xx)
	unkeyMu sync.Mutex

	store     Store // nil: limiters in memory (see UseStore)
	storeOpts StoreOptions

	refusals [numMockDims]string // each dimension's Anthropic 429 message, built once
}

// New builds a Ledger from cfg. seed drives every random choice (faults, latency jitter).
func New(cfg Config, seed int64) (*Ledger, error) {
	res, err := cfg.resolve()
	if err != nil {
		return nil, err
	}
	m := &Ledger{
		cfg:      cfg,
		res:      res,
		faults:   cfg.ErrorRate > 0 || cfg.OverloadRate > 0,
		genDraws: cfg.TTFTJitter > 0 || cfg.OutputTPSJitter > 0 || cfg.streamFaults(),
		accounts: make(map[string]*account),
		rng:      rand.New(rand.NewPCG(uint64(seed), 0x6d6f636b)),
	}
	for d := range m.refusals {
		m.refusals[d] = anthropicRefusal(mockDim(d), res.dims[d].perMinute)
	}
	for e := EndpointMessages; e < numEndpoints; e++ {
		var cand []mockDim
		switch e {
		case EndpointMessages, EndpointChat:
			cand = []mockDim{dimRequests, dimTokens, dimInput, dimOutput}
		case EndpointCountTokens:
			cand = []mockDim{dimCountTokens}
		default:
			cand = []mockDim{dimRequests}
		}
		for _, d := range cand {
			if res.dims[d].on {
				m.dims[e] = append(m.dims[e], d)
			}
		}
		switch {
		case res.dialectSet:
			m.dialects[e] = res.dialect
		case e == EndpointMessages || e == EndpointCountTokens:
			m.dialects[e] = ratelimit.DialectAnthropic
		case e == EndpointChat:
			m.dialects[e] = ratelimit.DialectOpenAI
		default:
			m.dialects[e] = ratelimit.DialectIETF
		}
	}
	// Build one account now, so a configuration the limiters refuse fails here, not per request.
	if _, err := m.newAccount(); err != nil {
		return nil, err
	}
	m.prov, err = newProviderState(cfg, seed) // nil without a Provider or daily limits
	return m, err
}

// Config returns the configuration the ledger was built from.
func (m *Ledger) Config() Config { return m.cfg }

// Dialect returns the header dialect spoken on endpoint e.
func (m *Ledger) Dialect(e Endpoint) ratelimit.Dialect { return m.dialects[e] }

// account is one API key's budget.
type account struct {
	mu    sync.Mutex
	lim   [numMockDims]limiter.Limiter // nil when the dimension is off
	adv   [numMockDims]limiter.Limiter // shadow limiter supplying header values; nil when none
	stats accountStats
}

func (m *Ledger) newAccount() (*account, error) {
	a := &account{}
	for d := range numMockDims {
		s := &m.res.dims[d]
		if !s.on {
			continue
		}
		l, err := limiter.New(s.limiter)
		if err != nil {
			return nil, &FieldError{Field: "limits." + d.String(), Msg: err.Error()}
		}
		a.lim[d] = l
		if s.advertise != nil {
			l, err := limiter.New(s.advertise.limiter)
			if err != nil {
				return nil, &FieldError{Field: "limits." + d.String() + ".advertise", Msg: err.Error()}
			}
			a.adv[d] = l
		}
	}
	return a, nil
}

// account returns key's account, creating it; nil when MaxAccounts is reached.
func (m *Ledger) account(key string) *account {
	m.mu.RLock()
	a := m.accounts[key]
	m.mu.RUnlock()
	if a != nil {
		return a
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if a = m.accounts[key]; a != nil {
		return a
	}
	if m.cfg.MaxAccounts > 0 && len(m.accounts) >= m.cfg.MaxAccounts {
		return nil
	}
	a, err := m.newAccount()
	if err != nil {
		// New built an account from the same configuration, so this cannot happen.
		panic("account: building an account: " + err.Error())
	}
	m.accounts[key] = a
	m.order = append(m.order, key)
	return a
}

// draws are the random numbers one call may use, drawn together so that the sequence of draws
// depends only on the sequence of calls.
type draws struct {
	fault  float64
	jitter float64
	// generation and stream-fault draws, taken only when configured (the old sequence otherwise)
	ttft, tps         float64
	stream, streamPos float64
}

func (m *Ledger) draw() draws {
	if !m.faults && m.cfg.LatencyJitter == 0 && !m.genDraws {
		return draws{fault: 1}
	}
	m.rngMu.Lock()
	defer m.rngMu.Unlock()
	dr := draws{fault: 1}
	if m.faults {
		dr.fault = m.rng.Float64()
	}
	if m.cfg.LatencyJitter > 0 {
		dr.jitter = m.rng.Float64()
	}
	if m.genDraws {
		m.drawGeneration(&dr)
	}
	return dr
}

// Handle runs one call against its account at instant now and returns the reply. Admission is
// atomic across dimensions: a request refused by one limit consumes nothing from the others
// (with CountRejected, a refused request still costs one unit of the requests limit).
func (m *Ledger) Handle(now time.Time, call Call) Reply {
	var r Reply
	m.handle(now, &call, nil, &r)
	return r
}

// Cursor remembers the account a caller reached last: a caller that keeps one (an HTTP
// connection's pooled request state) and sends the same key again goes straight to that
// account, without a lookup under the ledger's lock, whose cache line the handlers on other CPUs
// would otherwise take turns owning. The zero Cursor is ready to use.
type Cursor struct {
	key  string
	acct *account
	led  *Ledger // acct's ledger when not the one handling (a preset's pool ledger)
}

// HandleWith is Handle for a caller that keeps a Cursor, writing the reply into *r, which must
// be zero.
func (m *Ledger) HandleWith(c *Cursor, now time.Time, call *Call, r *Reply) {
	if m.prov != nil {
		// The account is in a pool's ledger; the cursor keeps both for ChargeOutput.
		if call.Endpoint == 0 || call.Endpoint >= numEndpoints {
			call.Endpoint = EndpointGeneric
		}
		c.key, c.acct, c.led = "", nil, nil
		if l, a := m.prov.handle(now, call, r); a != nil {
			c.key, c.acct, c.led = call.Key, a, l
		}
		return
	}
	a := c.acct
	if a != nil && call.Key != c.key {
		a = nil
	}
	if a = m.handle(now, call, a, r); a != nil {
		c.key, c.acct = call.Key, a
	}
}

// handle is Handle writing the reply into *r, which must be zero. a, when not nil, is
// call.Key's account (a caller that has seen the key before may keep its account: accounts
// live as long as the Ledger); handle returns the account the call reached, nil when none.
func (m *Ledger) handle(now time.Time, call *Call, a *account, r *Reply) *account {
	e := call.Endpoint
	if e == 0 || e >= numEndpoints {
		e = EndpointGeneric
	}
	if m.prov != nil {
		call.Endpoint = e
		m.prov.handle(now, call, r)
		return nil
	}
	r.Dialect = m.dialects[e]
	r.Limits.Dialect, r.Limits.Rounding = r.Dialect, m.res.rounding
	if a == nil {
		if m.cfg.RequireKey && call.Key == "" {
			r.Status, r.ErrorType, r.Message = authError(e)
			m.CountUnkeyed(r.Status)
			return nil
		}
		if a = m.account(call.Key); a == nil {
			r.Status, r.ErrorType, r.Message = accountLimitError(e, m.cfg.MaxAccounts)
			m.CountUnkeyed(r.Status)
			return nil
		}
	}
	dr := m.draw()
	if dr.fault < m.cfg.OverloadRate+m.cfg.ErrorRate {
		if dr.fault < m.cfg.OverloadRate {
			r.Status, r.ErrorType, r.Message = overloadError(e)
		} else {
			r.Status, r.ErrorType, r.Message = ServerError(e)
		}
		a.mu.Lock()
		a.stats.count(r.Status)
		a.mu.Unlock()
		return a
	}

	dims := m.dims[e]
	var cost [numMockDims]int64
	out := int64(0)
	switch e {
	case EndpointMessages, EndpointChat:
		out = call.MaxTokens
		if m.cfg.OutputTokens > 0 && m.cfg.OutputTokens < out {
			out = m.cfg.OutputTokens
		}
		cost[dimRequests] = 1
		cost[dimInput] = call.InputTokens
		cost[dimTokens] = call.InputTokens
		if m.res.accounting == AccountMaxTokens || m.res.accounting == AccountReserved {
			cost[dimOutput] = call.MaxTokens
			cost[dimTokens] += call.MaxTokens
		}
		r.InputTokens = call.InputTokens
	case EndpointCountTokens:
		cost[dimCountTokens] = 1
		r.InputTokens = call.InputTokens
	default:
		cost[dimRequests] = 1
	}

	if m.store != nil {
		m.handleStored(call, e, a, &cost, out, dr.jitter, r)
		return a
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	var decs [numMockDims]limiter.Decision
	ok, blamed, retryAfter, delay := a.admit(now, dims, &cost, &decs)
	if !ok {
		rd := dimRequests // every rejected attempt is one request (of its own limit for count_tokens)
		if e == EndpointCountTokens {
			rd = dimCountTokens
		}
		if m.cfg.CountRejected && m.res.dims[rd].on {
			a.charge(now, rd, 1)
			a.stats.dims[rd].units++
			retryAfter = max(retryAfter, a.retryAfter(now, rd, 1))
		}
		a.stats.dims[blamed].rejected++
		a.stats.count(429)
		r.Status = 429
		r.InputTokens = 0
		r.Exceeded = ratelimit.Requests
		if blamed < dimCountTokens {
			r.Exceeded = ratelimit.Dimension(blamed)
		}
		p := a.lim[blamed].Peek(now)
		r.ErrorType, r.Message = m.rateLimitError(e, blamed, call, cost[blamed], p, retryAfter)
		r.Cause, r.LimitName, r.LimitValue = CauseRateLimit, limitNames[blamed], m.res.dims[blamed].perMinute
		r.Used, r.Requested = max(m.res.dims[blamed].quota-p.Remaining, 0), cost[blamed]
		for _, d := range dims {
			a.header(now, &m.res, d, nil, &r.Limits)
		}
		r.Limits.RetryAfter, r.Limits.HasRetryAfter = retryAfter, true
		return a
	}
	for _, d := range dims {
		if a.adv[d] != nil {
			a.adv[d].Charge(now, cost[d])
		}
		a.stats.dims[d].admitted++
		a.stats.dims[d].units += cost[d]
	}
	if e == EndpointMessages || e == EndpointChat {
		r.OutputTokens = out
		m.generate(&dr, r)
		if m.res.accounting == AccountActual && out != 0 && call.DeferOutput && (!r.Gen.Instant() || r.Fault.Kind != FaultNone) {
			r.OutputDeferred = out
		} else {
			a.chargeOutput(now, m, call.MaxTokens, out, &decs)
		}
	}
	a.stats.count(200)
	r.Status = 200
	r.Delay = delay
	r.Latency = delay + m.serviceTime(dr.jitter)
	for _, d := range dims {
		a.header(now, &m.res, d, &decs[d], &r.Limits)
	}
	return a
}

// chargeAfter charges n units of dimension d (and of its shadow) after admission, debt allowed,
// and returns the limiter's state afterwards. When the units are there, Allow takes them exactly
// as Charge would and says the state in the same call.
func (a *account) chargeAfter(now time.Time, d mockDim, n int64) limiter.Decision {
	if a.adv[d] != nil {
		a.adv[d].Charge(now, n)
	}
	if n < 0 { // a refund (a settled reservation)
		a.lim[d].Charge(now, n)
		return a.lim[d].Peek(now)
	}
	if dec := a.lim[d].Allow(now, n); dec.Allowed {
		return dec
	}
	a.lim[d].Charge(now, n)
	return a.lim[d].Peek(now)
}

// serviceTime is Latency spread uniformly over ±LatencyJitter by u in [0,1), at least zero:
// latency + (2u−1)·jitter.
func (m *Ledger) serviceTime(u float64) time.Duration {
	d := m.cfg.Latency
	if j := m.cfg.LatencyJitter; j > 0 {
		d += time.Duration((2*u - 1) * float64(j))
	}
	return max(d, 0)
}

// admit decides a request costing cost[d] on every dimension in dims, atomically: each
// dimension is asked in order (requests, tokens, input, output) and takes its cost when it
// admits; when one refuses, the dimensions that took their cost get it back (Charge with a
// negative cost is an exact inverse at the same instant), so a refused request consumes nothing.
// On refusal it returns the refusing dimension and the longest retry-after among it and the
// dimensions after it (the earliest instant the whole request could pass); on admission, the
// decisions (post-admission header values) are in decs and delay is the longest queueing delay.
func (a *account) admit(now time.Time, dims []mockDim, cost *[numMockDims]int64, decs *[numMockDims]limiter.Decision) (ok bool, blamed mockDim, retryAfter, delay time.Duration) {
	for i, d := range dims {
		dec := a.lim[d].Allow(now, cost[d])
		if dec.Allowed {
			decs[d] = dec
			delay = max(delay, dec.Delay)
			continue
		}
		for _, t := range dims[:i] {
			a.lim[t].Charge(now, -cost[t])
		}
		retryAfter = dec.RetryAfter
		for _, rest := range dims[i+1:] {
			retryAfter = max(retryAfter, a.retryAfter(now, rest, cost[rest]))
		}
		return false, d, retryAfter, 0
	}
	return true, 0, 0, delay
}

// charge consumes n units of dimension d and of its advertised shadow.
func (a *account) charge(now time.Time, d mockDim, n int64) {
	a.lim[d].Charge(now, n)
	if a.adv[d] != nil {
		a.adv[d].Charge(now, n)
	}
}

// retryAfter is how long until dimension d could admit a request of cost n (0 if it can now).
func (a *account) retryAfter(now time.Time, d mockDim, n int64) time.Duration {
	if p := a.lim[d].Peek(now); p.Allowed && p.Remaining >= n {
		return 0
	}
	dec := a.lim[d].Allow(now, n)
	if dec.Allowed {
		a.lim[d].Charge(now, -n)
		return 0
	}
	return dec.RetryAfter
}

// header sets dimension d's header values in s: the limit, and the remaining quota and reset
// of the advertised limiter when there is one, else of the enforced one, taken from dec (the
// enforced limiter's latest decision) when given, else from a Peek. The limit is what the
// dialect means by it: the rate per minute in the anthropic and openai dialects (their limits
// are per minute, whatever window enforces them: 600 RPM over 10 s windows says 600, as
// Anthropic's "60 RPM may be enforced as 1 request per second"), the quota per window in the
// others, which state the window or leave it to the resets.
func (a *account) header(now time.Time, res *resolved, d mockDim, dec *limiter.Decision, s *ratelimit.Snapshot) {
	spec := &res.dims[d]
	var p limiter.Decision
	switch {
	case a.adv[d] != nil:
		spec, p = spec.advertise, a.adv[d].Peek(now)
	case dec != nil:
		p = *dec
	default:
		p = a.lim[d].Peek(now)
	}
	putHeader(spec, d, p, s)
}

// putHeader sets dimension d's header values in s from p, the state of the limiter spec
// describes.
func putHeader(spec *dimSpec, d mockDim, p limiter.Decision, s *ratelimit.Snapshot) {
	limit := spec.quota
	if s.Dialect == ratelimit.DialectAnthropic || s.Dialect == ratelimit.DialectOpenAI {
		limit = spec.perMinute
	}
	s.Dims[d.dimension()] = ratelimit.State{
		Limit:     limit,
		Remaining: max(p.Remaining, 0),
		Reset:     max(p.Reset, 0),
		Window:    spec.window,
		Flags:     ratelimit.HasLimit | ratelimit.HasRemaining | ratelimit.HasReset | ratelimit.HasWindow,
	}
}
