package presets

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ratelab/ratelab/account"
	"github.com/ratelab/ratelab/ratelimit"
)

var t0 = time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)

// ledgerFor builds a ledger under spec, with set applied after the preset (as flags are).
func ledgerFor(t *testing.T, spec string, set func(*account.Config)) *account.Ledger {
	t.Helper()
	cfg := account.DefaultConfig()
	require.NoError(t, Apply(&cfg, spec))
	if set != nil {
		set(&cfg)
	}
	l, err := account.New(cfg, 1)
	require.NoError(t, err)
	return l
}

func remaining(r account.Reply, d ratelimit.Dimension) int64 { return r.Limits.Dims[d].Remaining }

func TestApplyLimits(t *testing.T) {
	cases := []struct {
		spec, model string
		want        account.Limits // per minute
		rpd         int64
	}{
		{"anthropic", "claude-sonnet-4-5", account.Limits{Requests: account.Limit{PerMinute: 1000}, InputTokens: account.Limit{PerMinute: 2_000_000}, OutputTokens: account.Limit{PerMinute: 400_000}}, 0},
		{"anthropic:tier-1-2025", "claude-sonnet-4-5", account.Limits{Requests: account.Limit{PerMinute: 50}, InputTokens: account.Limit{PerMinute: 30_000}, OutputTokens: account.Limit{PerMinute: 8000}}, 0},
		{"openai", "gpt-4o-mini", account.Limits{Requests: account.Limit{PerMinute: 500}, Tokens: account.Limit{PerMinute: 200_000}}, 10_000},
	}
	for _, c := range cases {
		t.Run(c.spec+"/"+c.model, func(t *testing.T) {
			l := ledgerFor(t, c.spec, nil)
			r := l.Handle(t0, account.Call{Key: "k", Endpoint: account.EndpointMessages, Model: c.model, InputTokens: 10, MaxTokens: 10})
			require.Equal(t, 200, r.Status)
			for d, lim := range map[ratelimit.Dimension]int64{ratelimit.Requests: c.want.Requests.PerMinute, ratelimit.InputTokens: c.want.InputTokens.PerMinute, ratelimit.OutputTokens: c.want.OutputTokens.PerMinute} {
				if lim > 0 {
					assert.Equal(t, lim, r.Limits.Dims[d].Limit, "%v limit", d)
				}
			}
			cfg := account.DefaultConfig()
			require.NoError(t, Apply(&cfg, c.spec))
			i, _ := cfg.Provider.Classify(c.model)
			assert.Equal(t, c.rpd, cfg.Provider.Classes[i].RequestsPerDay)
		})
	}
}

// TestCacheHitNotChargedToITPM: Anthropic counts cache writes toward ITPM but not cache reads;
// Haiku 3.5 counts both.
func TestCacheHitNotChargedToITPM(t *testing.T) {
	bp := []account.CachePrefix{{Hash: [32]byte{1}, Tokens: 3000, TTL: 5 * time.Minute}}
	cases := []struct {
		model       string
		secondDrops int64 // ITPM charged to the second, cached, request
	}{
		{"claude-sonnet-4-5", 10},
		{"claude-3-5-haiku-20241022", 3010},
	}
	for _, c := range cases {
		t.Run(c.model, func(t *testing.T) {
			l := ledgerFor(t, "anthropic", func(cfg *account.Config) { SetClassLimits(cfg, "itpm", 20_000) })
			call := account.Call{Key: "k", Endpoint: account.EndpointMessages, Model: c.model, InputTokens: 3010, MaxTokens: 16, Cache: bp}
			r1 := l.Handle(t0, call)
			require.Equal(t, 200, r1.Status)
			assert.Equal(t, [3]int64{10, 3000, 0}, [3]int64{r1.InputTokens, r1.CacheCreation, r1.CacheRead}, "input, cache write, cache read")
			r2 := l.Handle(t0, call)
			require.Equal(t, 200, r2.Status)
			assert.Equal(t, [3]int64{10, 0, 3000}, [3]int64{r2.InputTokens, r2.CacheCreation, r2.CacheRead})
			st := l.Stats()
			require.Len(t, st.Accounts, 1)
			assert.Equal(t, 3010+c.secondDrops, st.Accounts[0].Dimensions["input_tokens"].Units, "ITPM charged over both requests")
			r3 := l.Handle(t0.Add(6*time.Minute), call)
			assert.Equal(t, int64(3000), r3.CacheCreation, "the entry expired after its 5-minute TTL")
		})
	}
}

// TestITPMCharges checks the exact ITPM charges with the exact remaining of an unrounded
// dialect: a cache read leaves the budget alone, a cache write is charged.
func TestITPMCharges(t *testing.T) {
	bp := []account.CachePrefix{{Hash: [32]byte{2}, Tokens: 3000, TTL: time.Hour}}
	l := ledgerFor(t, "anthropic", func(cfg *account.Config) {
		SetClassLimits(cfg, "itpm", 20_000)
		cfg.RemainingRounding = ratelimit.RemainingExact
	})
	call := account.Call{Key: "k", Endpoint: account.EndpointMessages, Model: "claude-sonnet-4-5", InputTokens: 3010, MaxTokens: 16, Cache: bp}
	r1 := l.Handle(t0, call)
	r2 := l.Handle(t0, call)
	require.Equal(t, 200, r2.Status)
	assert.Equal(t, int64(20_000-3010), remaining(r1, ratelimit.InputTokens), "the write counts")
	assert.Equal(t, int64(20_000-3010-10), remaining(r2, ratelimit.InputTokens), "the read does not")
	assert.Equal(t, int64(3000), r2.CacheRead)
	assert.True(t, r2.Limits.Dims[ratelimit.Tokens].Present(), "tokens-* is sent without a combined limit")
	assert.Equal(t, int64(20_000+400_000), r2.Limits.Dims[ratelimit.Tokens].Limit)
}

// TestOpenAIReservation: OpenAI reserves prompt + max_tokens at admission, so a request whose
// reservation does not fit is refused even though its actual use would; Anthropic admits it.
func TestOpenAIReservation(t *testing.T) {
	call := account.Call{Key: "k", Endpoint: account.EndpointChat, Model: "gpt-4o-mini", InputTokens: 100, MaxTokens: 800}
	l := ledgerFor(t, "openai", func(cfg *account.Config) {
		SetClassLimits(cfg, "tpm", 1000)
		cfg.OutputTokens = 10
	})
	r1 := l.Handle(t0, call)
	require.Equal(t, 200, r1.Status)
	assert.Equal(t, int64(1000-110), remaining(r1, ratelimit.Tokens), "settled to the 10 tokens generated")
	r2 := l.Handle(t0, call)
	assert.Equal(t, 429, r2.Status, "100 + 800 reserved does not fit in 890")
	assert.Equal(t, "tpm", r2.LimitName)
	assert.Equal(t, account.CauseRateLimit, r2.Cause)
	assert.False(t, r2.Terminal)

	a := ledgerFor(t, "anthropic", func(cfg *account.Config) {
		SetClassLimits(cfg, "itpm", 1000)
		SetClassLimits(cfg, "otpm", 1000)
		cfg.OutputTokens = 10
	})
	call.Endpoint, call.Model = account.EndpointMessages, "claude-sonnet-4-5"
	require.Equal(t, 200, a.Handle(t0, call).Status)
	assert.Equal(t, 200, a.Handle(t0, call).Status, "Anthropic does not reserve max_tokens")
}

func TestBedrockBurndown(t *testing.T) {
	cases := []struct {
		model string
		used  int64
	}{
		{"us.anthropic.claude-sonnet-4-5-20250929-v1:0", 100 + 5*10},
		{"anthropic.claude-opus-4-8-v1:0", 100 + 15*10},
		{"anthropic.claude-3-haiku-20240307-v1:0", 100 + 10},
		{"meta.llama3-70b-instruct-v1:0", 100 + 10},
	}
	for _, c := range cases {
		t.Run(c.model, func(t *testing.T) {
			l := ledgerFor(t, "bedrock", func(cfg *account.Config) {
				SetClassLimits(cfg, "tpm", 10_000)
				cfg.OutputTokens = 10
			})
			r := l.Handle(t0, account.Call{Key: "k", Endpoint: account.EndpointChat, Model: c.model, InputTokens: 100, MaxTokens: 200})
			require.Equal(t, 200, r.Status)
			assert.Equal(t, int64(10_000)-c.used, remaining(r, ratelimit.Tokens))
		})
	}
}

// TestPools: limits are per key and per pool; classes that share a pool share it.
func TestPools(t *testing.T) {
	l := ledgerFor(t, "anthropic", func(cfg *account.Config) { SetClassLimits(cfg, "rpm", 1) })
	call := func(key, model string) int {
		return l.Handle(t0, account.Call{Key: key, Endpoint: account.EndpointMessages, Model: model, InputTokens: 10, MaxTokens: 10}).Status
	}
	require.Equal(t, 200, call("a", "claude-opus-4-8"))
	assert.Equal(t, 429, call("a", "claude-opus-4-5"), "Opus 4.x models share one pool")
	assert.Equal(t, 200, call("a", "claude-opus-5"), "Opus 5 has its own")
	assert.Equal(t, 200, call("a", "claude-sonnet-4-5"), "Sonnet 4.x has its own")
	assert.Equal(t, 200, call("b", "claude-opus-4-8"), "another key has its own budget")

	o := ledgerFor(t, "openai", func(cfg *account.Config) { SetClassLimits(cfg, "rpm", 1) })
	ocall := func(model string) int {
		return o.Handle(t0, account.Call{Key: "a", Endpoint: account.EndpointChat, Model: model, InputTokens: 1, MaxTokens: 1}).Status
	}
	require.Equal(t, 200, ocall("gpt-4o-mini"))
	assert.Equal(t, 200, ocall("gpt-4o"), "OpenAI limits each model")
	assert.Equal(t, 429, ocall("gpt-4o-mini"))
}

func TestTerminalQuotas(t *testing.T) {
	cases := []struct {
		name  string
		spec  string
		e     account.Endpoint
		model string
		set   func(*account.Config)
		n     int // admitted before the terminal refusal
		cause string
		limit string
	}{
		{"requests per day", "openai", account.EndpointChat, "gpt-4o-mini", func(c *account.Config) { c.RequestsPerDay = 3 }, 3, account.CauseDailyQuota, "rpd"},
		{"tokens per day", "bedrock", account.EndpointChat, "anthropic.claude-3-haiku", func(c *account.Config) { SetClassLimits(c, "tpd", 250) }, 2, account.CauseDailyQuota, "tpd"},
		{"gemini free tier's own RPD", "gemini", account.EndpointChat, "gemini-2.5-flash", func(c *account.Config) { SetClassLimits(c, "rpd", 2) }, 2, account.CauseDailyQuota, "rpd"},
		{"spend cap", "anthropic", account.EndpointMessages, "claude-sonnet-4-5", func(c *account.Config) { c.TerminalAfter = 2 }, 2, account.CauseSpendCap, ""},
		{"insufficient quota", "openai", account.EndpointChat, "gpt-4o", func(c *account.Config) { c.TerminalAfter, c.TerminalCause = 1, account.CauseInsufficientQuota }, 1, account.CauseInsufficientQuota, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			l := ledgerFor(t, c.spec, c.set)
			call := account.Call{Key: "k", Endpoint: c.e, Model: c.model, InputTokens: 50, MaxTokens: 50}
			for i := range c.n {
				require.Equal(t, 200, l.Handle(t0.Add(time.Duration(i)*time.Second), call).Status, "request %d", i+1)
			}
			r := l.Handle(t0.Add(time.Minute), call)
			require.Equal(t, 429, r.Status)
			assert.True(t, r.Terminal)
			assert.Equal(t, c.cause, r.Cause)
			assert.Equal(t, c.limit, r.LimitName)
			r = l.Handle(t0.Add(time.Hour), call)
			assert.Equal(t, 429, r.Status, "still refused an hour later")
			assert.Equal(t, 200, l.Handle(t0.Add(time.Hour), account.Call{Key: "other", Endpoint: c.e, Model: c.model, InputTokens: 50, MaxTokens: 50}).Status, "per key")
		})
	}
}

// TestGeminiDayResetsAtMidnightPacific: Gemini's requests per day come back at 00:00
// America/Los_Angeles (08:00 UTC in winter), not a day after the first request.
func TestGeminiDayResetsAtMidnightPacific(t *testing.T) {
	l := ledgerFor(t, "gemini", func(c *account.Config) { SetClassLimits(c, "rpd", 1) })
	call := account.Call{Key: "k", Endpoint: account.EndpointChat, Model: "gemini-2.5-flash", InputTokens: 5, MaxTokens: 5}
	first := time.Date(2026, 12, 7, 7, 0, 0, 0, time.UTC) // 23:00 Pacific on the 6th
	require.Equal(t, 200, l.Handle(first, call).Status)
	r := l.Handle(first.Add(30*time.Minute), call)
	require.Equal(t, 429, r.Status)
	assert.True(t, r.Terminal)
	assert.Equal(t, 30*time.Minute, r.Limits.RetryAfter, "until 08:00 UTC")
	assert.Equal(t, 200, l.Handle(time.Date(2026, 12, 7, 8, 0, 0, 0, time.UTC), call).Status, "a new Pacific day")
}

// TestDailyQuotaConcurrent: concurrent requests never take more than a day's quota.
func TestDailyQuotaConcurrent(t *testing.T) {
	l := ledgerFor(t, "openai", func(c *account.Config) { c.RequestsPerDay = 50 })
	var ok atomic.Int64
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 40 {
				r := l.Handle(t0.Add(time.Duration(g*40+i)*time.Millisecond), account.Call{Key: "k", Endpoint: account.EndpointChat, Model: "gpt-4o-mini", InputTokens: 1, MaxTokens: 1})
				if r.Status == 200 {
					ok.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	assert.Equal(t, int64(50), ok.Load())
}

// TestDefaultMockIsAnthropicEntryTier: the mock without a preset enforces the Anthropic preset's
// entry-level figures for a Sonnet-class model, those of its legacy tier-1-2025 tier and of the
// Evaluation tier that stands in for the unpublished limits below Start: the same limit in
// every dimension, refilled alike a minute later. (Start, the lowest tier Anthropic publishes
// today, is `--preset anthropic`; the default keeps the contract checks' 50 / 30,000 / 8,000.)
func TestDefaultMockIsAnthropicEntryTier(t *testing.T) {
	def, err := account.New(account.DefaultConfig(), 1)
	require.NoError(t, err)
	call := account.Call{Key: "k", Endpoint: account.EndpointMessages, Model: "claude-sonnet-4-5", InputTokens: 1000, MaxTokens: 100}
	want := def.Handle(t0, call)
	require.Equal(t, 200, want.Status)
	for _, spec := range []string{"anthropic:tier-1-2025", "anthropic:evaluation"} {
		t.Run(spec, func(t *testing.T) {
			l := ledgerFor(t, spec, nil)
			got := l.Handle(t0, call)
			require.Equal(t, 200, got.Status)
			for _, d := range []ratelimit.Dimension{ratelimit.Requests, ratelimit.InputTokens, ratelimit.OutputTokens} {
				assert.Equal(t, want.Limits.Dims[d].Limit, got.Limits.Dims[d].Limit, "%v limit", d)
				assert.Equal(t, want.Limits.Dims[d].Remaining, got.Limits.Dims[d].Remaining, "%v remaining", d)
				assert.Equal(t, want.Limits.Dims[d].Reset, got.Limits.Dims[d].Reset, "%v reset", d)
			}
		})
	}
	assert.Equal(t, int64(account.DefaultRPM), want.Limits.Dims[ratelimit.Requests].Limit)
}
