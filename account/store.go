package account

import (
	"context"
	"errors"
	"time"

	"github.com/ratelab/ratelab/limiter"
	"github.com/ratelab/ratelab/ratelimit"
)

// Store keeps accounts' limiter state outside the process, in a store that any number of
// ledgers share (limiter/redislimit over Redis, wired by the command), so that mock replicas
// behind a load balancer enforce one budget per key. The store's clock decides: the instants
// passed to Handle are not used for limiting. Implementations are safe for concurrent use.
type Store interface {
	// Check reports whether the store can run limiter config c (nil when it can).
	Check(c limiter.Config) error
	// Decide decides reqs together, in one round trip: either every request that is not a
	// Charge admits its cost and takes it, and every Charge is counted, or nothing is taken.
	// An error means the store could not decide (Redis unavailable): nothing is known taken.
	Decide(ctx context.Context, reqs []StoreRequest) (StoreOutcome, error)
}

// StoreRequest is one limit's part of a decision.
type StoreRequest struct {
	// Account is the API key (the store hashes it).
	Account string
	// Limit names the account's limit: its dimension ("requests", "input_tokens", …), with
	// ".advertise" for an advertised shadow. Further qualifiers (a model class) extend the name.
	Limit  string
	Config limiter.Config
	Cost   int64
	// Charge counts Cost without asking: it never refuses.
	Charge bool
}

// StoreOutcome is a Store's decision.
type StoreOutcome struct {
	Admitted bool
	// Refused is the index of the first request that did not fit, -1 when admitted.
	Refused int
	// Decisions[i] is request i's decision (for a refusal, the one it would get, nothing
	// taken); States[i] its limiter afterwards, as Peek reports it.
	Decisions, States []limiter.Decision
}

// StoreOptions configures a ledger's use of a Store.
type StoreOptions struct {
	// FailOpen admits every request (without rate-limit headers) while the store is
	// unavailable, instead of answering 503.
	FailOpen bool
	// Timeout bounds each decision (the store's own bound applies too); 0 means none.
	Timeout time.Duration
}

// StatusUnavailable is the status of a reply made while the store could not decide.
const StatusUnavailable = 503

var unavailableWording = wording{
	{"api_error", ""}, {"server_error", ""}, {"service-unavailable", ""},
}

// UseStore makes the ledger keep its limiters in s instead of in memory. Call it before the
// first Handle. It fails when s cannot run one of the configured limits.
func (m *Ledger) UseStore(s Store, o StoreOptions) error {
	for d := range numMockDims {
		spec := &m.res.dims[d]
		if !spec.on {
			continue
		}
		if err := s.Check(spec.limiter); err != nil {
			return &FieldError{Field: "limits." + d.String(), Msg: err.Error()}
		}
		if spec.advertise != nil {
			if err := s.Check(spec.advertise.limiter); err != nil {
				return &FieldError{Field: "limits." + d.String() + ".advertise", Msg: err.Error()}
			}
		}
	}
	m.store, m.storeOpts = s, o
	return nil
}

// storeSlots is where a dimension's limits sit in a decision's requests: the enforced limit
// and its advertised shadow (-1 when none).
type storeSlots struct{ lim, adv [numMockDims]int }

// storeRequests appends the requests deciding cost[d] on every dimension in dims.
func (m *Ledger) storeRequests(reqs []StoreRequest, key string, dims []mockDim, cost *[numMockDims]int64, charge bool, at *storeSlots) []StoreRequest {
	for _, d := range dims {
		spec := &m.res.dims[d]
		at.lim[d], at.adv[d] = len(reqs), -1
		reqs = append(reqs, StoreRequest{Account: key, Limit: d.String(), Config: spec.limiter, Cost: cost[d], Charge: charge})
		if spec.advertise != nil {
			at.adv[d] = len(reqs)
			reqs = append(reqs, StoreRequest{Account: key, Limit: d.String() + ".advertise", Config: spec.advertise.limiter, Cost: cost[d], Charge: true})
		}
	}
	return reqs
}

func (m *Ledger) decide(reqs []StoreRequest) (StoreOutcome, error) {
	ctx := context.Background()
	if m.storeOpts.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, m.storeOpts.Timeout)
		defer cancel()
	}
	out, err := m.store.Decide(ctx, reqs)
	if err == nil && len(out.Decisions) != len(reqs) {
		err = errors.New("the store answered for another number of limits")
	}
	return out, err
}

// handleStored is handle's admission through the store: the call's costs are decided in one
// round trip (a second one charges output tokens after the fact, and a refused request's one
// unit with CountRejected).
func (m *Ledger) handleStored(call *Call, e Endpoint, a *account, cost *[numMockDims]int64, out int64, jitter float64, r *Reply) {
	dims := m.dims[e]
	var at storeSlots
	reqs := m.storeRequests(make([]StoreRequest, 0, 2*len(dims)), call.Key, dims, cost, false, &at)
	res, err := m.decide(reqs)
	if err != nil {
		m.storeFailed(e, a, err, out, jitter, r)
		return
	}
	if !res.Admitted {
		blamed := dims[0]
		for _, d := range dims {
			if at.lim[d] == res.Refused {
				blamed = d
			}
		}
		var retryAfter time.Duration
		for _, d := range dims {
			retryAfter = max(retryAfter, res.Decisions[at.lim[d]].RetryAfter)
		}
		rd := dimRequests
		if e == EndpointCountTokens {
			rd = dimCountTokens
		}
		if m.cfg.CountRejected && m.res.dims[rd].on {
			var one [numMockDims]int64
			one[rd] = 1
			var cat storeSlots
			if cres, err := m.decide(m.storeRequests(nil, call.Key, []mockDim{rd}, &one, true, &cat)); err == nil {
				res.States[at.lim[rd]] = cres.States[cat.lim[rd]]
				if cat.adv[rd] >= 0 {
					res.States[at.adv[rd]] = cres.States[cat.adv[rd]]
				}
				a.mu.Lock()
				a.stats.dims[rd].units++
				a.mu.Unlock()
			}
		}
		a.mu.Lock()
		a.stats.dims[blamed].rejected++
		a.stats.count(429)
		a.mu.Unlock()
		r.Status, r.InputTokens, r.Exceeded = 429, 0, blamed.dimension()
		r.ErrorType, r.Message = m.rateLimitError(e, blamed, call, cost[blamed], res.States[at.lim[blamed]], retryAfter)
		for _, d := range dims {
			m.storedHeader(d, &at, res.States, res.States, &r.Limits)
		}
		r.Limits.RetryAfter, r.Limits.HasRetryAfter = retryAfter, true
		return
	}
	var delay time.Duration
	for _, d := range dims {
		delay = max(delay, res.Decisions[at.lim[d]].Delay)
	}
	if (e == EndpointMessages || e == EndpointChat) && m.res.accounting == AccountActual && out != 0 {
		var after []mockDim
		for _, d := range [2]mockDim{dimOutput, dimTokens} {
			if m.res.dims[d].on {
				after = append(after, d)
			}
		}
		if len(after) > 0 {
			outs := [numMockDims]int64{dimOutput: out, dimTokens: out}
			var cat storeSlots
			if cres, err := m.decide(m.storeRequests(nil, call.Key, after, &outs, true, &cat)); err == nil {
				for _, d := range after {
					res.Decisions[at.lim[d]] = cres.States[cat.lim[d]]
					if cat.adv[d] >= 0 {
						res.States[at.adv[d]] = cres.States[cat.adv[d]]
					}
				}
			}
		}
	}
	a.mu.Lock()
	for _, d := range dims {
		a.stats.dims[d].admitted++
		a.stats.dims[d].units += cost[d]
	}
	if e == EndpointMessages || e == EndpointChat {
		r.OutputTokens = out
		if m.res.accounting == AccountActual && out != 0 {
			for _, d := range [2]mockDim{dimOutput, dimTokens} {
				if m.res.dims[d].on {
					a.stats.dims[d].units += out
				}
			}
		}
	}
	a.stats.count(200)
	a.mu.Unlock()
	r.Status, r.Delay = 200, delay
	r.Latency = delay + m.serviceTime(jitter)
	for _, d := range dims {
		m.storedHeader(d, &at, res.Decisions, res.States, &r.Limits)
	}
}

// storedHeader sets dimension d's header values from a decision: its advertised shadow's state
// when it has one, else the enforced limit's entry of decs.
func (m *Ledger) storedHeader(d mockDim, at *storeSlots, decs, states []limiter.Decision, s *ratelimit.Snapshot) {
	spec := &m.res.dims[d]
	p := decs[at.lim[d]]
	if at.adv[d] >= 0 {
		spec, p = spec.advertise, states[at.adv[d]]
	}
	putHeader(spec, d, p, s)
}

// storeFailed answers a call the store could not decide: 503 with a body saying so, or, with
// FailOpen, an admission without rate-limit headers.
func (m *Ledger) storeFailed(e Endpoint, a *account, err error, out int64, jitter float64, r *Reply) {
	r.StoreError = err
	if m.storeOpts.FailOpen {
		a.mu.Lock()
		a.stats.count(200)
		a.mu.Unlock()
		r.Status = 200
		if e == EndpointMessages || e == EndpointChat {
			r.OutputTokens = out
		}
		r.Latency = m.serviceTime(jitter)
		return
	}
	a.mu.Lock()
	a.stats.count(StatusUnavailable)
	a.mu.Unlock()
	typ, _ := unavailableWording.of(e)
	r.Status, r.ErrorType, r.InputTokens = StatusUnavailable, typ, 0
	r.Message = "The ratelab mock's shared rate-limit store is unavailable, so this request was neither admitted nor refused (" +
		err.Error() + "). Retry shortly; the mock recovers by itself when the store returns (start it with --store-fail-open to admit requests meanwhile)."
}

// dimension is the rate-limit dimension a 429 on d reports (count_tokens reports Requests).
func (d mockDim) dimension() ratelimit.Dimension {
	if d < dimCountTokens {
		return ratelimit.Dimension(d)
	}
	return ratelimit.Requests
}
