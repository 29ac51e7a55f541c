package record

import (
	"bytes"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ratelab/ratelab/ratelimit"
)

// roundTrip is what a re-read of the log gives for a.
func roundTrip(t testing.TB, a *Attempt) Attempt {
	t.Helper()
	var got Attempt
	require.NoError(t, got.UnmarshalJSON(a.AppendJSON(nil)))
	return got
}

// awkwardAttempt draws an attempt with every field set, many to awkward values (NaN, −0, halves,
// invalid UTF-8, unknown dialects and flags).
func awkwardAttempt(r *rand.Rand) Attempt {
	pick := func(vals ...time.Duration) time.Duration { return vals[r.IntN(len(vals))] }
	f := func() time.Duration {
		return pick(time.Duration(r.Int64N(1e13)), -time.Duration(r.Int64N(1e9)), 0, 1, 500, 1500, 500*time.Microsecond,
			1500*time.Microsecond, 123456499999, 1e15+500, time.Duration(r.Int64N(1e6))*time.Millisecond)
	}
	str := func() string {
		return []string{"", "probe", "full-jitter(base=1s)", "a\"b\\c\n\t<>&", "\xff\xfe ok \xc3", "é ✓ \u2028", "x\x00y"}[r.IntN(7)]
	}
	a := Attempt{
		Run: str(), Mode: str(), Strategy: str(), Phase: str(), Fleet: r.IntN(3) * 100,
		Client: r.IntN(1000), Request: r.Int64N(1e9), Number: 1 + r.IntN(10),
		Scheduled: f(), Sent: f(), Latency: f(), Status: []int{0, 200, 429, 529, 500}[r.IntN(5)], Error: str(),
		ContentType: str(), GaveUp: str(), Terminal: str(), RetryHint: f(), HasRetryHint: r.IntN(2) == 0,
		CacheReadTokens: r.Int64N(3) * r.Int64N(1e5), CacheCreationTokens: r.Int64N(2) * r.Int64N(1e4),
		InputTokens: r.Int64N(1e6), OutputTokens: r.Int64N(1e4), MaxTokens: r.Int64N(3) * 16,
		RetryAfter: f(), HasRetryAfter: r.IntN(2) == 0, ShouldRetry: int8(r.IntN(5) - 2),
		Final: r.IntN(2) == 0, ServerDate: time.Unix(1.7e9, 0).Add(f()), HasServerDate: r.IntN(2) == 0,
		Dialect: ratelimit.Dialect(r.IntN(8)), MalformedHdrs: r.IntN(3), ClientRejected: r.IntN(5) == 0,
		Stream: r.IntN(2) == 0, TTFT: f(), HasTTFT: r.IntN(2) == 0, StreamDuration: f(), StreamEvents: r.IntN(50),
		StreamError: str(),
	}
	for d := range a.Limits {
		if r.IntN(4) == 0 {
			continue
		}
		a.Limits[d] = ratelimit.State{
			Limit: r.Int64N(1e9) - 5, Remaining: r.Int64N(1e6) - 5,
			Reset: f(), Window: time.Duration(r.Int64N(1e12)),
			ResetKind: ratelimit.ResetKind(r.IntN(9)), Flags: uint8(r.IntN(32)),
		}
	}
	return a
}

func TestNormalize(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 20000 {
		a := awkwardAttempt(r)
		unknownFlags := false
		for _, s := range a.Limits {
			unknownFlags = unknownFlags || s.Flags&^0xf != 0
		}
		want := roundTrip(t, &a)
		a.Normalize()
		if !assert.Equal(t, want, a, "attempt %d", i) {
			return
		}
		if unknownFlags {
			continue // the log keeps the dialect of a dimension it otherwise drops, once
		}
		// Normalizing is idempotent, and a normalized attempt survives the round trip unchanged.
		again := a
		again.Normalize()
		require.Equal(t, a, again)
		require.Equal(t, a, roundTrip(t, &a))
	}
}

func FuzzNormalize(f *testing.F) {
	f.Add("probe", "\xff", int64(1000000500), int64(12500500), int64(3), uint8(7), uint8(1), int64(1500*time.Millisecond), true)
	f.Fuzz(func(t *testing.T, run, errText string, sent, lat int64, rem int64, flags, dialect uint8, reset int64, ra bool) {
		if sent < -1e15 || sent > 1e15 || lat < -1e15 || lat > 1e15 {
			t.Skip("beyond 11 days: the log's float seconds no longer hold every nanosecond")
		}
		a := Attempt{Run: run, Error: errText, Sent: time.Duration(sent), Latency: time.Duration(lat),
			RetryAfter: time.Duration(lat), HasRetryAfter: ra,
			Dialect: ratelimit.Dialect(dialect)}
		a.Limits[ratelimit.Requests] = ratelimit.State{Remaining: rem, Reset: time.Duration(reset), Flags: flags}
		want := roundTrip(t, &a)
		a.Normalize()
		assert.Equal(t, want, a)
	})
}

// TestWriterTap: the tap sees every attempt written, in order, and a re-read of the log,
// normalized attempts and the tap's view agree.
func TestWriterTap(t *testing.T) {
	var buf bytes.Buffer
	w := NewWriter(&buf)
	var seen []Attempt
	w.Tap(func(a *Attempt) {
		c := *a
		c.Normalize()
		seen = append(seen, c)
	})
	r := rand.New(rand.NewPCG(3, 4))
	for range 500 {
		a := awkwardAttempt(r)
		require.NoError(t, w.Write(&a))
	}
	w.Tap(nil)
	extra := Attempt{Run: "after"}
	require.NoError(t, w.Write(&extra))
	require.NoError(t, w.Flush())
	var read []Attempt
	require.NoError(t, Scan(&buf, func(a *Attempt) error { read = append(read, *a); return nil }))
	require.Len(t, read, 501)
	assert.Equal(t, read[:500], seen)
}
