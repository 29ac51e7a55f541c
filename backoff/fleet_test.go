package backoff

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ratelab/ratelab/internal/testcheck"
	"github.com/ratelab/ratelab/ratelimit"
)

// This file drives whole fleets of policies against a toy token bucket in virtual time: a small
// discrete-event loop that follows the driver contract of probe.Flow (Before re-asked after every
// wait, After after every attempt), with no engine and no sockets.

// toyBucket is a token bucket of capacity burst refilling at rate per second, answering with
// Anthropic-style headers: limit = the per-minute quota, remaining = ⌊tokens⌋, reset = when it is
// fully replenished as an RFC 3339 instant with whole seconds (read against a whole-second Date),
// and an integer retry-after on a 429.
type toyBucket struct {
	rate, burst float64
	tokens      float64
	last        time.Time
	limit       int64 // the limit header: the per-minute quota, or the capacity
	dialect     ratelimit.Dialect
	exactReset  bool // reset to the nanosecond (ResetDuration) instead of whole seconds
}

func (b *toyBucket) admit(now time.Time) (int, *ratelimit.Snapshot) {
	b.tokens = min(b.burst, b.tokens+b.rate*now.Sub(b.last).Seconds())
	b.last = now
	status := 200
	s := &ratelimit.Snapshot{Dialect: b.dialect}
	if b.tokens >= 1 {
		b.tokens--
	} else {
		status = 429
		s.HasRetryAfter = true
		s.RetryAfter = time.Duration(math.Ceil((1-b.tokens)/b.rate)) * time.Second
	}
	full := now.Add(time.Duration((b.burst - b.tokens) / b.rate * float64(time.Second)))
	s.Dims[ratelimit.Requests] = ratelimit.State{
		Limit: b.limit, Remaining: int64(b.tokens),
		Reset:     full.Truncate(time.Second).Sub(now.Truncate(time.Second)),
		ResetKind: ratelimit.ResetRFC3339,
		Flags:     ratelimit.HasLimit | ratelimit.HasRemaining | ratelimit.HasReset,
	}
	if b.exactReset {
		s.Dims[ratelimit.Requests].Reset = full.Sub(now)
		s.Dims[ratelimit.Requests].ResetKind = ratelimit.ResetDuration
	}
	return status, s
}

type toyConfig struct {
	clients, requests int
	rate, burst       float64       // bucket
	latency, jitter   time.Duration // response time = latency + U(0, jitter)
	transit           time.Duration // send → server decision
	seed              int64
	limitIsBurst      bool // the limit header advertises the bucket's capacity, not its quota
	dialect           ratelimit.Dialect
	exactReset        bool
}

type toyResult struct {
	attempts, limited, succeeded, failed int
	makespan                             time.Duration
	peakPerSecond                        int // most attempts sent in one aligned second
	peakRetries                          int // most retries (attempt > 1) sent in one aligned 10 ms
	befores                              int // calls of Before
}

type toyEvent struct {
	at     time.Time
	order  int // tie-break: scheduling order, so equal instants run deterministically
	client int
	kind   int // 0 ask Before, 1 server decision, 2 response
	status int
	limits *ratelimit.Snapshot
	sent   time.Time
}

// toyBefore orders the toy's events by instant, then by scheduling order.
func toyBefore(a, b toyEvent) bool {
	if !a.at.Equal(b.at) {
		return a.at.Before(b.at)
	}
	return a.order < b.order
}

func runToy(t *testing.T, spec string, cfg toyConfig) toyResult {
	t.Helper()
	s, err := Resolve(spec)
	require.NoError(t, err)
	fleet := s.NewFleet(cfg.seed)
	bucket := &toyBucket{rate: cfg.rate, burst: cfg.burst, tokens: cfg.burst, last: t0, limit: int64(cfg.rate * 60)}
	if cfg.limitIsBurst {
		bucket.limit = int64(cfg.burst)
	}
	bucket.dialect, bucket.exactReset = cfg.dialect, cfg.exactReset
	lat := rand.New(rand.NewPCG(uint64(cfg.seed), 99))

	type client struct {
		p        Policy
		done     int // requests finished
		attempts int // attempts of the current request
		started  time.Time
	}
	cs := make([]*client, cfg.clients)
	q := testcheck.NewQueue(toyBefore)
	order := 0
	push := func(e toyEvent) { order++; e.order = order; q.Push(e) }
	for i := range cs {
		cs[i] = &client{p: fleet.Client(i), started: t0}
		push(toyEvent{at: t0, client: i})
	}
	var res toyResult
	perSecond, per10ms := map[int64]int{}, map[int64]int{}
	after := func(now time.Time, c *client, i int, o Outcome) {
		d := c.p.After(now, o)
		if o.Succeeded() || !d.Retry {
			if o.Succeeded() {
				res.succeeded++
			} else {
				res.failed++
			}
			res.makespan = max(res.makespan, now.Sub(t0))
			c.done++
			c.attempts = 0
			c.started = now
			if c.done < cfg.requests {
				push(toyEvent{at: now, client: i})
			}
			return
		}
		push(toyEvent{at: now.Add(d.Wait), client: i})
	}
	for steps := 0; q.Len() > 0; steps++ {
		if steps >= 50_000_000 {
			t.Fatal("runaway simulation")
		}
		e := q.Pop()
		c := cs[e.client]
		switch e.kind {
		case 0:
			g := c.p.Before(e.at, c.attempts+1)
			res.befores++
			switch {
			case g.Reject:
				c.attempts++
				after(e.at, c, e.client, Outcome{Attempt: c.attempts, ClientRejected: true,
					Limits: &ratelimit.Snapshot{}, Started: c.started, Sent: e.at})
			case g.Wait > 0:
				push(toyEvent{at: e.at.Add(g.Wait), client: e.client})
			default:
				c.attempts++
				res.attempts++
				perSecond[e.at.Sub(t0).Milliseconds()/1000]++
				if c.attempts > 1 {
					per10ms[e.at.Sub(t0).Milliseconds()/10]++
				}
				push(toyEvent{at: e.at.Add(cfg.transit), client: e.client, kind: 1, sent: e.at})
			}
		case 1:
			status, limits := bucket.admit(e.at)
			if status == 429 {
				res.limited++
			}
			l := cfg.latency + time.Duration(lat.Float64()*float64(cfg.jitter))
			push(toyEvent{at: e.sent.Add(max(l, cfg.transit)), client: e.client, kind: 2, status: status, limits: limits, sent: e.sent})
		case 2:
			after(e.at, c, e.client, Outcome{Attempt: c.attempts, Status: e.status, Limits: e.limits,
				Started: c.started, Sent: e.sent, Latency: e.at.Sub(e.sent)})
		}
	}
	for _, n := range perSecond {
		res.peakPerSecond = max(res.peakPerSecond, n)
	}
	for _, n := range per10ms {
		res.peakRetries = max(res.peakRetries, n)
	}
	return res
}

// The contract check's workload: 50 clients × 10 requests against 600 RPM with burst 10.
var contractToy = toyConfig{clients: 50, requests: 10, rate: 10, burst: 10,
	latency: 80 * time.Millisecond, jitter: 40 * time.Millisecond, transit: 5 * time.Millisecond, seed: 11,
	dialect: ratelimit.DialectAnthropic}

func TestFleetPacingKeeps429sRare(t *testing.T) {
	for _, spec := range []string{"header-pacing", "client-limiter(rpm=600,burst=10)"} {
		t.Run(spec, func(t *testing.T) {
			for _, cfg := range []toyConfig{contractToy, {clients: 20, requests: 10, rate: 10, burst: 10,
				latency: 300 * time.Millisecond, jitter: 300 * time.Millisecond, transit: 100 * time.Millisecond, seed: 3,
				dialect: ratelimit.DialectAnthropic}} {
				r := runToy(t, spec, cfg)
				total := cfg.clients * cfg.requests
				assert.Equal(t, total, r.succeeded, "every request succeeds")
				assert.Less(t, float64(r.limited), 0.02*float64(r.attempts), "429 share %d/%d", r.limited, r.attempts)
				// the makespan's lower bound: (requests − burst) / rate
				bound := time.Duration((float64(total) - cfg.burst) / cfg.rate * float64(time.Second))
				assert.GreaterOrEqual(t, r.makespan, bound)
				assert.Less(t, r.makespan, bound*11/10+time.Second, "within 10%% of the bound: %s", r.makespan)
				t.Logf("%s clients=%d: attempts %d, 429s %d, makespan %s (bound %s), peak %d/s",
					spec, cfg.clients, r.attempts, r.limited, r.makespan, bound, r.peakPerSecond)
			}
		})
	}
}

func TestFleetHeaderPacingAcrossServers(t *testing.T) {
	// The contract workload against servers that differ in what the headers say and how late they
	// say it. Every variant: all requests succeed, under 2% 429s, within 30% of the bound (49 s).
	ms := time.Millisecond
	tests := []struct {
		name                     string
		dialect                  ratelimit.Dialect
		exactReset, limitBurst   bool
		latency, jitter, transit time.Duration
	}{
		{"anthropic, exact reset", ratelimit.DialectAnthropic, true, false, 80 * ms, 40 * ms, 5 * ms},
		{"anthropic, zero latency", ratelimit.DialectAnthropic, false, false, 0, 0, 0},
		{"anthropic, 1-2 s latency", ratelimit.DialectAnthropic, false, false, time.Second, time.Second, 500 * ms},
		// The limit header states the capacity (10) instead of the quota (600/min): read per
		// minute alone it would pace at 10/min; the resets prove a faster refill.
		{"anthropic, limit = burst", ratelimit.DialectAnthropic, false, true, 80 * ms, 40 * ms, 5 * ms},
		{"anthropic, limit = burst, 1-2 s latency", ratelimit.DialectAnthropic, false, true, time.Second, time.Second, 500 * ms},
		// No window known: remaining is spread over reset.
		{"no dialect, exact reset", ratelimit.DialectNone, true, false, 80 * ms, 40 * ms, 5 * ms},
		{"no dialect, whole-second reset", ratelimit.DialectNone, false, false, 80 * ms, 40 * ms, 5 * ms},
		{"ietf-legacy, limit = burst", ratelimit.DialectIETFLegacy, true, true, 80 * ms, 40 * ms, 5 * ms},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := toyConfig{clients: 50, requests: 10, rate: 10, burst: 10, latency: tc.latency, jitter: tc.jitter,
				transit: tc.transit, seed: 11, dialect: tc.dialect, exactReset: tc.exactReset, limitIsBurst: tc.limitBurst}
			r := runToy(t, "header-pacing", cfg)
			t.Logf("attempts %d, 429s %d, makespan %s", r.attempts, r.limited, r.makespan)
			assert.Equal(t, 500, r.succeeded)
			assert.Less(t, float64(r.limited), 0.02*float64(r.attempts))
			assert.GreaterOrEqual(t, r.makespan, 49*time.Second)
			assert.Less(t, r.makespan, 49*time.Second*13/10)
		})
	}
}

func TestFleetExponentialSynchronizesRetries(t *testing.T) {
	cfg := contractToy
	cfg.jitter = 0 // identical clients: only jitter in the policy can tell them apart
	exp := runToy(t, "exponential", cfg)
	full := runToy(t, "full-jitter", cfg)
	for _, r := range []struct {
		n string
		r toyResult
	}{{"exponential", exp}, {"full-jitter", full}} {
		t.Logf("%s: attempts %d, 429s %d, peak %d/s, peak %d retries/10ms, makespan %s", r.n, r.r.attempts, r.r.limited,
			r.r.peakPerSecond, r.r.peakRetries, r.r.makespan)
	}
	assert.GreaterOrEqual(t, exp.peakRetries, 30, "the 40 clients refused at t=0 retry together")
	assert.Greater(t, exp.peakRetries, 4*full.peakRetries, "synchronized retry spikes")
}
