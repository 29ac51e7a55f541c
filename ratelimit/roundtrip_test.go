package ratelimit

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// roundTripCase is one snapshot the test server writes in one dialect.
type roundTripCase struct {
	dialect Dialect
	snap    Snapshot
}

// randomSnapshot draws a snapshot whose fields are each present with high probability, with
// remaining in [0, limit], resets up to two hours with nanosecond detail, whole-second windows
// and, half the time, a retry-after.
func randomSnapshot(rng *rand.Rand) Snapshot {
	var s Snapshot
	for d := range NumDimensions {
		if rng.IntN(5) == 0 {
			continue
		}
		st := &s.Dims[d]
		limit := 1 + rng.Int64N(10_000_000)
		if rng.IntN(8) != 0 {
			st.Limit, st.Flags = limit, st.Flags|HasLimit
		}
		if rng.IntN(8) != 0 {
			st.Remaining, st.Flags = rng.Int64N(limit+1), st.Flags|HasRemaining
		}
		if rng.IntN(8) != 0 {
			st.Reset, st.Flags = time.Duration(rng.Int64N(int64(2*time.Hour))), st.Flags|HasReset
		}
		if rng.IntN(2) == 0 {
			st.Window, st.Flags = time.Duration(1+rng.Int64N(86400))*time.Second, st.Flags|HasWindow
		}
	}
	if rng.IntN(2) == 0 {
		s.RetryAfter, s.HasRetryAfter = time.Duration(rng.Int64N(int64(2*time.Minute))), true
	}
	if rng.IntN(10) == 0 {
		s.RetryAfter = 0
	}
	return s
}

// TestRoundTripOverHTTP writes snapshots in every dialect from a real net/http server on
// 127.0.0.1 and parses what a net/http client receives (canonicalized names, server-set Date),
// checking each dialect recovers what it can carry, within its documented rounding.
func TestRoundTripOverHTTP(t *testing.T) {
	rng := rand.New(rand.NewPCG(20250112, 1))
	var cases []roundTripCase
	for d := range numDialects {
		cases = append(cases, roundTripCase{dialect: d, snap: Snapshot{
			Dims: [NumDimensions]State{
				Requests:     withWindow(lrr(50, 0, 1200*time.Millisecond, ResetUnknown), time.Minute),
				Tokens:       lrr(38000, 1499, 59*time.Second, ResetUnknown),
				InputTokens:  lrr(30000, 30000, 0, ResetUnknown),
				OutputTokens: withWindow(lrr(8000, 7000, 2*time.Hour, ResetUnknown), time.Minute),
			},
			RetryAfter: 1200 * time.Millisecond, HasRetryAfter: true,
		}})
		for range 60 {
			cases = append(cases, roundTripCase{dialect: d, snap: randomSnapshot(rng)})
		}
	}

	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		i, err := strconv.Atoi(r.URL.Query().Get("case"))
		if err != nil || i < 0 || i >= len(cases) {
			http.Error(w, "bad case", http.StatusBadRequest)
			return
		}
		now := time.Now()
		c := cases[i]
		Write(w.Header(), c.dialect, now, &c.snap)
		w.Header()["X-Test-Now"] = []string{strconv.FormatInt(now.UnixNano(), 10)}
		w.WriteHeader(http.StatusTooManyRequests)
	}))
	defer srv.Close()
	client := srv.Client()

	for i, c := range cases {
		t.Run(fmt.Sprintf("%s/%d", c.dialect, i), func(t *testing.T) {
			resp, err := client.Get(srv.URL + "/?case=" + strconv.Itoa(i))
			require.NoError(t, err)
			require.NoError(t, resp.Body.Close())
			require.Equal(t, http.StatusTooManyRequests, resp.StatusCode)
			nanos, err := strconv.ParseInt(resp.Header.Get("X-Test-Now"), 10, 64)
			require.NoError(t, err)
			now := time.Unix(0, nanos)
			got := Parse(resp.Header, time.Now())
			require.True(t, got.HasServerDate, "net/http sets Date")
			assert.Zero(t, got.Malformed)
			checkRoundTrip(t, c, now, got, resp.Header)
		})
	}
}

func checkRoundTrip(t *testing.T, c roundTripCase, now time.Time, got Snapshot, h http.Header) {
	t.Helper()
	want := &c.snap
	if c.dialect == DialectNone {
		assert.Equal(t, Snapshot{ServerDate: got.ServerDate, HasServerDate: true}, got)
		for k := range h {
			assert.Contains(t, []string{"Date", "Content-Length", "X-Test-Now"}, k)
		}
		return
	}

	if want.HasRetryAfter {
		assert.True(t, got.HasRetryAfter)
		assert.GreaterOrEqual(t, got.RetryAfter, want.RetryAfter, "retry-after rounds up")
		assert.Less(t, got.RetryAfter-want.RetryAfter, time.Second)
		if want.RetryAfter > 0 {
			assert.GreaterOrEqual(t, got.RetryAfter, time.Second)
		}
	} else {
		assert.False(t, got.HasRetryAfter)
	}

	// carried lists which written dimension each parsed dimension holds.
	var carried [NumDimensions]Dimension
	var present [NumDimensions]bool
	switch c.dialect {
	case DialectAnthropic, DialectIETF:
		for d := range NumDimensions {
			carried[d], present[d] = d, true
		}
	case DialectOpenAI:
		carried[Requests], present[Requests] = Requests, true
		carried[Tokens], present[Tokens] = Tokens, true
	case DialectIETFLegacy:
		if d, ok := mostConstraining(want); ok {
			carried[Requests], present[Requests] = d, true
		}
	case DialectXRateLimit:
		carried[Requests], present[Requests] = Requests, true
	}
	// expect holds, per parsed dimension, the written state reduced to what the dialect carries.
	var expect [NumDimensions]State
	anyWritten := false
	for d := range NumDimensions {
		if !present[d] {
			continue
		}
		w := want.Dims[carried[d]]
		switch c.dialect {
		case DialectIETF:
			if !w.Has(HasRemaining) {
				w.Flags &^= HasReset // t travels only on a RateLimit item, which needs r
			}
			if !w.Has(HasLimit) {
				w.Flags &^= HasWindow // w travels only on a policy item, which needs q
			}
		case DialectIETFLegacy:
			if !w.Has(HasLimit) {
				w.Flags &^= HasWindow
			}
		default:
			w.Flags &^= HasWindow
		}
		expect[d] = w
		anyWritten = anyWritten || w.Present()
	}
	if !anyWritten {
		assert.Equal(t, DialectNone, got.Dialect)
		return
	}
	assert.Equal(t, c.dialect, got.Dialect)

	for d := range NumDimensions {
		g, w := got.Dims[d], expect[d]
		if !present[d] {
			assert.False(t, g.Present(), "dimension %s is not carried by %s", d, c.dialect)
			continue
		}
		assert.Equal(t, w.Flags, g.Flags, "flags of %s", d)
		if w.Has(HasLimit) {
			assert.Equal(t, w.Limit, g.Limit, "limit of %s", d)
		}
		if w.Has(HasRemaining) {
			if c.dialect == DialectAnthropic && carried[d] != Requests {
				assert.InDelta(t, w.Remaining, g.Remaining, 500, "anthropic token remaining is rounded to thousands")
				assert.Zero(t, g.Remaining%1000)
			} else {
				assert.Equal(t, w.Remaining, g.Remaining, "remaining of %s", d)
			}
		}
		if w.Has(HasWindow) {
			assert.Equal(t, w.Window, g.Window, "window of %s", d)
		}
		if w.Has(HasReset) {
			checkReset(t, c.dialect, now, w.Reset, got, g)
		}
	}
}

// checkReset checks a parsed reset against the written one. Delta dialects round the delay
// up (OpenAI to the millisecond, IETF to the second). Absolute dialects round the instant up to
// the second and Parse measures it from the server's Date, which net/http truncates to the
// second: the recovered instant Date+Reset is the written instant rounded up, hence within a
// second of the truth (or the reset had already passed by Date).
func checkReset(t *testing.T, d Dialect, now time.Time, want time.Duration, got Snapshot, g State) {
	t.Helper()
	switch d {
	case DialectOpenAI:
		assert.Equal(t, ResetDuration, g.ResetKind)
		assert.GreaterOrEqual(t, g.Reset, want)
		assert.Less(t, g.Reset-want, time.Millisecond)
	case DialectIETF, DialectIETFLegacy:
		assert.Equal(t, ResetDeltaS, g.ResetKind)
		assert.GreaterOrEqual(t, g.Reset, want)
		assert.Less(t, g.Reset-want, time.Second)
	case DialectAnthropic, DialectXRateLimit:
		kind := ResetRFC3339
		if d == DialectXRateLimit {
			kind = ResetEpochS
		}
		assert.Equal(t, kind, g.ResetKind)
		truth := now.Add(want)
		written := ceilInstant(now, want)
		if written.After(got.ServerDate) {
			recovered := got.ServerDate.Add(g.Reset)
			assert.True(t, recovered.Equal(written), "recovered %v, written %v", recovered, written)
			assert.Less(t, recovered.Sub(truth), time.Second)
			assert.GreaterOrEqual(t, recovered.Sub(truth), time.Duration(0))
		} else {
			assert.Zero(t, g.Reset)
		}
	}
}
