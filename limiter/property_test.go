package limiter

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// Property tests: random request sequences from fixed seeds, checked against what each
// algorithm guarantees. Magnitudes are kept small (Limit <= 40, Window <= 2 min) so that the
// checks' own int64 arithmetic is exact.

const (
	sequences = 150 // per algorithm and property
	events    = 300 // per sequence
)

// event is one call of a generated sequence.
type event struct {
	at   time.Time
	op   op
	cost int64
}

// seqOptions shapes a generated sequence.
type seqOptions struct {
	unitCost  bool // every cost is 1
	charges   bool // mix in Charge (positive and negative) and Peek
	backwards bool // sometimes pass an earlier instant than the last
}

// randomConfig draws a config for algorithm a.
func randomConfig(rng *rand.Rand, a Algorithm) Config {
	windows := []time.Duration{time.Second, 10 * time.Second, time.Minute, 7*time.Second + 123, time.Duration(1 + rng.Int64N(int64(2*time.Minute)))}
	c := Config{Algorithm: a, Limit: 1 + rng.Int64N(40), Window: windows[rng.IntN(len(windows))]}
	if rng.IntN(3) > 0 {
		c.Burst = 1 + rng.Int64N(3*c.Limit)
	}
	c.NoDelay = rng.IntN(2) == 0
	c.Start = WindowStarts[rng.IntN(len(WindowStarts))]
	c.Rounding = CounterRoundings[rng.IntN(len(CounterRoundings))]
	return c
}

// randomSequence draws n events for a limiter with config c (defaults filled in). Gaps mix
// simultaneous requests, gaps around the mean interval Window/Limit, and idle stretches.
func randomSequence(rng *rand.Rand, c Config, n int, o seqOptions) []event {
	interval := int64(c.Window) / c.Limit
	capacity := max(c.Burst, c.Limit)
	at := t0.Add(time.Duration(rng.Int64N(int64(c.Window)))) // any phase of the window
	seq := make([]event, 0, n)
	for range n {
		switch r := rng.IntN(100); {
		case r < 25: // simultaneous
		case r < 80:
			at = at.Add(time.Duration(rng.Int64N(2*interval + 1)))
		case r < 95:
			at = at.Add(time.Duration(rng.Int64N(int64(c.Window) + 1)))
		default:
			at = at.Add(time.Duration(rng.Int64N(3*int64(c.Window) + 1)))
		}
		e := event{at: at, op: allow, cost: 1}
		if o.backwards && rng.IntN(20) == 0 {
			e.at = at.Add(-time.Duration(rng.Int64N(int64(c.Window) + 1)))
		}
		if !o.unitCost {
			switch r := rng.IntN(20); {
			case r == 0:
				e.cost = 0
			case r == 1:
				e.cost = capacity + 1 + rng.Int64N(3) // can never pass (except leaky-bucket)
			default:
				e.cost = 1 + rng.Int64N(min(capacity, 8))
			}
		}
		if o.charges {
			switch r := rng.IntN(10); {
			case r == 0:
				e.op, e.cost = charge, rng.Int64N(2*capacity+1)
			case r == 1:
				e.op, e.cost = charge, -rng.Int64N(2*capacity+1)
			case r == 2:
				e.op = peek
			}
		}
		seq = append(seq, e)
	}
	return seq
}

// clone deep-copies a limiter's state.
func clone(l Limiter) Limiter {
	switch x := l.(type) {
	case *tokenBucket:
		return copyOf(x)
	case *gcra:
		return copyOf(x)
	case *leakyBucket:
		return copyOf(x)
	case *fixedWindow:
		return copyOf(x)
	case *slidingLog:
		c := copyOf(x)
		c.ring = slices.Clone(x.ring)
		return c
	case *slidingWindow:
		return copyOf(x)
	}
	panic(fmt.Sprintf("clone: unknown limiter %T", l))
}

// copyOf returns a pointer to a copy of *x: the whole state of a limiter without slices.
func copyOf[T any](x *T) *T {
	c := *x
	return &c
}

// headerLimit is the Limit every decision of a limiter with config c carries.
func headerLimit(c Config) int64 {
	switch c.Algorithm {
	case TokenBucket, GCRA:
		return c.Burst
	case LeakyBucket:
		return min(c.Burst, math.MaxInt64-1) + 1
	}
	return c.Limit
}

// canEverPass reports whether a request of this cost can be admitted at all.
func canEverPass(c Config, cost int64) bool {
	switch c.Algorithm {
	case TokenBucket, GCRA:
		return cost <= c.Burst
	case LeakyBucket:
		return true
	}
	return cost <= c.Limit
}

// admission is an admitted request: its effective instant, cost and decision.
type admission struct {
	at   int64
	cost int64
	d    Decision
}

// forEachSequence runs f on sequences of every algorithm in algs, each from its own seed.
func forEachSequence(t *testing.T, algs []Algorithm, o seqOptions, f func(t *testing.T, c Config, seq []event)) {
	t.Helper()
	for _, a := range algs {
		t.Run(string(a), func(t *testing.T) {
			for seed := range uint64(sequences) {
				rng := rand.New(rand.NewPCG(seed, uint64(len(a))))
				l, err := New(randomConfig(rng, a))
				require.NoError(t, err)
				c := l.Config()
				seq := randomSequence(rng, c, events, o)
				t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) { f(t, c, seq) })
				if t.Failed() {
					t.Logf("config %+v", c)
					return
				}
			}
		})
	}
}

// TestPropertyDecisionInvariants checks, for every algorithm over sequences with charges,
// refunds, peeks and instants going backwards: Remaining in [0, Limit]; RetryAfter > 0 exactly
// when denied; Delay only from a delaying leaky bucket; Peek equals a zero-cost Allow and
// changes nothing; and a denied request that can ever pass is admitted when retried exactly at
// now+RetryAfter and still denied a nanosecond earlier.
func TestPropertyDecisionInvariants(t *testing.T) {
	forEachSequence(t, Algorithms, seqOptions{charges: true, backwards: true}, func(t *testing.T, c Config, seq []event) {
		l, err := New(c)
		require.NoError(t, err)
		twin, err := New(c) // never peeked
		require.NoError(t, err)
		var last int64 = unset
		for i, e := range seq {
			if e.op == peek { // Peek records nothing, not even the instant
				if want, got := clone(l).Allow(e.at, 0), l.Peek(e.at); got != want {
					t.Fatalf("event %d: Peek %+v differs from a zero-cost Allow %+v", i, got, want)
				}
				continue
			}
			at := max(e.at.UnixNano(), last) // the instant the limiter uses
			last = at
			now := time.Unix(0, at)
			if e.op == charge {
				l.Charge(e.at, e.cost)
				twin.Charge(e.at, e.cost)
				continue
			}
			d := l.Allow(e.at, e.cost)
			if other := twin.Allow(e.at, e.cost); other != d {
				t.Fatalf("event %d: a Peek changed the state: %+v, never peeked %+v", i, d, other)
			}
			if msg := invariantViolation(c, d); msg != "" {
				t.Fatalf("event %d: Allow(cost %d) = %+v: %s", i, e.cost, d, msg)
			}
			if d.Allowed || !canEverPass(c, e.cost) {
				continue
			}
			retry := now.Add(d.RetryAfter)
			if !clone(l).Allow(retry, e.cost).Allowed {
				t.Fatalf("event %d: cost %d denied at now+RetryAfter (%s)", i, e.cost, d.RetryAfter)
			}
			if clone(l).Allow(retry.Add(-1), e.cost).Allowed {
				t.Fatalf("event %d: cost %d admitted 1ns before now+RetryAfter (%s)", i, e.cost, d.RetryAfter)
			}
		}
	})
}

// invariantViolation says what is wrong with a decision of a limiter with config c, or "".
func invariantViolation(c Config, d Decision) string {
	switch {
	case d.Limit != headerLimit(c):
		return fmt.Sprintf("Limit should be %d", headerLimit(c))
	case d.Remaining < 0 || d.Remaining > d.Limit:
		return "Remaining outside [0, Limit]"
	case d.Reset < 0:
		return "negative Reset"
	case d.Allowed == (d.RetryAfter > 0) || d.RetryAfter < 0:
		return "RetryAfter should be > 0 exactly when denied"
	case d.Delay < 0:
		return "negative Delay"
	case d.Delay > 0 && (!d.Allowed || c.Algorithm != LeakyBucket || c.NoDelay):
		return "only an admission by a delaying leaky bucket has a Delay"
	}
	return ""
}

// run feeds a forward-only, Allow-only sequence to a fresh limiter and returns the admissions.
func run(t *testing.T, c Config, seq []event) []admission {
	t.Helper()
	l, err := New(c)
	require.NoError(t, err)
	var adm []admission
	for _, e := range seq {
		if d := l.Allow(e.at, e.cost); d.Allowed {
			adm = append(adm, admission{e.at.UnixNano(), e.cost, d})
		}
	}
	return adm
}

// prefix returns p with p[i] = total cost of adm[:i].
func prefix(adm []admission) []int64 {
	p := make([]int64, len(adm)+1)
	for i, a := range adm {
		p[i+1] = p[i] + a.cost
	}
	return p
}

// TestPropertyBucketBound: over every interval [t_i, t_j] between two admissions, a token
// bucket or GCRA admits at most Burst + r·(t_j − t_i) units, r = Limit/Window.
func TestPropertyBucketBound(t *testing.T) {
	for _, o := range []seqOptions{{unitCost: true}, {}} {
		forEachSequence(t, []Algorithm{TokenBucket, GCRA}, o, func(t *testing.T, c Config, seq []event) {
			adm := run(t, c, seq)
			p := prefix(adm)
			W, L := int64(c.Window), c.Limit
			for i := range adm {
				for j := i; j < len(adm); j++ {
					// units <= Burst + L·Δt/W
					if units := p[j+1] - p[i]; (units-c.Burst)*W > L*(adm[j].at-adm[i].at) {
						t.Fatalf("%d units admitted in [%d, %d]", units, adm[i].at, adm[j].at)
					}
				}
			}
		})
	}
}

// TestPropertyGCRAEqualsTokenBucket: with whole costs, GCRA and the token bucket of the same
// capacity and rate make exactly the same decisions, header values included, also under
// charges, refunds, peeks and instants going backwards.
func TestPropertyGCRAEqualsTokenBucket(t *testing.T) {
	forEachSequence(t, []Algorithm{GCRA}, seqOptions{charges: true, backwards: true}, func(t *testing.T, c Config, seq []event) {
		g, err := New(c)
		require.NoError(t, err)
		c.Algorithm = TokenBucket
		b, err := New(c)
		require.NoError(t, err)
		for i, e := range seq {
			switch e.op {
			case allow:
				require.Equal(t, b.Allow(e.at, e.cost), g.Allow(e.at, e.cost), "event %d: Allow(%d)", i, e.cost)
			case peek:
				require.Equal(t, b.Peek(e.at), g.Peek(e.at), "event %d: Peek", i)
			case charge:
				b.Charge(e.at, e.cost)
				g.Charge(e.at, e.cost)
			}
		}
	})
}

// TestPropertyLeakyBucketBounds: with r = Limit/Window,
//   - arrivals: admitted units in [t_i, t_j] minus the last one's cost are at most
//     Burst + r·(t_j − t_i) (for unit costs: at most 1 + Burst + r·T requests in any interval
//     of length T), with or without NoDelay;
//   - with delay, requests are served (at now+Delay) in arrival order and at the rate: the
//     units served from s_i up to before s_j are at most r·(s_j − s_i) (for unit costs: at most
//     1 + r·T service starts in any interval of length T), give or take the nanosecond Delay is
//     rounded up by; and no Delay exceeds Burst/r;
//   - with NoDelay, Delay is always zero.
func TestPropertyLeakyBucketBounds(t *testing.T) {
	for _, o := range []seqOptions{{unitCost: true}, {}} {
		forEachSequence(t, []Algorithm{LeakyBucket}, o, func(t *testing.T, c Config, seq []event) {
			adm := run(t, c, seq)
			p := prefix(adm)
			W, L := int64(c.Window), c.Limit
			maxDelay := ceilDivInt(c.Burst*W, L)
			served := make([]int64, len(adm))
			for i, a := range adm {
				served[i] = a.at + int64(a.d.Delay)
				if c.NoDelay {
					require.Zero(t, a.d.Delay)
				}
				require.LessOrEqual(t, int64(a.d.Delay), maxDelay)
				if i > 0 {
					require.GreaterOrEqual(t, served[i], served[i-1], "service out of order")
				}
			}
			for i := range adm {
				for j := i + 1; j < len(adm); j++ {
					before := p[j] - p[i] // units of adm[i:j], the last one excluded
					if (before-c.Burst)*W > L*(adm[j].at-adm[i].at) {
						t.Fatalf("arrivals: %d units before %d in [%d, %d]", before, j, adm[i].at, adm[j].at)
					}
					if !c.NoDelay && before*W > L*(served[j]-served[i]+1) {
						t.Fatalf("service: %d units served in [%d, %d)", before, served[i], served[j])
					}
				}
			}
		})
	}
}

func ceilDivInt(a, b int64) int64 { return (a + b - 1) / b }

// TestPropertyFixedWindowBound: at most Limit units per epoch-aligned window; for windows
// opened by the first request, exactly the decisions of a window opened by the first request
// at or after the previous one's end (a reference written independently of the limiter).
func TestPropertyFixedWindowBound(t *testing.T) {
	forEachSequence(t, []Algorithm{FixedWindow}, seqOptions{}, func(t *testing.T, c Config, seq []event) {
		if c.Start == StartFirstRequest {
			l, err := New(c)
			require.NoError(t, err)
			var start, count int64 = unset, 0
			for i, e := range seq {
				at := e.at.UnixNano()
				if start == unset || at >= start+int64(c.Window) {
					start, count = at, 0
				}
				want := count+e.cost <= c.Limit
				if want {
					count += e.cost
				}
				require.Equal(t, want, l.Allow(e.at, e.cost).Allowed, "event %d at %d, window from %d", i, at, start)
			}
			return
		}
		perWindow := map[int64]int64{}
		for _, a := range run(t, c, seq) {
			w := alignDown(a.at, int64(c.Window))
			perWindow[w] += a.cost
			require.LessOrEqual(t, perWindow[w], c.Limit, "window starting %d", w)
		}
	})
}

// TestPropertySlidingLogBound: at most Limit units in any window (t − Window, t]; it is enough
// to check the windows ending at an admission, where the count can only have grown.
func TestPropertySlidingLogBound(t *testing.T) {
	forEachSequence(t, []Algorithm{SlidingLog}, seqOptions{}, func(t *testing.T, c Config, seq []event) {
		adm := run(t, c, seq)
		p := prefix(adm)
		W := int64(c.Window)
		lo := 0
		for j := range adm {
			for adm[lo].at <= adm[j].at-W {
				lo++
			}
			require.LessOrEqual(t, p[j+1]-p[lo], c.Limit, "window ending %d", adm[j].at)
		}
	})
}

// TestPropertySlidingWindowBounds: the counter is approximate; what holds is at most Limit per
// aligned window, and in any window (t − Window, t] at most Limit + a·e/Window + 1 units, where
// e is t's offset in its aligned window and a the units admitted in the covered tail of the
// previous aligned window (the +1: the previous window's share is counted whole), hence always
// at most 2·Limit.
func TestPropertySlidingWindowBounds(t *testing.T) {
	forEachSequence(t, []Algorithm{SlidingWindow}, seqOptions{}, func(t *testing.T, c Config, seq []event) {
		adm := run(t, c, seq)
		W, L := int64(c.Window), c.Limit
		perWindow := map[int64]int64{}
		for _, a := range adm {
			w := alignDown(a.at, W)
			perWindow[w] += a.cost
			require.LessOrEqual(t, perWindow[w], L, "aligned window starting %d", w)
		}
		for _, end := range adm {
			start := alignDown(end.at, W)
			var tail, head int64 // a: in (end − W, start); b: in [start, end]
			for _, x := range adm {
				switch {
				case x.at > end.at-W && x.at < start:
					tail += x.cost
				case x.at >= start && x.at <= end.at:
					head += x.cost
				}
			}
			if e := end.at - start; (tail+head-L-1)*W > tail*e || tail+head > 2*L {
				t.Fatalf("window ending %d: %d + %d units, e=%d", end.at, tail, head, e)
			}
		}
	})
}
