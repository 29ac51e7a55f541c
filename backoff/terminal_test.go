package backoff

import (
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ratelab/ratelab/ratelimit"
)

// withBody adds what an error body said (api.ErrorHint): a wait (when wait ≥ 0) and a
// terminal cause.
func withBody(o Outcome, wait time.Duration, terminal string) Outcome {
	return withLimits(o, func(s *ratelimit.Snapshot) {
		if wait >= 0 {
			s.BodyRetryAfter, s.HasBodyRetryAfter = wait, true
		}
		s.Terminal = terminal
	})
}

// TestTerminalStopsEveryStrategy: a daily quota, insufficient_quota or a spend cap named by the
// body, or a server wait longer than max elapsed, ends the request after that attempt, whatever
// the strategy; retry-terminal=1 keeps the strategy's own rule.
func TestTerminalStopsEveryStrategy(t *testing.T) {
	outcomes := []struct {
		name string
		o    Outcome
		want string
	}{
		{"daily quota", withBody(failed(1, 429), 7*time.Minute, ratelimit.TerminalDailyQuota), "terminal: daily quota exhausted (daily-quota, status 429)"},
		{"gemini PerDay with a short retryDelay", withBody(failed(1, 429), 38*time.Second, ratelimit.TerminalDailyQuota), "terminal: daily quota"},
		{"insufficient_quota", withBody(failed(2, 429), -1, ratelimit.TerminalInsufficientQuota), "terminal: insufficient quota"},
		{"spend cap on a 400", withBody(failed(1, 400), -1, ratelimit.TerminalSpendCap), "terminal: spend cap reached"},
	}
	for _, d := range Definitions() {
		if d.Name == "none" {
			continue
		}
		for _, tc := range outcomes {
			t.Run(d.Name+"/"+tc.name, func(t *testing.T) {
				dec := mustFleet(t, d.Name, 3).Client(0).After(t0, tc.o)
				assert.False(t, dec.Retry)
				assert.Contains(t, dec.Reason, tc.want)
				assert.True(t, IsTerminal(dec.Reason))
				if tc.o.Status == 429 {
					over := mustFleet(t, d.Name+"(retry-terminal=1)", 3).Client(0).After(t0, tc.o)
					assert.False(t, IsTerminal(over.Reason), "retry-terminal=1: %s", over.Reason)
				}
			})
		}
	}
	// A wait past max elapsed: terminal for the strategies with a max elapsed, even those that
	// ignore the hint.
	for _, name := range []string{"full-jitter", "exponential", "retry-after", "header-pacing", "aimd"} {
		dec := mustFleet(t, name, 1).Client(0).After(t0, withRetryAfter(failed(1, 429), 4*time.Hour+48*time.Minute))
		assert.False(t, dec.Retry, name)
		assert.Equal(t, "terminal: the server asks to wait 4h48m0s, longer than max elapsed 15m0s", dec.Reason, name)
		dec = mustFleet(t, name, 1).Client(0).After(t0, withBody(failed(1, 429), 20*time.Minute, ""))
		assert.True(t, IsTerminal(dec.Reason), "%s: a body hint counts too: %s", name, dec.Reason)
	}
	// Beyond what is left of max elapsed ends the request, not the run.
	late := withRetryAfter(failed(5, 429), 30*time.Second)
	dec := mustFleet(t, "full-jitter", 1).Client(0).After(t0.Add(14*time.Minute+50*time.Second), late)
	assert.False(t, dec.Retry)
	assert.Equal(t, "retry hint 30s: beyond the 10s left of max elapsed 15m0s", dec.Reason)
	assert.False(t, IsTerminal(dec.Reason))
	// A request too large ends that request only, but is still named.
	dec = mustFleet(t, "full-jitter", 1).Client(0).After(t0, withBody(failed(1, 429), -1, ratelimit.TerminalRequestTooLarge))
	assert.Contains(t, dec.Reason, "request larger than the limit")
	assert.False(t, IsTerminal(dec.Reason), "the others requests may pass")
}

func TestRetryAfterReadsBodyAndJitters(t *testing.T) {
	p := mustFleet(t, "retry-after", 1).Client(0)
	d := p.After(t0, withBody(failed(1, 429), 26*time.Second, ""))
	assert.Equal(t, Decision{Retry: true, Wait: 26 * time.Second}, d, "Gemini's retryDelay is a hint")
	d = p.After(t0, withBody(withRetryAfter(failed(1, 429), 3*time.Second), 26*time.Second, ""))
	assert.Equal(t, 3*time.Second, d.Wait, "the header wins over the body")

	// jitter spreads clients told the same wait over [w, w·(1+jitter)).
	var lo, hi time.Duration = time.Hour, 0
	for c := range 200 {
		d := mustFleet(t, "retry-after(jitter=0.5)", 7).Client(c).After(t0, withRetryAfter(failed(1, 429), 10*time.Second))
		require.True(t, d.Retry)
		lo, hi = min(lo, d.Wait), max(hi, d.Wait)
	}
	assert.GreaterOrEqual(t, lo, 10*time.Second)
	assert.Less(t, lo, 10500*time.Millisecond)
	assert.Less(t, hi, 15*time.Second)
	assert.Greater(t, hi, 14500*time.Millisecond)
}

func TestOpenAIGoSDKClampsHints(t *testing.T) {
	p := mustFleet(t, "openai-go-sdk", 2).Client(0)
	assert.Equal(t, 8*time.Second, p.After(t0, withRetryAfter(failed(1, 429), 10*time.Minute)).Wait, "clamped to MaxRetryDelay")
	assert.True(t, IsTerminal(p.After(t0, withRetryAfter(failed(1, 429), time.Hour)).Reason), "a wait past max elapsed is terminal")
	assert.Equal(t, 8*time.Second, mustFleet(t, "openai-go-sdk(retry-terminal=1)", 2).Client(0).After(t0, withRetryAfter(failed(1, 429), time.Hour)).Wait)
	assert.Equal(t, 2*time.Second, p.After(t0, withRetryAfter(failed(1, 429), 2*time.Second)).Wait)
	assert.Less(t, p.After(t0, withBody(failed(1, 429), time.Hour, "")).Wait, time.Second, "the body is not read")
	d := p.After(t0, failed(3, 429))
	assert.Contains(t, d.Reason, "max attempts 3")
	w := mustFleet(t, "openai-go-sdk(max-attempts=20)", 1).Client(0).After(t0, failed(9, 429)).Wait
	assert.Greater(t, w, 6*time.Second, "the backoff is capped at 8s, minus up to a quarter")
	assert.LessOrEqual(t, w, 8*time.Second)
}

func TestGeminiSDKSchedule(t *testing.T) {
	got, reason := waits(mustFleet(t, "gemini-sdk", 4).Client(1), 10)
	require.Len(t, got, 4)
	assert.Contains(t, reason, "max attempts 5")
	r := ClientRand(4, 1)
	for n, w := range got {
		want := time.Duration(math.Ldexp(float64(time.Second), n)) + time.Duration(r.Float64()*float64(time.Second))
		assert.Equal(t, want, w, "retry %d: 1s·2^n + U(0,1s)", n+1)
	}
	p := mustFleet(t, "gemini-sdk", 4).Client(0)
	assert.Less(t, p.After(t0, withRetryAfter(failed(1, 429), time.Minute)).Wait, 2*time.Second, "Retry-After is not read")
	assert.Contains(t, p.After(t0, failed(1, 409)).Reason, "not retried by go-genai")
	assert.True(t, p.After(t0, failed(1, 503)).Retry)
}

func TestAWSSDKRetryQuota(t *testing.T) {
	got, reason := waits(mustFleet(t, "aws-sdk", 9).Client(0), 10)
	require.Len(t, got, 2)
	assert.Contains(t, reason, "max attempts 3")
	assert.Less(t, got[0], 2*time.Second)
	assert.Less(t, got[1], 4*time.Second)

	// 10 tokens at 5 a retry: two retries, then the quota is dry until a success gives back.
	p := mustFleet(t, "aws-sdk(quota=10,max-attempts=10)", 1).Client(0)
	assert.True(t, p.After(t0, failed(1, 429)).Retry)
	assert.True(t, p.After(t0, failed(2, 429)).Retry)
	d := p.After(t0, failed(3, 429))
	assert.False(t, d.Retry)
	assert.Contains(t, d.Reason, "retry quota exhausted (0 of 10 tokens left")
	ok := failed(3, 200)
	p.After(t0, ok) // the request that spent 10 succeeds: 10 come back
	assert.True(t, p.After(t0, failed(1, 503)).Retry)
	assert.Contains(t, p.After(t0, failed(1, 501)).Reason, "not retried by the AWS SDK")
}
