package account

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ratelab/ratelab/internal/strictyaml"
	"github.com/ratelab/ratelab/limiter"
	"github.com/ratelab/ratelab/ratelimit"
)

func TestQuotaPerWindow(t *testing.T) {
	tests := []struct {
		perMinute int64
		window    time.Duration
		want      int64
	}{
		{50, time.Minute, 50},
		{600, 5 * time.Second, 50},
		{60, time.Second, 1},
		{50, time.Second, 0}, // 0.83: less than one
		{30_000, time.Hour, 1_800_000},
		{1 << 62, time.Hour, 1<<63 - 1}, // saturates
	}
	for _, tc := range tests {
		assert.Equal(t, tc.want, quotaPerWindow(tc.perMinute, tc.window), "%d/min over %v", tc.perMinute, tc.window)
	}
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name  string
		set   func(*Config)
		field string // "" when valid
		msg   string
	}{
		{"defaults", func(*Config) {}, "", ""},
		{"negative rate", func(c *Config) { c.Limits.InputTokens.PerMinute = -1 }, "limits.input_tokens.per_minute", "negative"},
		{"unknown algorithm", func(c *Config) { c.Algorithm = "token-buckt" }, "algorithm", "want one of token-bucket"},
		{"unknown dimension algorithm", func(c *Config) { c.Limits.Requests.Algorithm = "x" }, "limits.requests.algorithm", "unknown algorithm"},
		{"window too short for the rate", func(c *Config) { c.Window = time.Second }, "limits.requests.window", "less than one unit per window"},
		{"burst zero", func(c *Config) { c.Limits.Requests.Burst = ptr(int64(0)) }, "limits.requests.burst", "≥ 1"},
		{"burst on a window algorithm", func(c *Config) {
			c.Limits.Requests.Algorithm = limiter.FixedWindow
			c.Limits.Requests.Burst = ptr(int64(5))
		}, "limits.requests.burst", "token-bucket, leaky-bucket and gcra only"},
		{"nodelay on a token bucket", func(c *Config) { c.Limits.Requests.NoDelay = true }, "limits.requests.nodelay", "leaky-bucket only"},
		{"advertise on an off dimension", func(c *Config) { c.Limits.Tokens.Advertise = &Limit{PerMinute: 5} }, "limits.tokens.advertise", "off"},
		{"advertise without a rate", func(c *Config) { c.Limits.Requests.Advertise = &Limit{} }, "limits.requests.advertise.per_minute", "missing"},
		{"nested advertise", func(c *Config) {
			c.Limits.Requests.Advertise = &Limit{PerMinute: 5, Advertise: &Limit{PerMinute: 6}}
		}, "limits.requests.advertise.advertise", "cannot itself"},
		{"dialect", func(c *Config) { c.Dialect = "github" }, "dialect", "unknown dialect"},
		{"error rate", func(c *Config) { c.ErrorRate = 1.5 }, "error_rate", "between 0 and 1"},
		{"rates add up", func(c *Config) { c.ErrorRate, c.OverloadRate = 0.6, 0.6 }, "overload_rate", "exceeds 1"},
		{"accounting", func(c *Config) { c.OutputAccounting = "estimate" }, "output_accounting", "actual, max_tokens or reserved"},
		{"negative latency", func(c *Config) { c.Latency = -time.Second }, "latency", "negative"},
		{"negative reply length", func(c *Config) { c.OutputTokens = -1 }, "output_tokens", "negative"},
		{"negative max accounts", func(c *Config) { c.MaxAccounts = -1 }, "max_accounts", "negative"},
		{"dimension off", func(c *Config) { c.Limits.Requests.PerMinute = 0 }, "", ""},
		{"counter rounding on a token bucket", func(c *Config) { c.Limits.Requests.CounterRounding = limiter.RoundHalfUp }, "limits.requests.counter_rounding", "sliding-window only"},
		{"window start on a sliding window", func(c *Config) {
			c.Algorithm, c.Limits.Requests.WindowStart = limiter.SlidingWindow, limiter.StartFirstRequest
		}, "limits.requests.window_start", "fixed-window only"},
		{"counter rounding with no counter", func(c *Config) { c.CounterRounding = limiter.RoundFractional }, "counter_rounding", "no limit runs sliding-window"},
		{"unknown counter rounding", func(c *Config) { c.Algorithm, c.CounterRounding = limiter.SlidingWindow, "nearest" }, "counter_rounding", "want one of floor, round-half-up, fractional"},
		{"unknown window start", func(c *Config) {
			c.Limits.Requests.Algorithm, c.Limits.Requests.WindowStart = limiter.FixedWindow, "epoch"
		}, "limits.requests.window_start", "want one of clock, first-request"},
		{"unknown reset rounding", func(c *Config) { c.ResetRounding = "ceil" }, "reset_rounding", "want one of up, truncate, fractional"},
		{"unknown remaining rounding", func(c *Config) { c.RemainingRounding = "hundreds" }, "remaining_rounding", "want one of exact, thousands"},
		{"variants where they apply", func(c *Config) {
			c.Algorithm, c.CounterRounding, c.ResetRounding, c.RemainingRounding = limiter.SlidingWindow, limiter.RoundHalfUp, ratelimit.ResetTruncate, ratelimit.RemainingExact
			c.Limits.Requests.Algorithm, c.Limits.Requests.WindowStart = limiter.FixedWindow, limiter.StartFirstRequest
		}, "", ""},
		{"advertise another algorithm", func(c *Config) {
			c.Limits.Requests = Limit{PerMinute: 60, Window: time.Second, Burst: ptr(int64(1)),
				Advertise: &Limit{PerMinute: 60, Algorithm: limiter.FixedWindow}}
		}, "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := DefaultConfig()
			tc.set(&cfg)
			err := cfg.Validate()
			if tc.field == "" {
				require.NoError(t, err)
				_, err = New(cfg, 1)
				require.NoError(t, err)
				return
			}
			var fe *FieldError
			require.True(t, errors.As(err, &fe), "got %v", err)
			assert.Equal(t, tc.field, fe.Field)
			assert.Contains(t, fe.Msg, tc.msg)
			_, err = New(cfg, 1)
			assert.Error(t, err)
		})
	}
}

func TestConfigDescribe(t *testing.T) {
	cfg := DefaultConfig()
	lines, err := cfg.Describe()
	require.NoError(t, err)
	assert.Equal(t, []string{
		"requests: 50 per 1m0s (token-bucket, burst 50, 50/min)",
		"tokens: off",
		"input_tokens: 30000 per 1m0s (token-bucket, burst 30000, 30000/min)",
		"output_tokens: 8000 per 1m0s (token-bucket, burst 8000, 8000/min)",
		"count_tokens: 100 per 1m0s (token-bucket, burst 100, 100/min)",
	}, lines)
	cfg.Algorithm = limiter.LeakyBucket
	cfg.Limits.Requests.NoDelay = true
	cfg.Limits.InputTokens.Algorithm = limiter.SlidingLog
	cfg.Limits.InputTokens.Window = 10 * time.Second
	lines, err = cfg.Describe()
	require.NoError(t, err)
	assert.Equal(t, "requests: 50 per 1m0s (leaky-bucket, queue 50, nodelay, 50/min)", lines[0])
	assert.Equal(t, "input_tokens: 5000 per 10s (sliding-log, 30000/min)", lines[2])
	cfg.Limits.InputTokens = Limit{PerMinute: 600, Algorithm: limiter.SlidingWindow, CounterRounding: limiter.RoundHalfUp}
	cfg.Limits.OutputTokens = Limit{PerMinute: 600, Algorithm: limiter.FixedWindow, WindowStart: limiter.StartFirstRequest}
	lines, err = cfg.Describe()
	require.NoError(t, err)
	assert.Equal(t, "input_tokens: 600 per 1m0s (sliding-window, share round-half-up, 600/min)", lines[2])
	assert.Equal(t, "output_tokens: 600 per 1m0s (fixed-window, opened by the first request, 600/min)", lines[3])
}

func TestLoadConfig(t *testing.T) {
	const file = `# a mock that advertises 60 RPM and enforces 1 per second
algorithm: gcra
window: 30s
limits:
  requests:
    per_minute: 60
    window: 1s
    burst: 1
    advertise: {per_minute: 60, window: 1m}
  tokens: {per_minute: 90000}
  output_tokens: {per_minute: 0}
  input_tokens: {per_minute: 30000, algorithm: sliding-window, counter_rounding: fractional}
  count_tokens: {per_minute: 100, algorithm: fixed-window, window_start: first-request}
dialect: openai
reset_rounding: truncate
remaining_rounding: thousands
latency: 250ms
latency_jitter: 50ms
error_rate: 0.01
overload_rate: 0.02
count_rejected: true
output_accounting: max_tokens
output_tokens: 12
require_key: true
max_accounts: 3
`
	cfg, err := LoadConfig(strings.NewReader(file), "mock.yaml")
	require.NoError(t, err)
	want := DefaultConfig()
	want.Algorithm = limiter.GCRA
	want.Window = 30 * time.Second
	want.Limits.Requests = Limit{PerMinute: 60, Window: time.Second, Burst: ptr(int64(1)), Advertise: &Limit{PerMinute: 60, Window: time.Minute}}
	want.Limits.Tokens.PerMinute = 90000
	want.Limits.OutputTokens.PerMinute = 0
	want.Limits.InputTokens = Limit{PerMinute: 30000, Algorithm: limiter.SlidingWindow, CounterRounding: limiter.RoundFractional}
	want.Limits.CountTokens = Limit{PerMinute: 100, Algorithm: limiter.FixedWindow, WindowStart: limiter.StartFirstRequest}
	want.Dialect = "openai"
	want.ResetRounding, want.RemainingRounding = ratelimit.ResetTruncate, ratelimit.RemainingThousands
	want.Latency, want.LatencyJitter = 250*time.Millisecond, 50*time.Millisecond
	want.ErrorRate, want.OverloadRate = 0.01, 0.02
	want.CountRejected = true
	want.OutputAccounting = AccountMaxTokens
	want.OutputTokens = 12
	want.RequireKey = true
	want.MaxAccounts = 3
	assert.Equal(t, want, cfg)

	// What LoadConfig reads, String writes back.
	again, err := LoadConfig(strings.NewReader(cfg.String()), "again.yaml")
	require.NoError(t, err)
	assert.Equal(t, cfg, again)

	empty, err := LoadConfig(strings.NewReader(""), "empty.yaml")
	require.NoError(t, err)
	assert.Equal(t, DefaultConfig(), empty)
}

func TestLoadConfigErrors(t *testing.T) {
	tests := []struct {
		name string
		file string
		want string // the whole error
	}{
		{"unknown top-level field", "algorithm: gcra\nwindw: 1m\n", `m.yaml:2:1: unknown field "windw"; did you mean "window"?`},
		{"unknown nested field", "limits:\n  requests:\n    per_minte: 5\n",
			`m.yaml:3:5: limits.requests: unknown field "per_minte"; did you mean "per_minute"?`},
		{"unknown dimension", "limits:\n  rpm: {per_minute: 5}\n",
			`m.yaml:2:3: limits: unknown field "rpm"; valid: requests, tokens, input_tokens, output_tokens, count_tokens`},
		{"wrong type", "limits:\n  requests:\n    per_minute: fifty\n",
			`m.yaml:3:17: limits.requests.per_minute: must be a whole number, got "fifty"`},
		{"bad duration", "latency: 5 seconds\n", `m.yaml:1:10: latency: must be a duration such as 30s, 1m30s or 250ms, got "5 seconds"`},
		{"list for a scalar", "dialect: [openai]\n", `m.yaml:1:10: dialect: must be a string, got a list`},
		{"scalar for a mapping", "limits: 5\n", `m.yaml:1:9: limits: must be a mapping of fields (key: value), got "5"`},
		{"invalid value", "algorithm: gcra\nlimits:\n  requests:\n    per_minute: 30\n    window: 1s\n",
			`m.yaml:5:5: limits.requests.window: 30 per minute over a 1s window admits less than one unit per window: raise the rate or lengthen the window`},
		{"invalid value from a default", "window: 1s\n",
			`m.yaml:1:1: limits.requests.window: 50 per minute over a 1s window admits less than one unit per window: raise the rate or lengthen the window`},
		{"syntax", "limits:\n\trequests: {per_minute: 5}\n", `m.yaml:2: invalid YAML: found character that cannot start any token`},
		{"not a mapping", "- 1\n- 2\n", `m.yaml:1:1: must be a mapping of fields (key: value), got a list`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := LoadConfig(strings.NewReader(tc.file), "m.yaml")
			require.Error(t, err)
			var se *strictyaml.Error
			require.ErrorAs(t, err, &se)
			assert.Equal(t, tc.want, err.Error())
		})
	}
	_, err := LoadConfigFile("/nonexistent/mock.yaml")
	assert.ErrorContains(t, err, "/nonexistent/mock.yaml: open /nonexistent/mock.yaml")
}
