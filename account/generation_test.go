package account

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ratelab/ratelab/ratelimit"
)

// deferred marks a call as one whose caller charges the output as it is generated.
func deferred(c Call) Call {
	c.DeferOutput = true
	return c
}

func TestGenerationTiming(t *testing.T) {
	g := Generation{TTFT: 400 * time.Millisecond, Interval: 20 * time.Millisecond, Tokens: 51}
	tests := []struct {
		name    string
		elapsed time.Duration
		want    int64
	}{
		{"before the first token", 399 * time.Millisecond, 0},
		{"the first token", 400 * time.Millisecond, 1},
		{"just before the second", 419 * time.Millisecond, 1},
		{"the second", 420 * time.Millisecond, 2},
		{"the last", time.Second + 400*time.Millisecond, 51},
		{"long after", time.Hour, 51},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, g.TokensBy(tc.elapsed))
		})
	}
	assert.Equal(t, 400*time.Millisecond, g.TokenAt(1))
	assert.Equal(t, 420*time.Millisecond, g.TokenAt(2))
	assert.Equal(t, 1400*time.Millisecond, g.Duration(), "TTFT + 50 intervals")
	assert.InDelta(t, 50.0, g.TokensPerSecond(), 1e-9)
	assert.False(t, g.Instant())
	assert.True(t, Generation{Tokens: 100}.Instant())
	assert.Equal(t, int64(100), Generation{Tokens: 100}.TokensBy(0))
	assert.Equal(t, int64(0), Generation{TTFT: time.Second}.TokensBy(2*time.Second), "no tokens")
}

// TestHandleGenerationDraws: the draws stay within the configured spread, are seeded, and a
// configuration without generation keeps instant replies.
func TestHandleGenerationDraws(t *testing.T) {
	set := func(c *Config) {
		c.Limits = Limits{Requests: Limit{PerMinute: 1_000_000}}
		c.TTFT, c.TTFTJitter = 800*time.Millisecond, 300*time.Millisecond
		c.OutputTPS, c.OutputTPSJitter = 60, 15
	}
	run := func(seed int64) []Generation {
		m := newMock(t, seed, set)
		var gens []Generation
		for i := range 400 {
			r := m.Handle(at(time.Duration(i)*time.Millisecond), msg("k", 10, 100))
			require.Equal(t, 200, r.Status)
			gens = append(gens, r.Gen)
		}
		return gens
	}
	a, b, c := run(1), run(1), run(2)
	assert.Equal(t, a, b, "same seed, same draws")
	assert.NotEqual(t, a, c, "another seed, other draws")
	var sumTTFT time.Duration
	var sumTPS float64
	for _, g := range a {
		require.GreaterOrEqual(t, g.TTFT, 500*time.Millisecond)
		require.LessOrEqual(t, g.TTFT, 1100*time.Millisecond)
		require.GreaterOrEqual(t, g.TokensPerSecond(), 44.99)
		require.LessOrEqual(t, g.TokensPerSecond(), 75.01)
		require.Equal(t, int64(100), g.Tokens)
		sumTTFT += g.TTFT
		sumTPS += g.TokensPerSecond()
	}
	assert.InDelta(t, 0.8, (sumTTFT / time.Duration(len(a))).Seconds(), 0.05, "mean TTFT")
	assert.InDelta(t, 60, sumTPS/float64(len(a)), 2.5, "mean tokens/s")

	r := newMock(t, 1, nil).Handle(t0, msg("k", 10, 100))
	assert.True(t, r.Gen.Instant())
	assert.Equal(t, Generation{Tokens: 100}, r.Gen)
	assert.Zero(t, r.OutputDeferred)
}

// TestHandleOutputChargedAsGenerated: under actual accounting with a generation time the
// output is charged by ChargeOutput as it is generated (a reply cut short pays for what it got);
// under max_tokens accounting max_tokens is reserved at admission.
func TestHandleOutputChargedAsGenerated(t *testing.T) {
	tests := []struct {
		name         string
		accounting   OutputAccounting
		deferred     int64
		remainingHdr int64 // output remaining on the first reply's headers
	}{
		{"actual", AccountActual, 100, 1000},
		{"max_tokens", AccountMaxTokens, 0, 900},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := newMock(t, 1, func(c *Config) {
				c.Limits = Limits{Requests: Limit{PerMinute: 1000}, OutputTokens: Limit{PerMinute: 1000}}
				c.OutputAccounting = tc.accounting
				c.RemainingRounding = ratelimit.RemainingExact
				c.TTFT, c.OutputTPS = 100*time.Millisecond, 50
			})
			var cur Cursor
			call := deferred(msg("k", 10, 100))
			var r Reply
			m.HandleWith(&cur, t0, &call, &r)
			require.Equal(t, 200, r.Status)
			assert.Equal(t, tc.deferred, r.OutputDeferred)
			assert.Equal(t, tc.remainingHdr, r.Limits.Dims[ratelimit.OutputTokens].Remaining)
			// the stream is cut after 30 tokens: the caller charges what was generated, up to
			// what Handle left to charge
			m.ChargeOutput(&cur, at(time.Second), min(r.Gen.TokensBy(680*time.Millisecond), r.OutputDeferred))
			st, ok := m.AccountStats("k")
			require.True(t, ok)
			want := int64(100)
			if tc.accounting == AccountActual {
				want = 30
			}
			assert.Equal(t, want, st.Dimensions["output_tokens"].Units)
		})
	}
}

// TestChargeOutputPutsTheBudgetInDebt: tokens charged as generated can overdraw the output
// budget, and the next request waits for it to refill.
func TestChargeOutputPutsTheBudgetInDebt(t *testing.T) {
	m := newMock(t, 1, func(c *Config) {
		c.Limits = Limits{Requests: Limit{PerMinute: 1000}, OutputTokens: Limit{PerMinute: 600}}
		c.OutputTPS = 100
	})
	r := m.Handle(t0, deferred(msg("k", 10, 1000)))
	require.Equal(t, 200, r.Status)
	require.Equal(t, int64(1000), r.OutputDeferred, "output_tokens 0: the reply runs to max_tokens")
	m.ChargeOutputKey("k", at(time.Second), 700)
	r = m.Handle(at(time.Second), msg("k", 10, 10))
	assert.Equal(t, 429, r.Status)
	assert.Equal(t, ratelimit.OutputTokens, r.Exceeded)
	m.ChargeOutputKey("nobody", t0, 5) // no account: nothing happens
}

func TestHandleStreamFaults(t *testing.T) {
	m := newMock(t, 7, func(c *Config) {
		c.Limits = Limits{Requests: Limit{PerMinute: 1_000_000}}
		c.StreamErrorRate, c.StreamCloseRate, c.StreamStallRate = 0.2, 0.1, 0.1
		c.StreamStall = 3 * time.Second
	})
	counts := map[StreamFaultKind]int{}
	const n = 2000
	for i := range n {
		r := m.Handle(at(time.Duration(i)*time.Millisecond), deferred(msg("k", 10, 50)))
		require.Equal(t, 200, r.Status)
		counts[r.Fault.Kind]++
		if r.Fault.Kind != FaultNone {
			require.GreaterOrEqual(t, r.Fault.AfterTokens, int64(1))
			require.LessOrEqual(t, r.Fault.AfterTokens, int64(49))
			require.Equal(t, int64(50), r.OutputDeferred, "a faulty stream is charged as it goes")
		}
		if r.Fault.Kind == FaultStalled {
			require.Equal(t, 3*time.Second, r.Fault.Stall)
		}
	}
	assert.InDelta(t, 0.2*n, counts[FaultOverloaded], 0.2*n*0.2)
	assert.InDelta(t, 0.1*n, counts[FaultClosed], 0.1*n*0.25)
	assert.InDelta(t, 0.1*n, counts[FaultStalled], 0.1*n*0.25)
}

func TestGenerationConfigErrors(t *testing.T) {
	tests := []struct {
		name  string
		set   func(*Config)
		field string
	}{
		{"negative ttft", func(c *Config) { c.TTFT = -time.Second }, "ttft"},
		{"negative ttft jitter", func(c *Config) { c.TTFTJitter = -time.Second }, "ttft_jitter"},
		{"negative tps", func(c *Config) { c.OutputTPS = -1 }, "output_tps"},
		{"jitter without tps", func(c *Config) { c.OutputTPSJitter = 5 }, "output_tps_jitter"},
		{"rate above 1", func(c *Config) { c.StreamCloseRate = 1.5 }, "stream_close_rate"},
		{"rates above 1 together", func(c *Config) { c.StreamErrorRate, c.StreamStallRate = 0.6, 0.6 }, "stream_stall_rate"},
		{"negative stall", func(c *Config) { c.StreamStall = -time.Second }, "stream_stall"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := DefaultConfig()
			tc.set(&c)
			var fe *FieldError
			require.ErrorAs(t, c.Validate(), &fe)
			assert.Equal(t, tc.field, fe.Field)
		})
	}
}
