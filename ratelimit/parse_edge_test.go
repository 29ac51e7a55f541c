package ratelimit

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseRetryFields(t *testing.T) {
	tests := []struct {
		name        string
		header      string
		retryAfter  time.Duration
		hasRetry    bool
		shouldRetry int8
		malformed   int
	}{
		{name: "integer seconds", header: "Retry-After: 120", retryAfter: 2 * time.Minute, hasRetry: true},
		{name: "float seconds", header: "Retry-After: 1.5", retryAfter: 1500 * time.Millisecond, hasRetry: true},
		{name: "zero", header: "Retry-After: 0", hasRetry: true},
		{name: "negative clamps to zero", header: "Retry-After: -3", hasRetry: true},
		{name: "IMF-fixdate against Date", header: "Date: Sun, 12 Jan 2025 23:10:59 GMT\nRetry-After: Sun, 12 Jan 2025 23:11:29 GMT", retryAfter: 30 * time.Second, hasRetry: true},
		{name: "RFC 850 date", header: "Date: Sun, 12 Jan 2025 23:10:59 GMT\nRetry-After: Sunday, 12-Jan-25 23:11:09 GMT", retryAfter: 10 * time.Second, hasRetry: true},
		{name: "asctime date", header: "Date: Sun, 12 Jan 2025 23:10:59 GMT\nRetry-After: Sun Jan 12 23:11:04 2025", retryAfter: 5 * time.Second, hasRetry: true},
		{name: "date in the past clamps to zero", header: "Date: Sun, 12 Jan 2025 23:10:59 GMT\nRetry-After: Fri, 31 Dec 1999 23:59:59 GMT", hasRetry: true},
		{name: "retry-after-ms takes precedence", header: "Retry-After: 2\nretry-after-ms: 1500.5", retryAfter: 1500500 * time.Microsecond, hasRetry: true},
		{name: "negative retry-after-ms clamps to zero", header: "Retry-After: 2\nretry-after-ms: -100", hasRetry: true},
		{name: "malformed retry-after-ms falls back", header: "Retry-After: 2\nretry-after-ms: soon", retryAfter: 2 * time.Second, hasRetry: true, malformed: 1},
		{name: "malformed retry-after", header: "Retry-After: in a while", malformed: 1},
		{name: "AWS x-amz-retry-after is milliseconds", header: "x-amz-retry-after: 2500", retryAfter: 2500 * time.Millisecond, hasRetry: true},
		{name: "retry-after-ms wins over x-amz-retry-after", header: "X-Amz-Retry-After: 2500\nRetry-After-Ms: 100", retryAfter: 100 * time.Millisecond, hasRetry: true},
		{name: "exponent form is not delay-seconds", header: "Retry-After: 1e3", malformed: 1},
		{name: "huge value saturates", header: "Retry-After: 99999999999999999999", retryAfter: time.Duration(1<<63 - 1), hasRetry: true},
		{name: "x-should-retry true", header: "x-should-retry: true", shouldRetry: 1},
		{name: "x-should-retry false", header: "x-should-retry: false", shouldRetry: -1},
		{name: "x-should-retry garbage", header: "x-should-retry: maybe", malformed: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Parse(headerBlock(tt.header), received)
			assert.Equal(t, tt.retryAfter, got.RetryAfter)
			assert.Equal(t, tt.hasRetry, got.HasRetryAfter)
			assert.Equal(t, tt.shouldRetry, got.ShouldRetry)
			assert.Equal(t, tt.malformed, got.Malformed)
			assert.Equal(t, DialectNone, got.Dialect)
		})
	}
}

// TestParseDateSkew: the server's clock is an hour behind ours. Absolute resets measured against
// its Date header give the true delay; measured against our clock they would all be "past".
func TestParseDateSkew(t *testing.T) {
	serverNow := sunDate
	local := serverNow.Add(time.Hour)
	h := headerBlock(`Date: Sun, 12 Jan 2025 23:10:59 GMT
anthropic-ratelimit-requests-reset: 2025-01-12T23:11:29Z
retry-after: Sun, 12 Jan 2025 23:11:09 GMT`)
	got := Parse(h, local)
	require.True(t, got.HasServerDate)
	assert.Equal(t, serverNow, got.ServerDate)
	assert.Equal(t, 30*time.Second, got.Dims[Requests].Reset)
	assert.Equal(t, 10*time.Second, got.RetryAfter)

	for _, hdr := range []string{
		"X-RateLimit-Reset: 1736723489",    // epoch seconds
		"X-RateLimit-Reset: 1736723489000", // epoch milliseconds
	} {
		got := Parse(headerBlock("Date: Sun, 12 Jan 2025 23:10:59 GMT\n"+hdr), local)
		assert.Equal(t, 30*time.Second, got.Dims[Requests].Reset, hdr)
	}

	h.Del("Date")
	got = Parse(h, local)
	assert.False(t, got.HasServerDate)
	assert.Equal(t, time.Duration(0), got.Dims[Requests].Reset, "without Date the skewed reset is already past by our clock")

	// Delta forms need no clock at all.
	got = Parse(headerBlock("Date: Sun, 12 Jan 2025 23:10:59 GMT\nx-ratelimit-reset-requests: 30s"), local)
	assert.Equal(t, 30*time.Second, got.Dims[Requests].Reset)
}

func TestParseMalformed(t *testing.T) {
	tests := []struct {
		name      string
		header    string
		malformed int
		dialect   Dialect
		dims      [NumDimensions]State
	}{
		{
			name: "anthropic values, each bad one counted",
			header: `anthropic-ratelimit-requests-limit: fifty
anthropic-ratelimit-requests-remaining: 4 9
anthropic-ratelimit-requests-reset: tomorrow
anthropic-ratelimit-tokens-limit: 38000`,
			malformed: 3,
			dialect:   DialectAnthropic,
			dims:      [NumDimensions]State{Tokens: {Limit: 38000, Flags: HasLimit}},
		},
		{
			name:      "bad Date is ignored and counted; reset then measured against received",
			header:    "Date: yesterday\nx-ratelimit-reset-requests: soon\nx-ratelimit-limit-requests: -1",
			malformed: 3,
		},
		{
			name:      "negative remaining is an overdraft, not an error",
			header:    "x-ratelimit-remaining-tokens: -27689",
			dialect:   DialectOpenAI,
			dims:      [NumDimensions]State{Tokens: {Remaining: -27689, Flags: HasRemaining}},
			malformed: 0,
		},
		{
			name:      "ietf lists with syntax errors are ignored whole",
			header:    "RateLimit-Policy: \"burst\";q=100;w=60,\nRateLimit: \"burst\";r=5;t=3, \"day",
			malformed: 2,
		},
		{
			name:      "ietf items missing required parameters or with bad values",
			header:    `RateLimit-Policy: "a";w=60, "b";q=-1, "requests";q=10;w=0, 3.5` + "\n" + `RateLimit: "requests";t=3, "requests";r=4;t=-1, 7;r=1`,
			malformed: 7,
			dialect:   DialectIETF,
			dims:      [NumDimensions]State{Requests: {Limit: 10, Remaining: 4, Flags: HasLimit | HasRemaining}},
		},
		{
			name:      "-07 dictionary with a non-integer member",
			header:    `RateLimit: limit=100, remaining="many", reset=5, other=?1`,
			malformed: 1,
			dialect:   DialectIETFLegacy,
			dims:      [NumDimensions]State{Requests: {Limit: 100, Reset: 5 * time.Second, ResetKind: ResetDeltaS, Flags: HasLimit | HasReset}},
		},
		{
			name:      "bare numbers out of range",
			header:    "X-RateLimit-Reset: 1e9\nX-RateLimit-Limit: 99999999999999999999\nRateLimit-Reset: 9999999999999999",
			malformed: 3,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Parse(headerBlock(tt.header), received)
			assert.Equal(t, tt.malformed, got.Malformed)
			assert.Equal(t, tt.dialect, got.Dialect)
			assert.Equal(t, tt.dims, got.Dims)
		})
	}
}

func TestParsePrecedence(t *testing.T) {
	tests := []struct {
		name    string
		header  string
		dialect Dialect
		limit   int64
	}{
		{"anthropic over x-ratelimit", "anthropic-ratelimit-requests-limit: 50\nx-ratelimit-limit: 5000", DialectAnthropic, 50},
		{"openai over github on the same prefix", "x-ratelimit-limit: 5000\nx-ratelimit-limit-requests: 60", DialectOpenAI, 60},
		{"ietf over legacy", "RateLimit-Limit: 10\nRateLimit-Policy: \"requests\";q=100;w=60", DialectIETF, 100},
		{"legacy over x-ratelimit", "X-RateLimit-Limit: 5000\nRateLimit-Limit: 10", DialectIETFLegacy, 10},
		{"an unreadable dialect yields to the next", "anthropic-ratelimit-requests-limit: n/a\nx-ratelimit-limit: 5000", DialectXRateLimit, 5000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Parse(headerBlock(tt.header), received)
			assert.Equal(t, tt.dialect, got.Dialect)
			assert.Equal(t, tt.limit, got.Dims[Requests].Limit)
		})
	}
}

// TestParseAllocations: Parse runs on every response; for well-formed headers of every dialect
// (the benchmark samples) it allocates nothing.
func TestParseAllocations(t *testing.T) {
	for _, bh := range benchHeaders {
		h := headerBlock(bh.block)
		allocs := testing.AllocsPerRun(100, func() { _ = Parse(h, received) })
		assert.Zero(t, allocs, bh.name)
	}
}

// TestParseAzure: Azure OpenAI's headers (the quota-management page's table and a captured 429)
// read as the openai dialect: bare-integer resets as seconds, retry-after-ms before retry-after.
func TestParseAzure(t *testing.T) {
	got := Parse(headerBlock("x-ratelimit-limit-requests: 8\nx-ratelimit-limit-tokens: 8000\n"+
		"x-ratelimit-remaining-requests: 7\nx-ratelimit-remaining-tokens: 1014\nx-ratelimit-reset-tokens: 300\n"+
		"retry-after-ms: 2000\nretry-after: 2"), received)
	assert.Equal(t, DialectOpenAI, got.Dialect)
	assert.Equal(t, int64(7), got.Dims[Requests].Remaining)
	assert.Equal(t, int64(1014), got.Dims[Tokens].Remaining)
	assert.Equal(t, 300*time.Second, got.Dims[Tokens].Reset)
	assert.Equal(t, 2*time.Second, got.RetryAfter)
	w, ok := got.Hint()
	assert.True(t, ok)
	assert.Equal(t, 2*time.Second, w)
	body := Snapshot{BodyRetryAfter: 26 * time.Second, HasBodyRetryAfter: true}
	w, ok = body.Hint()
	assert.True(t, ok)
	assert.Equal(t, 26*time.Second, w, "without a header the body's wait is the hint")
}
