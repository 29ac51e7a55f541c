package redislimit

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ratelab/ratelab/internal/exact"
	"github.com/ratelab/ratelab/limiter"
)

// The decision script: exact arithmetic, the algorithms, the entry point. redis.Script sends
// it with EVALSHA and falls back to EVAL once per server (after a restart, say).
var (
	//go:embed lua/1_arith.lua
	luaArith string
	//go:embed lua/2_algorithms.lua
	luaAlgorithms string
	//go:embed lua/3_main.lua
	luaMain string

	decideScript = redis.NewScript(luaArith + luaAlgorithms + luaMain)
)

// MaxAmount bounds limits, bursts and costs (2^52): the script's doubles hold every amount and
// every instant in microseconds (until the year 2112) exactly below it. Costs beyond ±MaxAmount
// count as ±MaxAmount.
const MaxAmount = 1 << 52

// The script's algorithm codes.
const (
	codeTokenBucket   = "tb"
	codeGCRA          = "gcra"
	codeLeakyBucket   = "lb"
	codeFixedWindow   = "fw"
	codeSlidingWindow = "sw"
	codeSlidingLog    = "sl"
)

// op is what a slot does: the script's op codes.
type op int

const (
	opAllow  op = 1
	opCharge op = 2
	opTry    op = 3 // Allow without taking: Peek at a cost
)

// Limiter is one limiter whose state lives in Redis under one key. It is safe for concurrent
// use, and any number of Limiters (in any number of processes) with the same key and Config
// share one budget. Its methods mirror limiter.Limiter's, with a context, an error, and Redis's
// clock: Allow decides at Redis's current time; AllowAt at a given instant, for tests and for
// callers that keep virtual time (all callers of one key must then pass instants on one clock).
// A sliding log also uses the key Key()+":log"; with Redis Cluster the key needs a hash tag
// (Key's have one) so that both live on one node.
type Limiter struct {
	store *Store
	keys  []string // the state hash and the sliding log's list
	cfg   limiter.Config
	code  string
	p     [5]int64 // the script's p1..p5
	fp    string   // config fingerprint: state written under another config is discarded
}

// variant is what the script needs of the window variants: a fixed window opened by the first
// request (rolling, limiter.StartFirstRequest), and the sliding window counter's rounding terms
// (k2, f: the admission rule 2·prev·(W − elapsed) < (2·room + k2)·W + f of limiter.Config's
// Rounding).
type variant struct {
	rolling bool
	k2, f   int64
}

// variantOf returns the variant a completed config names.
func variantOf(c limiter.Config) variant {
	v := variant{rolling: c.Start == limiter.StartFirstRequest, k2: 2}
	switch c.Rounding {
	case limiter.RoundHalfUp:
		v.k2 = 1
	case limiter.RoundFractional:
		v.k2, v.f = 0, 1
	}
	return v
}

// Limiter returns the limiter of config c under key (see Key). c is validated and completed as
// limiter.New does (its Start and Rounding included); Redis's clock further requires a Window of
// whole microseconds, and Limit and Burst at most MaxAmount.
func (s *Store) Limiter(key string, c limiter.Config) (*Limiter, error) {
	in, err := limiter.New(c)
	if err != nil {
		return nil, err
	}
	return s.limiter(key, c, variantOf(in.Config()))
}

func (s *Store) limiter(key string, c limiter.Config, v variant) (*Limiter, error) {
	if key == "" {
		return nil, errors.New("redislimit: empty key (see Key)")
	}
	in, err := limiter.New(c)
	if err != nil {
		return nil, err
	}
	c = in.Config()
	if c.Window%time.Microsecond != 0 {
		return nil, fmt.Errorf("redislimit: Window %s is not a whole number of microseconds, Redis's clock resolution (e.g. %s)", c.Window, c.Window.Truncate(time.Microsecond)+time.Microsecond)
	}
	if c.Limit > MaxAmount || c.Burst > MaxAmount {
		return nil, fmt.Errorf("redislimit: Limit %d and Burst %d must be at most %d with the Redis store", c.Limit, c.Burst, int64(MaxAmount))
	}
	w := int64(c.Window / time.Microsecond)
	l := &Limiter{store: s, keys: []string{key, key + ":log"}, cfg: c}
	switch c.Algorithm {
	case limiter.TokenBucket:
		l.code, l.p = codeTokenBucket, [5]int64{c.Burst, c.Limit, w}
	case limiter.GCRA:
		q, r, ok := exact.MulDiv(uint64(c.Burst), uint64(w), uint64(c.Limit))
		if !ok || q >= MaxAmount {
			return nil, fmt.Errorf("redislimit: Burst %d at Limit %d per Window %s takes longer than the Redis store can represent: lower Burst or raise Limit", c.Burst, c.Limit, c.Window)
		}
		l.code, l.p = codeGCRA, [5]int64{c.Burst, c.Limit, w, int64(q), int64(r)}
	case limiter.LeakyBucket:
		l.code, l.p = codeLeakyBucket, [5]int64{c.Burst, c.Limit, w}
	case limiter.FixedWindow:
		l.code, l.p = codeFixedWindow, [5]int64{c.Limit, w}
		if v.rolling {
			l.p[2] = 1
		}
	case limiter.SlidingWindow:
		l.code, l.p = codeSlidingWindow, [5]int64{c.Limit, w, v.k2, v.f}
	default: // limiter.SlidingLog; limiter.New rejected the rest
		l.code, l.p = codeSlidingLog, [5]int64{c.Limit, w}
	}
	l.fp = fmt.Sprintf("v1/%s/%d/%d/%d/%d/%d", l.code, l.p[0], l.p[1], l.p[2], l.p[3], l.p[4])
	return l, nil
}

// Config returns the limiter's configuration with defaults filled in.
func (l *Limiter) Config() limiter.Config { return l.cfg }

// Key returns the limiter's Redis key.
func (l *Limiter) Key() string { return l.keys[0] }

// Allow decides, at Redis's current time, whether a request costing cost units is admitted,
// and takes the units when it is.
func (l *Limiter) Allow(ctx context.Context, cost int64) (limiter.Decision, error) {
	return l.one(ctx, nil, opAllow, cost)
}

// AllowAt is Allow at instant now (microsecond resolution) instead of Redis's time.
func (l *Limiter) AllowAt(ctx context.Context, now time.Time, cost int64) (limiter.Decision, error) {
	return l.one(ctx, &now, opAllow, cost)
}

// Charge takes cost units whether or not they are available (a negative cost refunds), as
// limiter.Limiter's Charge, and returns the state afterwards as Peek would.
func (l *Limiter) Charge(ctx context.Context, cost int64) (limiter.Decision, error) {
	return l.one(ctx, nil, opCharge, cost)
}

// ChargeAt is Charge at instant now.
func (l *Limiter) ChargeAt(ctx context.Context, now time.Time, cost int64) (limiter.Decision, error) {
	return l.one(ctx, &now, opCharge, cost)
}

// Peek returns the decision a zero-cost request would get now, without changing the state.
func (l *Limiter) Peek(ctx context.Context) (limiter.Decision, error) {
	return l.one(ctx, nil, opTry, 0)
}

// PeekAt is Peek at instant now.
func (l *Limiter) PeekAt(ctx context.Context, now time.Time) (limiter.Decision, error) {
	return l.one(ctx, &now, opTry, 0)
}

func (l *Limiter) one(ctx context.Context, now *time.Time, o op, cost int64) (limiter.Decision, error) {
	res, err := l.store.run(ctx, now, false, []slot{{l, o, cost}})
	if err != nil {
		return limiter.Decision{}, err
	}
	if o == opCharge {
		return res[0].state, nil
	}
	return res[0].decision, nil
}

// Request is one limiter's part of a request decided by AllowAll.
type Request struct {
	Limiter *Limiter
	Cost    int64
	// Charge makes this limiter count the cost when the others admit, without being asked
	// (as the mock's advertised shadow limiters are): it never refuses.
	Charge bool
}

// Outcome is AllowAll's answer.
type Outcome struct {
	// Admitted reports whether every limiter asked admitted its cost (and took it).
	Admitted bool
	// Refused is the index of the first request that did not fit, -1 when admitted.
	Refused int
	// Decisions[i] is request i's Allow decision: when admitted, the one that took its cost;
	// when refused, the one Allow would have given (RetryAfter > 0 on every limiter that
	// refuses), nothing having been taken. For a Charge request it is its state, as States[i].
	Decisions []limiter.Decision
	// States[i] is request i's limiter after the call, as Peek would report it: the header
	// values of a refused request.
	States []limiter.Decision
}

// AllowAll decides a request costing reqs[i].Cost on every reqs[i].Limiter atomically, at
// Redis's current time and in one round trip: either every limiter admits and takes its cost
// (and the Charge requests' limiters are charged), or none takes anything. The limiters' keys
// must differ.
func (s *Store) AllowAll(ctx context.Context, reqs []Request) (Outcome, error) {
	return s.allowAll(ctx, nil, reqs)
}

// AllowAllAt is AllowAll at instant now.
func (s *Store) AllowAllAt(ctx context.Context, now time.Time, reqs []Request) (Outcome, error) {
	return s.allowAll(ctx, &now, reqs)
}

func (s *Store) allowAll(ctx context.Context, now *time.Time, reqs []Request) (Outcome, error) {
	slots := make([]slot, len(reqs))
	seen := make(map[string]bool, len(reqs))
	for i, r := range reqs {
		if r.Limiter == nil || r.Limiter.store != s {
			return Outcome{}, fmt.Errorf("redislimit: AllowAll request %d: limiter not made by this store", i)
		}
		if seen[r.Limiter.Key()] {
			return Outcome{}, fmt.Errorf("redislimit: AllowAll: key %q appears twice", r.Limiter.Key())
		}
		seen[r.Limiter.Key()] = true
		slots[i] = slot{r.Limiter, opAllow, r.Cost}
		if r.Charge {
			slots[i].op = opCharge
		}
	}
	res, err := s.run(ctx, now, true, slots)
	if err != nil {
		return Outcome{}, err
	}
	out := Outcome{Admitted: true, Refused: -1, Decisions: make([]limiter.Decision, len(res)), States: make([]limiter.Decision, len(res))}
	for i, r := range res {
		out.Decisions[i], out.States[i] = r.decision, r.state
		if slots[i].op == opAllow && !r.rec.fits && out.Admitted {
			out.Admitted, out.Refused = false, i
		}
	}
	return out, nil
}

// slot is one limiter's part of a script call.
type slot struct {
	l    *Limiter
	op   op
	cost int64
}

// result is one slot's answer: the decision of its op (for a charge, the state after it), the
// state after the call, and the raw record (tests replay its instant and write count).
type result struct {
	decision, state limiter.Decision
	rec             record
}

// slotArgs is the number of script arguments per slot.
const slotArgs = 9

// run sends one script call: at Redis's time when now is nil, every slot allowing its cost
// (all or none) when all is set.
func (s *Store) run(ctx context.Context, now *time.Time, all bool, slots []slot) ([]result, error) {
	at := ""
	if now != nil {
		us := now.UnixMicro()
		if us < 0 || us > MaxAmount {
			return nil, fmt.Errorf("redislimit: instant %s outside the store's range (1970 to 2112)", now.Format(time.RFC3339))
		}
		at = strconv.FormatInt(us, 10)
	}
	mode := "each"
	if all {
		mode = "all"
	}
	keys := make([]string, 0, 2*len(slots))
	args := make([]any, 0, 3+slotArgs*len(slots))
	args = append(args, at, mode, s.opts.ExpiryMargin.Milliseconds())
	for _, sl := range slots {
		keys = append(keys, sl.l.keys...)
		cost := min(max(sl.cost, -MaxAmount), MaxAmount)
		args = append(args, int(sl.op), cost, sl.l.code, sl.l.fp, sl.l.p[0], sl.l.p[1], sl.l.p[2], sl.l.p[3], sl.l.p[4])
	}
	ctx, cancel := context.WithTimeout(ctx, s.opts.Timeout)
	defer cancel()
	vals, err := decideScript.Run(ctx, s.rdb, keys, args...).Int64Slice()
	if err = s.observe(ctx, err); err != nil {
		return nil, err
	}
	if len(vals) != slotArgs*len(slots) {
		return nil, fmt.Errorf("redislimit: the script answered %d values for %d limiters", len(vals), len(slots))
	}
	out := make([]result, len(slots))
	for i, sl := range slots {
		v := vals[slotArgs*i:]
		r := record{t: v[0], n: v[1], fits: v[2] == 1, taken: v[3] == 1, a: v[4], b: v[5], c: v[6], x: v[7]}
		res, err := sl.l.decode(sl.op, max(min(sl.cost, MaxAmount), 0), r)
		if err != nil {
			return nil, err
		}
		out[i] = res
	}
	return out, nil
}

// decode turns a slot's record into decisions: the op's (from the state before it, for allow
// and try) and the state after it.
func (l *Limiter) decode(o op, cost int64, r record) (result, error) {
	res := result{rec: r}
	if o == opCharge {
		res.state, _ = l.stateOf(r, r.x).decide(0)
		res.decision = res.state
		return res, nil
	}
	d, post := l.stateOf(r, r.c).decide(cost)
	if d.Allowed != r.fits {
		return res, fmt.Errorf("redislimit: %s at %s: the script and the decoder disagree on a cost of %d (script: fits=%t) — a bug", l.code, l.keys[0], cost, r.fits)
	}
	if !r.taken {
		post = l.stateOf(r, r.x)
	}
	res.decision = d
	res.state, _ = post.decide(0)
	return res, nil
}
