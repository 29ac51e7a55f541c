package backoff

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ratelab/ratelab/ratelimit"
)

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// failed is a failed attempt number attempt of a request scheduled at t0, with the given status
// and no headers.
func failed(attempt, status int) Outcome {
	return Outcome{Attempt: attempt, Status: status, Limits: &ratelimit.Snapshot{}, Started: t0, Sent: t0}
}

// withLimits returns o with edit applied to a copy of its header snapshot.
func withLimits(o Outcome, edit func(*ratelimit.Snapshot)) Outcome {
	s := *o.Limits
	edit(&s)
	o.Limits = &s
	return o
}

// withRetryAfter adds a retry-after to o.
func withRetryAfter(o Outcome, ra time.Duration) Outcome {
	return withLimits(o, func(s *ratelimit.Snapshot) { s.RetryAfter, s.HasRetryAfter = ra, true })
}

func mustFleet(t *testing.T, spec string, seed int64) Fleet {
	t.Helper()
	s, err := Resolve(spec)
	require.NoError(t, err)
	return s.NewFleet(seed)
}

// waits drives one client's policy through a logical request whose every attempt fails with 429
// (no headers) and returns the waits it chose, until it gives up, and the reason.
func waits(p Policy, maxN int) ([]time.Duration, string) {
	var out []time.Duration
	now := t0
	for a := 1; a <= maxN; a++ {
		o := failed(a, 429)
		o.Sent = now
		d := p.After(now, o)
		if !d.Retry {
			return out, d.Reason
		}
		out = append(out, d.Wait)
		now = now.Add(d.Wait)
	}
	return out, ""
}

// The expected schedules below are the published formulas written out again, applied to the same
// PCG draw sequence (ClientRand with the same seed and client).
func TestBackoffFormulasMatchDefinitions(t *testing.T) {
	const seed, client = 42, 3
	pow2 := func(n int) float64 { return math.Pow(2, float64(n)) }
	tests := []struct {
		name     string
		spec     string
		attempts int // max-attempts: waits made = attempts − 1
		want     func(r *rand.Rand, n int) time.Duration
	}{
		{"constant pause", "constant(pause=750ms,max-attempts=10)", 10, func(*rand.Rand, int) time.Duration { return 750 * time.Millisecond }},
		{"exponential min(cap, base·2^n)", "exponential(base=100ms,cap=3s,max-attempts=10)", 10, func(_ *rand.Rand, n int) time.Duration {
			return time.Duration(math.Min(float64(3*time.Second), float64(100*time.Millisecond)*pow2(n)))
		}},
		{"full jitter U(0, min(cap, base·2^n))", "full-jitter(base=100ms,cap=3s,max-attempts=10)", 10, func(r *rand.Rand, n int) time.Duration {
			return time.Duration(r.Float64() * math.Min(float64(3*time.Second), float64(100*time.Millisecond)*pow2(n)))
		}},
		{"equal jitter t/2 + U(0, t/2)", "equal-jitter(base=100ms,cap=3s,max-attempts=10)", 10, func(r *rand.Rand, n int) time.Duration {
			temp := time.Duration(math.Min(float64(3*time.Second), float64(100*time.Millisecond)*pow2(n)))
			return temp/2 + time.Duration(r.Float64()*float64(temp/2))
		}},
		{"additive 2^n + U(0,1), 5 tries", "additive-jitter", 5, func(r *rand.Rand, n int) time.Duration {
			return time.Duration(pow2(n)*float64(time.Second)) + time.Duration(r.Float64()*float64(time.Second))
		}},
		{"anthropic-sdk Go: d − Int63n(d/4)", "anthropic-sdk", 3, func(r *rand.Rand, n int) time.Duration {
			d := time.Duration(0.5 * float64(time.Second) * pow2(n))
			d = min(d, 8*time.Second)
			return d - time.Duration(r.Int64N(int64(d/4)))
		}},
		{"anthropic-sdk longer schedule caps at 8s", "anthropic-sdk(max-attempts=8)", 8, func(r *rand.Rand, n int) time.Duration {
			d := min(time.Duration(0.5*float64(time.Second)*pow2(n)), 8*time.Second)
			return d - time.Duration(r.Int64N(int64(d/4)))
		}},
		{"openai-sdk same backoff without retry-after", "openai-sdk", 3, func(r *rand.Rand, n int) time.Duration {
			d := min(time.Duration(0.5*float64(time.Second)*pow2(n)), 8*time.Second)
			return d - time.Duration(r.Int64N(int64(d/4)))
		}},
		{"retry-after without header is full jitter", "retry-after(base=200ms,cap=1s,max-attempts=10)", 10, func(r *rand.Rand, n int) time.Duration {
			return time.Duration(r.Float64() * math.Min(float64(time.Second), float64(200*time.Millisecond)*pow2(n)))
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, reason := waits(mustFleet(t, tc.spec, seed).Client(client), 50)
			r := ClientRand(seed, client)
			want := make([]time.Duration, tc.attempts-1)
			for n := range want {
				want[n] = tc.want(r, n)
			}
			assert.Equal(t, want, got)
			assert.Contains(t, reason, "max attempts")
		})
	}
}

func TestDecorrelatedJitterCarriesItsSleep(t *testing.T) {
	const seed, client = 7, 0
	base, limit := 100*time.Millisecond, 2*time.Second
	p := mustFleet(t, "decorrelated-jitter(base=100ms,cap=2s,max-attempts=12)", seed).Client(client)
	r := ClientRand(seed, client)
	replay := func(k int) []time.Duration {
		sleep := base // sleep = min(cap, random_between(base, sleep·3)), starting at base
		out := make([]time.Duration, k)
		for i := range out {
			sleep = min(limit, base+time.Duration(r.Float64()*float64(3*sleep-base)))
			out[i] = sleep
		}
		return out
	}
	got, _ := waits(p, 50)
	require.Len(t, got, 11)
	assert.Equal(t, replay(11), got)
	reachedCap := false
	for i, w := range got {
		assert.GreaterOrEqual(t, w, base, "wait %d", i)
		assert.LessOrEqual(t, w, limit, "wait %d", i)
		reachedCap = reachedCap || w == limit
	}
	assert.True(t, reachedCap, "11 tripling draws from 100ms should reach the 2s cap: %v", got)

	// A new logical request (attempt 1 again) starts from base: its first sleep is in [base, 3·base).
	again, _ := waits(p, 1)
	require.Len(t, again, 1)
	assert.Equal(t, replay(1), again)
	assert.Less(t, again[0], 3*base)
}

func TestAnthropicSDKSchedule(t *testing.T) {
	// The default schedule over many seeds: two retries in (0.375, 0.5] s and (0.75, 1.0] s, then stop.
	s, err := Resolve("anthropic-sdk")
	require.NoError(t, err)
	var lo1, hi1, lo2, hi2 time.Duration = time.Hour, 0, time.Hour, 0
	for seed := range int64(300) {
		got, reason := waits(s.NewFleet(seed).Client(int(seed%7)), 10)
		require.Len(t, got, 2, "seed %d", seed)
		assert.Equal(t, "max attempts 3 reached (last status 429)", reason)
		lo1, hi1 = min(lo1, got[0]), max(hi1, got[0])
		lo2, hi2 = min(lo2, got[1]), max(hi2, got[1])
	}
	assert.Greater(t, lo1, 375*time.Millisecond)
	assert.LessOrEqual(t, hi1, 500*time.Millisecond)
	assert.Greater(t, lo2, 750*time.Millisecond)
	assert.LessOrEqual(t, hi2, time.Second)
	// The draws spread over most of each interval.
	assert.Less(t, lo1, 390*time.Millisecond)
	assert.Greater(t, hi1, 490*time.Millisecond)

	tests := []struct {
		name   string
		o      Outcome
		retry  bool
		wait   time.Duration
		reason string
	}{
		{"retry-after honoured", withRetryAfter(failed(1, 429), 3*time.Second), true, 3 * time.Second, ""},
		{"retry-after uncapped", withRetryAfter(failed(2, 429), 14*time.Minute), true, 14 * time.Minute, ""},
		{"retry-after past max elapsed is terminal", withRetryAfter(failed(2, 429), time.Hour), false, 0, "terminal: the server asks to wait 1h0m0s"},
		{"retry-after 0 retries at once", withRetryAfter(failed(1, 529), 0), true, 0, ""},
		{"third attempt is the last", withRetryAfter(failed(3, 429), time.Second), false, 0, "max attempts 3"},
		{"400 not retried", failed(1, 400), false, 0, "status 400 is not retryable"},
		{"x-should-retry false wins over 429", shouldRetry(failed(1, 429), -1), false, 0, "x-should-retry: false"},
		{"x-should-retry true makes 400 retryable", withRetryAfter(shouldRetry(failed(1, 400), 1), time.Second), true, time.Second, ""},
		{"transport error retried", withRetryAfter(failed(1, 0), 2*time.Second), true, 2 * time.Second, ""},
		{"408", withRetryAfter(failed(1, 408), time.Second), true, time.Second, ""},
		{"409", withRetryAfter(failed(1, 409), time.Second), true, time.Second, ""},
		{"500", withRetryAfter(failed(1, 500), time.Second), true, time.Second, ""},
		{"success ends quietly", failed(1, 200), false, 0, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := s.NewFleet(1).Client(0).After(t0, tc.o)
			assert.Equal(t, tc.retry, d.Retry)
			assert.Equal(t, tc.wait, d.Wait)
			if tc.reason == "" {
				assert.Empty(t, d.Reason)
			} else {
				assert.Contains(t, d.Reason, tc.reason)
			}
		})
	}
}

// shouldRetry adds an x-should-retry verdict (1 true, -1 false) to o.
func shouldRetry(o Outcome, v int8) Outcome {
	return withLimits(o, func(s *ratelimit.Snapshot) { s.ShouldRetry = v })
}

func TestOpenAISDKRetryAfterRule(t *testing.T) {
	tests := []struct {
		name   string
		ra     time.Duration // < 0: no header
		retry  bool
		wait   time.Duration // -1: the Stainless backoff
		reason string
	}{
		{"honoured inside (0, 120s]", 30 * time.Second, true, 30 * time.Second, ""},
		{"exactly 120s honoured", 120 * time.Second, true, 120 * time.Second, ""},
		{"sub-second retry-after-ms", 250 * time.Millisecond, true, 250 * time.Millisecond, ""},
		{"over 120s gives up", 121 * time.Second, false, 0, "retry-after 2m1s over the 2m0s cap"},
		{"zero falls back to backoff", 0, true, -1, ""},
		{"absent uses backoff", -1, true, -1, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := failed(1, 429)
			if tc.ra >= 0 {
				o = withRetryAfter(o, tc.ra)
			}
			d := mustFleet(t, "openai-sdk", 5).Client(2).After(t0, o)
			assert.Equal(t, tc.retry, d.Retry)
			assert.Contains(t, d.Reason, tc.reason)
			if tc.wait >= 0 {
				assert.Equal(t, tc.wait, d.Wait)
				return
			}
			r := ClientRand(5, 2)
			assert.Equal(t, 500*time.Millisecond-time.Duration(r.Int64N(int64(125*time.Millisecond))), d.Wait)
		})
	}
	d := mustFleet(t, "openai-sdk(max-retry-after=10s)", 5).Client(0).After(t0, withRetryAfter(failed(1, 429), 11*time.Second))
	assert.False(t, d.Retry, "the cap is a parameter")
}

func TestRetryAfterStrategyHonoursServer(t *testing.T) {
	p := mustFleet(t, "retry-after", 1).Client(0)
	d := p.After(t0, withRetryAfter(failed(1, 429), 17*time.Second))
	assert.Equal(t, Decision{Retry: true, Wait: 17 * time.Second}, d)
	d = p.After(t0, withRetryAfter(failed(2, 429), 20*time.Minute))
	assert.False(t, d.Retry, "a retry due after max elapsed (15m) gives up")
	assert.Contains(t, d.Reason, "max elapsed 15m0s")
	d = mustFleet(t, "retry-after(max-elapsed=0)", 1).Client(0).After(t0, withRetryAfter(failed(1, 429), 10*time.Minute))
	assert.Equal(t, Decision{Retry: true, Wait: 10 * time.Minute}, d, "max-elapsed=0 means no bound")
}

func TestNoneNeverRetries(t *testing.T) {
	got, reason := waits(mustFleet(t, "none", 1).Client(0), 5)
	assert.Empty(t, got)
	assert.Contains(t, reason, "max attempts 1")
}

func TestMaxElapsedCountsFromScheduling(t *testing.T) {
	p := mustFleet(t, "constant(pause=10s,max-attempts=100,max-elapsed=1m)", 1).Client(0)
	now := t0
	var n int
	for a := 1; ; a++ {
		o := failed(a, 503)
		d := p.After(now, o)
		if !d.Retry {
			assert.True(t, strings.HasPrefix(d.Reason, "max elapsed 1m0s"), d.Reason)
			break
		}
		now = now.Add(d.Wait)
		n++
	}
	assert.Equal(t, 6, n, "retries due at 10s…60s after scheduling; the 7th would be at 70s")
}

func TestBeforeNeverHoldsPlainBackoffs(t *testing.T) {
	for _, name := range []string{"none", "constant", "additive-jitter", "exponential", "full-jitter",
		"equal-jitter", "decorrelated-jitter", "anthropic-sdk", "openai-sdk", "retry-after", "retry-budget"} {
		assert.Equal(t, Gate{}, mustFleet(t, name, 1).Client(0).Before(t0, 1), name)
	}
}
