package ratelimit

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// received is the local arrival instant used by the table tests: one hour ahead of the server
// Date of most samples, so any reset measured against the wrong clock shows up.
var (
	sunDate  = mustDate("Sun, 12 Jan 2025 23:10:59 GMT")
	received = sunDate.Add(time.Hour)
)

func TestParseSamples(t *testing.T) {
	gitHubDate := mustDate("Tue, 08 Aug 2023 14:29:23 GMT")
	oktaDate := mustDate("Mon, 15 Apr 2013 14:56:00 GMT")
	openAIDate := mustDate("Mon, 26 May 2025 05:00:04 GMT")
	tests := []struct {
		name   string
		header string
		want   Snapshot
	}{
		{
			name: "anthropic success, all four dimensions (docs format)",
			header: `date: Sun, 12 Jan 2025 23:10:59 GMT
content-type: application/json
request-id: req_018EeWyXxfu5pfWkrYcMdjWG
anthropic-organization-id: 5d0c4c5e-0000-0000-0000-000000000000
` + anthropicDocsLimits + `anthropic-priority-input-tokens-reset: 2025-01-12T23:11:59Z
anthropic-priority-input-tokens-limit: 100000
anthropic-ratelimit-unified-reset: 1736730000
server: cloudflare`,
			want: Snapshot{
				Dialect: DialectAnthropic,
				Dims: [NumDimensions]State{
					Requests:     lrr(50, 49, time.Second, ResetRFC3339),
					Tokens:       lrr(38000, 37000, 2*time.Second, ResetRFC3339),
					InputTokens:  lrr(30000, 29000, 2*time.Second, ResetRFC3339),
					OutputTokens: lrr(8000, 8000, 0, ResetRFC3339),
				},
				ServerDate: sunDate, HasServerDate: true,
			},
		},
		{
			name: "anthropic 429 with retry-after, offset and fractional RFC 3339",
			header: `Date: Sun, 12 Jan 2025 23:10:59 GMT
Retry-After: 12
X-Should-Retry: true
Anthropic-Ratelimit-Requests-Limit: 50
Anthropic-Ratelimit-Requests-Remaining: 0
Anthropic-Ratelimit-Requests-Reset: 2025-01-12T18:11:11-05:00
Anthropic-Ratelimit-Output-Tokens-Reset: 2025-01-12T23:11:00.5Z`,
			want: Snapshot{
				Dialect: DialectAnthropic,
				Dims: [NumDimensions]State{
					Requests:     lrr(50, 0, 12*time.Second, ResetRFC3339),
					OutputTokens: {Reset: 1500 * time.Millisecond, ResetKind: ResetRFC3339, Flags: HasReset},
				},
				RetryAfter: 12 * time.Second, HasRetryAfter: true, ShouldRetry: 1,
				ServerDate: sunDate, HasServerDate: true,
			},
		},
		{
			name: "openai docs example, project-tokens ignored",
			header: `x-ratelimit-limit-requests: 60
x-ratelimit-limit-tokens: 150000
x-ratelimit-remaining-requests: 59
x-ratelimit-remaining-tokens: 149984
x-ratelimit-reset-requests: 1s
x-ratelimit-reset-tokens: 6m0s
x-ratelimit-limit-project-tokens: 60000
x-ratelimit-remaining-project-tokens: 57000
x-ratelimit-reset-project-tokens: 3s`,
			want: Snapshot{
				Dialect: DialectOpenAI,
				Dims: [NumDimensions]State{
					Requests: lrr(60, 59, time.Second, ResetDuration),
					Tokens:   lrr(150000, 149984, 6*time.Minute, ResetDuration),
				},
			},
		},
		{
			name: "openai observed response with usage_based variants",
			header: `date: Mon, 26 May 2025 05:00:04 GMT
x-ratelimit-limit-requests: 5000
x-ratelimit-limit-tokens: 160000
x-ratelimit-limit-tokens_usage_based: 160000
x-ratelimit-remaining-requests: 4999
x-ratelimit-remaining-tokens: 159976
x-ratelimit-remaining-tokens_usage_based: 159976
x-ratelimit-reset-requests: 12ms
x-ratelimit-reset-tokens: 9ms
x-ratelimit-reset-tokens_usage_based: 9ms
x-request-id: req_deaa3616cbd15d33b4db96b3ba74d2b4`,
			want: Snapshot{
				Dialect: DialectOpenAI,
				Dims: [NumDimensions]State{
					Requests: lrr(5000, 4999, 12*time.Millisecond, ResetDuration),
					Tokens:   lrr(160000, 159976, 9*time.Millisecond, ResetDuration),
				},
				ServerDate: openAIDate, HasServerDate: true,
			},
		},
		{
			name: "openai 429 with mixed-unit resets",
			header: `retry-after: 56
x-ratelimit-limit-requests: 1000
x-ratelimit-remaining-requests: 0
x-ratelimit-reset-requests: 2m52.8s
x-ratelimit-limit-tokens: 8000
x-ratelimit-remaining-tokens: 7927
x-ratelimit-reset-tokens: 2s81ms`,
			want: Snapshot{
				Dialect: DialectOpenAI,
				Dims: [NumDimensions]State{
					Requests: lrr(1000, 0, 172800*time.Millisecond, ResetDuration),
					Tokens:   lrr(8000, 7927, 2081*time.Millisecond, ResetDuration),
				},
				RetryAfter: 56 * time.Second, HasRetryAfter: true,
			},
		},
		{
			name: "ietf -11: matching names, the lower remaining wins",
			header: `RateLimit-Policy: "burst";q=100;w=60,"daily";q=1000;w=86400
RateLimit: "burst";r=50;t=30, "daily";r=20;t=86000`,
			want: Snapshot{
				Dialect: DialectIETF,
				Dims: [NumDimensions]State{
					Requests: withWindow(lrr(1000, 20, 86000*time.Second, ResetDeltaS), 86400*time.Second),
				},
			},
		},
		{
			name: "ietf lists split across several field lines",
			header: `RateLimit-Policy: "burst";q=100;w=60
RateLimit-Policy: "daily";q=1000;w=86400
RateLimit: "burst";r=5;t=3
RateLimit: "daily";r=900;t=80000`,
			want: Snapshot{
				Dialect: DialectIETF,
				Dims: [NumDimensions]State{
					Requests: withWindow(lrr(100, 5, 3*time.Second, ResetDeltaS), time.Minute),
				},
			},
		},
		{
			name: "ietf draft example: RateLimit item without a policy of its name",
			header: `RateLimit-Policy: "burst";q=100;w=60,"daily";q=1000;w=86400
RateLimit: "default";r=50;t=30`,
			want: Snapshot{
				Dialect: DialectIETF,
				Dims: [NumDimensions]State{
					Requests: {Remaining: 50, Reset: 30 * time.Second, ResetKind: ResetDeltaS, Flags: HasRemaining | HasReset},
				},
			},
		},
		{
			name: "ietf per-dimension policies named by record name or with dashes",
			header: `RateLimit-Policy: "requests";q=50;w=60, "input_tokens";q=30000;w=60, "output-tokens";q=8000;w=60, "tokens";q=38000
RateLimit: "requests";r=49;t=2, "input_tokens";r=29000;t=4, "output-tokens";r=7000;t=8`,
			want: Snapshot{
				Dialect: DialectIETF,
				Dims: [NumDimensions]State{
					Requests:     withWindow(lrr(50, 49, 2*time.Second, ResetDeltaS), time.Minute),
					Tokens:       {Limit: 38000, Flags: HasLimit},
					InputTokens:  withWindow(lrr(30000, 29000, 4*time.Second, ResetDeltaS), time.Minute),
					OutputTokens: withWindow(lrr(8000, 7000, 8*time.Second, ResetDeltaS), time.Minute),
				},
			},
		},
		{
			name: "ietf quota units: qu maps, untracked units ignored, pk and tokens accepted",
			header: `RateLimit-Policy: "minute";q=10000;qu="tokens";w=60, "bytes";q=1000000;qu="content-bytes", "conc";q=10;qu="concurrent-requests", peruser;q=100;w=60;pk=:cHsdsRa894==:
RateLimit: "minute";r=9000;t=10, "bytes";r=1;t=1, "conc";r=0, peruser;r=7;t=9;pk=:cHsdsRa894==:`,
			want: Snapshot{
				Dialect: DialectIETF,
				Dims: [NumDimensions]State{
					Requests: withWindow(lrr(100, 7, 9*time.Second, ResetDeltaS), time.Minute),
					Tokens:   withWindow(lrr(10000, 9000, 10*time.Second, ResetDeltaS), time.Minute),
				},
			},
		},
		{
			name:   "ietf -07 dictionary",
			header: `RateLimit: limit=100, remaining=50, reset=5`,
			want: Snapshot{
				Dialect: DialectIETFLegacy,
				Dims:    [NumDimensions]State{Requests: lrr(100, 50, 5*time.Second, ResetDeltaS)},
			},
		},
		{
			name: "ietf -06 split fields (draft example)",
			header: `RateLimit-Limit: 10
RateLimit-Remaining: 1
RateLimit-Reset: 7`,
			want: Snapshot{
				Dialect: DialectIETFLegacy,
				Dims:    [NumDimensions]State{Requests: lrr(10, 1, 7*time.Second, ResetDeltaS)},
			},
		},
		{
			name: "ietf -06 with several policies: the window of the advertised one",
			header: `RateLimit-Limit: 50
RateLimit-Remaining: 3
RateLimit-Reset: 20
RateLimit-Policy: 10;w=1, 50;w=60, 1000;w=3600, 5000;w=86400`,
			want: Snapshot{
				Dialect: DialectIETFLegacy,
				Dims:    [NumDimensions]State{Requests: withWindow(lrr(50, 3, 20*time.Second, ResetDeltaS), time.Minute)},
			},
		},
		{
			name: "ietf -06 policy with extra parameters that break RFC 9651 (upper-case key)",
			header: `RateLimit-Remaining: 219
RateLimit-Limit: 300
RateLimit-Reset: 2
RateLimit-Policy: 300;w=5;burst=330;comment="token bucket";category="trigger";cost="bulk";serviceLevel="free"`,
			want: Snapshot{
				Dialect:   DialectIETFLegacy,
				Dims:      [NumDimensions]State{Requests: lrr(300, 219, 2*time.Second, ResetDeltaS)},
				Malformed: 1,
			},
		},
		{
			name: "ietf -06 with epoch-seconds reset",
			header: `Date: Sun, 12 Jan 2025 23:10:59 GMT
RateLimit-Limit: 1000
RateLimit-Remaining: 999
RateLimit-Reset: 1736723519`,
			want: Snapshot{
				Dialect:    DialectIETFLegacy,
				Dims:       [NumDimensions]State{Requests: lrr(1000, 999, time.Minute, ResetEpochS)},
				ServerDate: sunDate, HasServerDate: true,
			},
		},
		{
			name: "github REST",
			header: `date: Tue, 08 Aug 2023 14:29:23 GMT
x-ratelimit-limit: 5000
x-ratelimit-remaining: 4999
x-ratelimit-reset: 1691508563
x-ratelimit-used: 1
x-ratelimit-resource: core`,
			want: Snapshot{
				Dialect:    DialectXRateLimit,
				Dims:       [NumDimensions]State{Requests: lrr(5000, 4999, time.Hour, ResetEpochS)},
				ServerDate: gitHubDate, HasServerDate: true,
			},
		},
		{
			name: "github remaining derived from used",
			header: `X-RateLimit-Limit: 60
X-RateLimit-Used: 12`,
			want: Snapshot{
				Dialect: DialectXRateLimit,
				Dims:    [NumDimensions]State{Requests: {Limit: 60, Remaining: 48, Flags: HasLimit | HasRemaining}},
			},
		},
		{
			name: "okta X-Rate-Limit spelling",
			header: `Date: Mon, 15 Apr 2013 14:56:00 GMT
X-Rate-Limit-Limit: 20
X-Rate-Limit-Remaining: 15
X-Rate-Limit-Reset: 1366037820`,
			want: Snapshot{
				Dialect:    DialectXRateLimit,
				Dims:       [NumDimensions]State{Requests: lrr(20, 15, time.Minute, ResetEpochS)},
				ServerDate: oktaDate, HasServerDate: true,
			},
		},
		{
			name: "x-ratelimit delta seconds (app.net)",
			header: `X-RateLimit-Remaining: 4992
X-RateLimit-Limit: 5000
X-RateLimit-Reset: 2615`,
			want: Snapshot{
				Dialect: DialectXRateLimit,
				Dims:    [NumDimensions]State{Requests: lrr(5000, 4992, 2615*time.Second, ResetDeltaS)},
			},
		},
		{
			name: "x-ratelimit epoch milliseconds",
			header: `Date: Sun, 12 Jan 2025 23:10:59 GMT
X-RateLimit-Limit: 100
X-RateLimit-Remaining: 0
X-RateLimit-Reset: 1736723519500`,
			want: Snapshot{
				Dialect:    DialectXRateLimit,
				Dims:       [NumDimensions]State{Requests: lrr(100, 0, 60500*time.Millisecond, ResetEpochMS)},
				ServerDate: sunDate, HasServerDate: true,
			},
		},
		{
			name: "x-ratelimit HTTP-date reset",
			header: `Date: Sun, 12 Jan 2025 23:10:59 GMT
X-RateLimit-Limit: 100
X-RateLimit-Remaining: 10
X-RateLimit-Reset: Sun, 12 Jan 2025 23:11:59 GMT`,
			want: Snapshot{
				Dialect:    DialectXRateLimit,
				Dims:       [NumDimensions]State{Requests: lrr(100, 10, time.Minute, ResetHTTPDate)},
				ServerDate: sunDate, HasServerDate: true,
			},
		},
		{
			name: "no rate-limit fields at all",
			header: `Content-Type: application/json
Server: nginx`,
			want: Snapshot{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Parse(headerBlock(tt.header), received)
			assert.Equal(t, tt.want, got)
		})
	}
}
