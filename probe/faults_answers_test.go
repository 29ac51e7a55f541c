package probe

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ratelab/ratelab/ratelimit"
	"github.com/ratelab/ratelab/record"
)

// Targets that answer, but badly: garbage or contradictory rate-limit headers, 200 with an
// error body, 429 forever, retry-after of a day or negative.

// answer returns a handler that sets hdr (one "name: value" per line) and answers status with
// body.
func answer(status int, hdr, body string) func(*faultServer, http.ResponseWriter, *http.Request) {
	return func(_ *faultServer, w http.ResponseWriter, _ *http.Request) {
		for _, line := range strings.Split(strings.TrimSpace(hdr), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok {
				w.Header().Add(strings.TrimSpace(k), strings.TrimSpace(v))
			}
		}
		w.WriteHeader(status)
		io.WriteString(w, body)
	}
}

const anthropic429 = `{"type":"error","error":{"type":"rate_limit_error","message":"Number of requests has exceeded your per-minute rate limit"}}`

func TestFaultGarbageHeaders(t *testing.T) {
	in1s := func() string { return time.Now().Add(time.Second).UTC().Format(time.RFC3339) }
	for _, tc := range []struct {
		name      string
		hdr       string
		malformed int
		check     func(t *testing.T, a *record.Attempt)
	}{
		{"remaining above limit", "anthropic-ratelimit-requests-limit: 10\nanthropic-ratelimit-requests-remaining: 50\nanthropic-ratelimit-requests-reset: " + in1s() + "\nretry-after: 0", 0,
			func(t *testing.T, a *record.Attempt) {
				r := a.Limits[ratelimit.Requests]
				assert.Equal(t, ratelimit.DialectAnthropic, a.Dialect)
				assert.Equal(t, int64(10), r.Limit, "kept as the server said it")
				assert.Equal(t, int64(50), r.Remaining)
			}},
		{"negative values", "anthropic-ratelimit-requests-limit: -1\nanthropic-ratelimit-requests-remaining: -5\nanthropic-ratelimit-requests-reset: -3\nretry-after: -1", 1,
			func(t *testing.T, a *record.Attempt) {
				r := a.Limits[ratelimit.Requests]
				assert.False(t, r.Has(ratelimit.HasLimit), "a negative limit is malformed")
				assert.Equal(t, int64(-5), r.Remaining, "an overdraft is kept")
				assert.Zero(t, r.Reset, "a reset in the past is now")
				assert.True(t, a.HasRetryAfter)
				assert.Zero(t, a.RetryAfter, "a negative retry-after is 0")
			}},
		{"two dialects disagree", "anthropic-ratelimit-requests-limit: 50\nanthropic-ratelimit-requests-remaining: 49\nx-ratelimit-limit-requests: 5\nx-ratelimit-remaining-requests: 0\nRateLimit: \"default\";r=0;t=3600\nRateLimit-Policy: \"default\";q=1;w=3600\nretry-after: 0", 0,
			func(t *testing.T, a *record.Attempt) {
				r := a.Limits[ratelimit.Requests]
				assert.Equal(t, ratelimit.DialectAnthropic, a.Dialect, "the first dialect in precedence order wins")
				assert.Equal(t, int64(50), r.Limit)
				assert.Equal(t, int64(49), r.Remaining)
			}},
		{"unparseable", "anthropic-ratelimit-requests-limit: fifty\nanthropic-ratelimit-requests-remaining: 4 9\nanthropic-ratelimit-requests-reset: soon\nretry-after: later\nretry-after-ms: NaN\nx-should-retry: maybe\ndate: yesterday", 7,
			func(t *testing.T, a *record.Attempt) {
				assert.False(t, a.Limits[ratelimit.Requests].Present())
				assert.False(t, a.HasRetryAfter)
				assert.False(t, a.HasServerDate)
				assert.Zero(t, a.ShouldRetry)
			}},
		{"huge values", "anthropic-ratelimit-requests-limit: 99999999999999999999999\nanthropic-ratelimit-requests-remaining: 1e300\nanthropic-ratelimit-requests-reset: 1e300\nretry-after: 99999999999999999999999", 3,
			func(t *testing.T, a *record.Attempt) {
				assert.False(t, a.Limits[ratelimit.Requests].Present(), "counts past int64 and exponents are malformed")
				assert.True(t, a.HasRetryAfter)
				assert.Greater(t, a.RetryAfter, time.Duration(9e9)*time.Second, "a huge retry-after saturates at the longest duration")
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			leakCheck(t)
			srv := newFaultServer(t, answer(http.StatusTooManyRequests, tc.hdr, anthropic429))
			for _, strategy := range []string{
				"header-pacing(base=1ms,cap=2ms,max-attempts=3,max-elapsed=300ms,poll=5ms)",
				"retry-after(base=1ms,cap=2ms,max-attempts=3,max-elapsed=300ms)",
			} {
				fr := runFaults(t, anthropicTarget(srv.URL), strategy, func(o *Options) { o.MaxElapsed = 400 * time.Millisecond })
				fr.eachChain(t, 0, func(a *record.Attempt, last bool) {
					if a.ClientRejected {
						// header-pacing may hold a request on such headers; the engine's
						// bound ends the hold, and the record says so.
						assert.Contains(t, a.Error, "held by the strategy past the max elapsed 400ms", strategy)
						assert.True(t, last)
						return
					}
					assert.Equal(t, 429, a.Status, strategy)
					assert.Empty(t, a.Error)
					assert.Equal(t, tc.malformed, a.MalformedHdrs, "%s: malformed header values counted", strategy)
					tc.check(t, a)
				})
				for id, as := range fr.chains {
					assert.LessOrEqual(t, len(as), 3, "%s: request %d within max attempts", strategy, id)
				}
				fr.failedAll(t)
				assert.Less(t, fr.wall, 3*time.Second, "%s: no unbounded wait", strategy)
			}
		})
	}
}

func TestFaultOKWithErrorBody(t *testing.T) {
	for _, tc := range []struct {
		name, body, err string
	}{
		{"anthropic error", `{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}`,
			"status 200 with an error body: overloaded_error: Overloaded"},
		{"openai error", `{"error":{"message":"The server had an error while processing your request.","type":"server_error","param":null,"code":null}}`,
			"status 200 with an error body: server_error: The server had an error while processing your request."},
		{"html", `<html><body>502 Bad Gateway</body></html>`, "status 200 with a body that is not JSON (41 bytes)"},
		{"empty", ``, "status 200 with a body that is not JSON (0 bytes)"},
		{"key echoed", `{"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key ` + fakeKey + `"}}`,
			"status 200 with an error body: authentication_error: invalid x-api-key [redacted]"},
		{"long message", `{"error":{"type":"x","message":"` + strings.Repeat("é", 300) + `"}}`,
			"status 200 with an error body: x: " + strings.Repeat("é", 100) + "…"},
		{"negative usage", `{"type":"message","usage":{"input_tokens":-5,"output_tokens":1e30}}`, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			leakCheck(t)
			srv := newFaultServer(t, answer(http.StatusOK, "content-type: application/json", tc.body))
			fr := runFaults(t, anthropicTarget(srv.URL), retry3, nil)
			// The SDKs decode a 2xx as the answer and never retry it; so does the engine, and the
			// record says what was wrong with it.
			fr.eachChain(t, 1, func(a *record.Attempt, last bool) {
				assert.Equal(t, 200, a.Status)
				assert.Equal(t, tc.err, a.Error)
				assert.Zero(t, a.InputTokens, "no usage from an error or a nonsensical count")
				assert.Zero(t, a.OutputTokens)
				assert.NotContains(t, a.Error, fakeKey)
			})
			assert.Equal(t, int64(faultRequests), fr.open.Succeeded+fr.closed.Succeeded)
		})
	}
}

func TestFault429Forever(t *testing.T) {
	dayAhead := time.Now().Add(24 * time.Hour).UTC().Format(http.TimeFormat)
	for _, tc := range []struct {
		name     string
		hdr      string
		strategy string
		// attempts per logical request (0: checked by check alone); expired: requests the
		// engine's max elapsed ended.
		attempts, expired int
		check             func(t *testing.T, as []record.Attempt)
	}{
		{"bounded by max attempts", "retry-after: 0", "full-jitter(base=1ms,cap=5ms,max-attempts=4)", 4, 0, nil},
		{"bounded by max elapsed", "", "full-jitter(base=5ms,cap=20ms,max-elapsed=150ms)", 0, 0,
			func(t *testing.T, as []record.Attempt) {
				assert.Greater(t, len(as), 2, "it retried")
				span := as[len(as)-1].Scheduled - as[0].Scheduled
				assert.LessOrEqual(t, span, 150*time.Millisecond, "no attempt due more than max elapsed after the request was scheduled")
			}},
		{"retry-after of a day, strategy gives up", "retry-after: 86400", "retry-after(max-elapsed=1m)", 1, 0,
			func(t *testing.T, as []record.Attempt) {
				assert.Equal(t, 24*time.Hour, as[0].RetryAfter, "the record shows why the policy gave up")
			}},
		{"retry-after HTTP-date a day ahead", "retry-after: " + dayAhead, "retry-after(max-elapsed=1m)", 1, 0,
			func(t *testing.T, as []record.Attempt) {
				assert.InDelta(t, 24*time.Hour, as[0].RetryAfter, float64(5*time.Second))
			}},
		{"retry-after of a day is terminal, even for an SDK that would wait", "retry-after: 86400", "anthropic-sdk", 1, 0,
			func(t *testing.T, as []record.Attempt) {
				assert.Equal(t, 24*time.Hour, as[0].RetryAfter)
				assert.Contains(t, as[0].GaveUp, "terminal: the server asks to wait 24h0m0s")
			}},
		{"retry-after of a day, SDK told to retry terminal refusals", "retry-after: 86400", "anthropic-sdk(retry-terminal=1)", 1, faultRequests,
			func(t *testing.T, as []record.Attempt) {
				assert.Equal(t, 24*time.Hour, as[0].RetryAfter)
			}},
		{"retry-after of a day pauses a pacing fleet", "retry-after: 86400\nanthropic-ratelimit-requests-limit: 50\nanthropic-ratelimit-requests-remaining: 0",
			// The first request of each phase gives up by the strategy's max elapsed; the
			// others are held by the fleet's pause until the engine's max elapsed ends them.
			"header-pacing(max-elapsed=1m)", 0, 2, nil},
		{"remaining 0 until tomorrow", "anthropic-ratelimit-requests-limit: 50\nanthropic-ratelimit-requests-remaining: 0\nanthropic-ratelimit-requests-reset: " + time.Now().Add(24*time.Hour).UTC().Format(time.RFC3339),
			// Every request, retry or first attempt, is held for a day: the engine ends each.
			"header-pacing(max-elapsed=1m)", 0, faultRequests, nil},
		{"negative retry-after", "retry-after: -30", "retry-after(max-attempts=4)", 4, 0,
			func(t *testing.T, as []record.Attempt) {
				for _, a := range as {
					assert.True(t, a.HasRetryAfter)
					assert.Zero(t, a.RetryAfter, "clamped to 0: retry at once")
				}
			}},
		{"negative retry-after-ms", "retry-after-ms: -5\nretry-after: 3", "anthropic-sdk", 3, 0,
			func(t *testing.T, as []record.Attempt) {
				assert.Zero(t, as[0].RetryAfter, "retry-after-ms wins over retry-after, clamped to 0")
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			leakCheck(t)
			srv := newFaultServer(t, answer(http.StatusTooManyRequests, tc.hdr, anthropic429))
			fr := runFaults(t, anthropicTarget(srv.URL), tc.strategy, func(o *Options) { o.MaxElapsed = 500 * time.Millisecond })
			require.NotEmpty(t, fr.chains)
			for id, as := range fr.chains {
				if tc.attempts > 0 {
					assert.Len(t, as, tc.attempts, "request %d", id)
				}
				for _, a := range as {
					if a.ClientRejected {
						assert.Contains(t, a.Error, "max elapsed 500ms", "a request held past the bound says so")
						continue
					}
					assert.Equal(t, 429, a.Status)
				}
				if tc.check != nil {
					tc.check(t, as)
				}
			}
			fr.failedAll(t)
			assert.Equal(t, int64(tc.expired), fr.open.Expired+fr.closed.Expired, "requests ended by the engine's max elapsed")
			assert.Less(t, fr.wall, 3*time.Second, "no unbounded wait")
		})
	}
}
