package ratelimit

import (
	"math/rand/v2"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// writeNow has a fractional second so that every rounding rule shows.
var writeNow = time.Date(2025, 1, 12, 23, 10, 59, 250_000_000, time.UTC)

func TestWriteExact(t *testing.T) {
	anthropicSnap := Snapshot{
		Dims: [NumDimensions]State{
			Requests:     lrr(50, 49, 750*time.Millisecond, ResetUnknown),        // now+0.75 s = 23:11:00.000 exactly
			Tokens:       lrr(38000, 37499, 1800*time.Millisecond, ResetUnknown), // 23:11:01.05 → :02
			InputTokens:  lrr(30000, 29500, 30*time.Second, ResetUnknown),        // 29500 → 30000 (halves up)
			OutputTokens: lrr(8000, -5, 0, ResetUnknown),                         // negative → 0; now → :00
		},
		RetryAfter: 1200 * time.Millisecond, HasRetryAfter: true,
	}
	ietfSnap := Snapshot{
		Dims: [NumDimensions]State{
			Requests:     withWindow(lrr(50, 49, 1200*time.Millisecond, ResetUnknown), time.Minute),
			Tokens:       {Remaining: 100, Flags: HasRemaining},
			InputTokens:  lrr(30000, 29000, 0, ResetUnknown),
			OutputTokens: {Limit: 8000, Flags: HasLimit},
		},
		RetryAfter: 5 * time.Second, HasRetryAfter: true,
	}
	tests := []struct {
		name    string
		dialect Dialect
		snap    Snapshot
		want    http.Header
	}{
		{
			name: "anthropic", dialect: DialectAnthropic, snap: anthropicSnap,
			want: http.Header{
				"anthropic-ratelimit-requests-limit":          {"50"},
				"anthropic-ratelimit-requests-remaining":      {"49"},
				"anthropic-ratelimit-requests-reset":          {"2025-01-12T23:11:00Z"},
				"anthropic-ratelimit-tokens-limit":            {"38000"},
				"anthropic-ratelimit-tokens-remaining":        {"37000"},
				"anthropic-ratelimit-tokens-reset":            {"2025-01-12T23:11:02Z"},
				"anthropic-ratelimit-input-tokens-limit":      {"30000"},
				"anthropic-ratelimit-input-tokens-remaining":  {"30000"},
				"anthropic-ratelimit-input-tokens-reset":      {"2025-01-12T23:11:30Z"},
				"anthropic-ratelimit-output-tokens-limit":     {"8000"},
				"anthropic-ratelimit-output-tokens-remaining": {"0"},
				"anthropic-ratelimit-output-tokens-reset":     {"2025-01-12T23:11:00Z"},
				"retry-after": {"2"},
			},
		},
		{
			name: "openai", dialect: DialectOpenAI,
			snap: Snapshot{
				Dims: [NumDimensions]State{
					Requests:    lrr(60, 59, time.Second, ResetUnknown),
					Tokens:      lrr(150000, 149984, 6*time.Minute, ResetUnknown),
					InputTokens: lrr(1, 1, time.Second, ResetUnknown), // not expressible: dropped
				},
				RetryAfter: 300 * time.Millisecond, HasRetryAfter: true,
			},
			want: http.Header{
				"x-ratelimit-limit-requests":     {"60"},
				"x-ratelimit-remaining-requests": {"59"},
				"x-ratelimit-reset-requests":     {"1s"},
				"x-ratelimit-limit-tokens":       {"150000"},
				"x-ratelimit-remaining-tokens":   {"149984"},
				"x-ratelimit-reset-tokens":       {"6m0s"},
				"retry-after":                    {"1"},
			},
		},
		{
			name: "ietf", dialect: DialectIETF, snap: ietfSnap,
			want: http.Header{
				"Ratelimit-Policy": {`"requests";q=50;w=60, "input_tokens";q=30000, "output_tokens";q=8000`},
				"Ratelimit":        {`"requests";r=49;t=2, "tokens";r=100, "input_tokens";r=29000;t=0`},
				"Retry-After":      {"5"},
			},
		},
		{
			name: "ietf-legacy writes the most constraining dimension", dialect: DialectIETFLegacy,
			snap: Snapshot{
				Dims: [NumDimensions]State{
					Requests:    withWindow(lrr(50, 49, 1200*time.Millisecond, ResetUnknown), time.Minute),
					InputTokens: withWindow(lrr(30000, 3000, 6*time.Second, ResetUnknown), time.Minute),
				},
			},
			want: http.Header{
				"Ratelimit-Limit":     {"30000"},
				"Ratelimit-Remaining": {"3000"},
				"Ratelimit-Reset":     {"6"},
				"Ratelimit-Policy":    {"30000;w=60"},
			},
		},
		{
			name: "x-ratelimit", dialect: DialectXRateLimit,
			snap: Snapshot{
				Dims: [NumDimensions]State{
					Requests: lrr(5000, 4999, time.Hour, ResetUnknown),
					Tokens:   lrr(1, 1, time.Second, ResetUnknown), // requests only
				},
				RetryAfter: 0, HasRetryAfter: true,
			},
			want: http.Header{
				"X-Ratelimit-Limit":     {"5000"},
				"X-Ratelimit-Remaining": {"4999"},
				"X-Ratelimit-Reset":     {"1736727060"}, // ceil(23:10:59.25 + 1 h) = 00:11:00 = 1736723459 + 3601
				"X-Ratelimit-Used":      {"1"},
				"X-Ratelimit-Resource":  {"requests"},
				"Retry-After":           {"0"},
			},
		},
		{name: "none writes nothing, not even retry-after", dialect: DialectNone, snap: anthropicSnap, want: http.Header{}},
		{name: "nothing present", dialect: DialectAnthropic, snap: Snapshot{}, want: http.Header{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			Write(h, tt.dialect, writeNow, &tt.snap)
			assert.Equal(t, tt.want, h)
		})
	}
}

func TestWriteValuesDoNotShareCapacity(t *testing.T) {
	h := http.Header{}
	s := Snapshot{Dims: [NumDimensions]State{Requests: lrr(50, 49, time.Second, ResetUnknown)}}
	Write(h, DialectAnthropic, writeNow, &s)
	// Write's keys are lower case on purpose (as Anthropic sends them), so index the map directly.
	limitKey, remainingKey := anthropicKeys[Requests][fieldLimit], anthropicKeys[Requests][fieldRemaining]
	h[limitKey] = append(h[limitKey], "extra")
	assert.Equal(t, []string{"49"}, h[remainingKey])
}

func TestAppendOpenAIDuration(t *testing.T) {
	tests := []struct {
		in   time.Duration
		want string
	}{
		{0, "0s"},
		{-time.Second, "0s"},
		{time.Nanosecond, "1ms"},
		{12 * time.Millisecond, "12ms"},
		{999*time.Millisecond + 1, "1s"},
		{time.Second, "1s"},
		{2081 * time.Millisecond, "2s81ms"},
		{61 * time.Second, "1m1s"},
		{6 * time.Minute, "6m0s"},
		{172800 * time.Millisecond, "2m52s800ms"},
		{time.Hour, "1h0m0s"},
		{5*time.Hour + 50*time.Minute + 30*time.Millisecond, "5h50m0s30ms"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			got := string(AppendOpenAIDuration(nil, tt.in))
			assert.Equal(t, tt.want, got)
			back, err := time.ParseDuration(got)
			if assert.NoError(t, err) {
				assert.GreaterOrEqual(t, back, tt.in)
				assert.Less(t, back-max(tt.in, 0), time.Millisecond)
			}
		})
	}
}

func TestWriteAllocations(t *testing.T) {
	s := fullSnapshot()
	h := make(http.Header, 16)
	allocs := testing.AllocsPerRun(100, func() { Write(h, DialectAnthropic, writeNow, &s) })
	assert.LessOrEqual(t, allocs, 2.0, "one string and one slice for all thirteen values")
}

func TestAppendRFC3339SecondsMatchesTime(t *testing.T) {
	instants := []int64{
		0, -1, 86399, 86400, 951782400 /* 2000-02-29 */, 951868800, 4107542400 /* 2100-03-01 */, 1736723459,
		-62167219200, -62167219201, 253402300799, 253402300800, -62135596800, 1 << 40, -(1 << 40),
	}
	rng := rand.New(rand.NewPCG(7, 11))
	for range 10000 {
		instants = append(instants, rng.Int64N(253402300800+62167219200)-62167219200)
	}
	for _, sec := range instants {
		want := time.Unix(sec, 0).UTC().Format(time.RFC3339)
		got := string(appendRFC3339Seconds(nil, sec))
		require.Equal(t, want, got, "unix %d", sec)
	}
}

// TestWriteRoundings: each reset and remaining rounding in each dialect, and what Parse reads
// back from it (the reset against a Date header of writeNow's whole second).
func TestWriteRoundings(t *testing.T) {
	snap := func(r Rounding) Snapshot {
		return Snapshot{Dims: [NumDimensions]State{
			Requests: lrr(20, 7, 2370*time.Millisecond, ResetUnknown), // now+2.37 s = 23:11:01.62
			Tokens:   lrr(90000, 41499, 2370*time.Millisecond, ResetUnknown),
		}, Rounding: r}
	}
	tests := []struct {
		name    string
		dialect Dialect
		r       Rounding
		want    map[string]string
		reset   time.Duration // the requests reset Parse reads back
	}{
		{"anthropic up", DialectAnthropic, Rounding{Reset: ResetUp}, map[string]string{
			"anthropic-ratelimit-requests-reset": "2025-01-12T23:11:02Z", "anthropic-ratelimit-tokens-remaining": "41000"}, 3 * time.Second},
		{"anthropic truncate, remaining exact", DialectAnthropic, Rounding{Reset: ResetTruncate, Remaining: RemainingExact}, map[string]string{
			"anthropic-ratelimit-requests-reset": "2025-01-12T23:11:01Z", "anthropic-ratelimit-tokens-remaining": "41499"}, 2 * time.Second},
		{"anthropic fractional", DialectAnthropic, Rounding{Reset: ResetFractional}, map[string]string{
			"anthropic-ratelimit-requests-reset": "2025-01-12T23:11:01.62Z"}, 2620 * time.Millisecond},
		{"openai up, remaining thousands", DialectOpenAI, Rounding{Reset: ResetUp, Remaining: RemainingThousands}, map[string]string{
			"x-ratelimit-reset-requests": "3s", "x-ratelimit-remaining-tokens": "41000", "x-ratelimit-remaining-requests": "7"}, 3 * time.Second},
		{"openai truncate", DialectOpenAI, Rounding{Reset: ResetTruncate}, map[string]string{"x-ratelimit-reset-requests": "2s"}, 2 * time.Second},
		{"openai as the dialect: milliseconds", DialectOpenAI, Rounding{}, map[string]string{"x-ratelimit-reset-requests": "2s370ms"}, 2370 * time.Millisecond},
		{"ietf truncate", DialectIETF, Rounding{Reset: ResetTruncate}, map[string]string{"Ratelimit": `"requests";r=7;t=2, "tokens";r=41499;t=2`}, 2 * time.Second},
		{"ietf fractional is an Integer, rounded up", DialectIETF, Rounding{Reset: ResetFractional, Remaining: RemainingThousands}, map[string]string{
			"Ratelimit": `"requests";r=7;t=3, "tokens";r=41000;t=3`}, 3 * time.Second},
		{"ietf-legacy fractional", DialectIETFLegacy, Rounding{Reset: ResetFractional}, map[string]string{"Ratelimit-Reset": "2.37"}, 2370 * time.Millisecond},
		{"x-ratelimit truncate", DialectXRateLimit, Rounding{Reset: ResetTruncate}, map[string]string{"X-Ratelimit-Reset": "1736723461"}, 2 * time.Second},
		{"x-ratelimit fractional", DialectXRateLimit, Rounding{Reset: ResetFractional}, map[string]string{"X-Ratelimit-Reset": "1736723461.62"}, 2620 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := snap(tt.r)
			h := http.Header{}
			Write(h, tt.dialect, writeNow, &s)
			for k, v := range tt.want {
				assert.Equal(t, []string{v}, h[k], k)
			}
			var c FieldCache
			hc := http.Header{}
			c.Write(hc, tt.dialect, writeNow, &s)
			assert.Equal(t, h, hc, "FieldCache")
			h.Set("Date", writeNow.Truncate(time.Second).Format(http.TimeFormat))
			got := Parse(h, writeNow)
			require.True(t, got.Dims[Requests].Has(HasReset), "%v", h)
			// (A decimal epoch goes through a float64: exact to a microsecond.)
			assert.InDelta(t, tt.reset, got.Dims[Requests].Reset, float64(time.Microsecond))
		})
	}
}
