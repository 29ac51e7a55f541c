package record

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ratelab/ratelab/ratelimit"
)

func micros(n int64) time.Duration { return time.Duration(n) * time.Microsecond }

// randomAttempt draws an attempt using every field, as the recorder would write it.
func randomAttempt(rng *rand.Rand) Attempt {
	pick := func(xs ...string) string { return xs[rng.IntN(len(xs))] }
	a := Attempt{
		Run: pick("ramp", "full-jitter/sim/50", "", "burst ü"), Mode: pick("", ModeLive, ModeSim),
		Strategy: pick("", "exponential", "header-pacing"), Phase: pick("", "ramp", "sustain"),
		Fleet: rng.IntN(3) * 50, Client: rng.IntN(1000), Request: rng.Int64N(1 << 40), Number: 1 + rng.IntN(6),
		Scheduled: micros(rng.Int64N(3600e6)), Sent: micros(rng.Int64N(3600e6)), Latency: micros(rng.Int64N(5e6)),
		Status:      []int{200, 201, 429, 500, 503, 529, 0}[rng.IntN(7)],
		Error:       pick("", "", "", "dial tcp 127.0.0.1:1: connect: connection refused", `quote " and \ and <tag> & newline`+"\n"),
		ContentType: pick("", "", "text/html", "application/json"),
		InputTokens: rng.Int64N(100000), OutputTokens: rng.Int64N(10000), MaxTokens: rng.Int64N(3) * 1024,
		ShouldRetry: int8(rng.IntN(3) - 1), Final: rng.IntN(2) == 0, ClientRejected: rng.IntN(10) == 0,
		GaveUp:        pick("", "", "max attempts 3 reached (last status 429)", "status 400 is not retryable"),
		MalformedHdrs: rng.IntN(2), Dialect: ratelimit.Dialect(rng.IntN(6)),
		Terminal: pick("", "", "", "daily-quota", "spend-cap"),
	}
	if rng.IntN(3) == 0 {
		a.RetryHint, a.HasRetryHint = time.Duration(rng.Int64N(60000))*time.Millisecond, true
	}
	if rng.IntN(2) == 0 {
		a.RetryAfter, a.HasRetryAfter = time.Duration(rng.Int64N(60000))*time.Millisecond, true
	}
	if rng.IntN(2) == 0 {
		a.ServerDate, a.HasServerDate = time.Unix(1.7e9+rng.Int64N(1e6), 0).UTC(), true
	}
	if rng.IntN(3) == 0 {
		a.Stream, a.StreamDuration, a.StreamEvents = true, micros(rng.Int64N(9e6)), rng.IntN(2000)
		a.StreamError = pick("", "", "overloaded_error", "closed", "stalled")
		if rng.IntN(4) > 0 {
			a.TTFT, a.HasTTFT = micros(rng.Int64N(3e6)), true
		}
	}
	for d := range a.Limits {
		if rng.IntN(3) == 0 {
			continue
		}
		s := &a.Limits[d]
		if rng.IntN(4) > 0 {
			s.Limit, s.Flags = rng.Int64N(1e7), s.Flags|ratelimit.HasLimit
		}
		if rng.IntN(4) > 0 {
			s.Remaining, s.Flags = rng.Int64N(1e7)-10, s.Flags|ratelimit.HasRemaining
		}
		if rng.IntN(4) > 0 {
			s.Reset, s.Flags = time.Duration(rng.Int64N(120000))*time.Millisecond, s.Flags|ratelimit.HasReset
			s.ResetKind = ratelimit.ResetKind(rng.IntN(7))
		}
		if rng.IntN(4) == 0 {
			s.Window, s.Flags = time.Duration(rng.IntN(60))*time.Second, s.Flags|ratelimit.HasWindow
		}
	}
	return a
}

// TestDecodeMatchesEncodingJSON: on the lines the recorder writes, the fast path is taken and
// gives exactly what encoding/json gives.
func TestDecodeMatchesEncodingJSON(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	fast := 0
	for i := range 20000 {
		a := randomAttempt(rng)
		line := a.AppendJSON(nil)
		var got, want Attempt
		took := decodeFast(&got, line)
		require.NoError(t, want.UnmarshalJSON(line), "line %d: %s", i, line)
		needsEscape := strings.ContainsAny(a.Error+a.Run, "\"\\<>&\n")
		if !needsEscape {
			require.True(t, took, "the fast path must take a plain recorder line: %s", line)
		}
		if took {
			fast++
			require.Equal(t, want, got, "line %d: %s", i, line)
		}
	}
	assert.Greater(t, fast, 15000)
}

// TestDecodeEdgeCases: hand-written lines, each either taken by the fast path with encoding/json's
// result, or deferred to encoding/json.
func TestDecodeEdgeCases(t *testing.T) {
	tests := []struct {
		name     string
		line     string
		wantFast bool
	}{
		{"minimal", `{"run":"a"}`, true},
		{"stream fields", `{"run":"a","status":200,"stream":true,"ttft_ms":401.5,"stream_ms":1700.25,"stream_events":40,"stream_error":"closed"}`, true},
		{"stream without ttft", `{"stream":true,"ttft_ms":null,"stream_ms":3,"stream_events":1,"stream_error":""}`, true},
		{"empty object", `{}`, true},
		{"whitespace everywhere", " \t{ \"run\" : \"a\" ,\n\"status\":\r429 , \"limits\" : { } } ", true},
		{"unknown keys with nested values", `{"run":"a","future":{"x":[1,{"y":"\u00e9\n"},null,true,-1.5e3]},"z":[]}`, true},
		{"nulls leave zero values", `{"run":null,"status":null,"retry_after_s":null,"should_retry":null,"final":null,"limits":null}`, true},
		{"null limit entry", `{"limits":{"requests":null}}`, true},
		{"unknown dimension", `{"limits":{"gpu_seconds":{"limit":5,"dialect":"openai"},"requests":{"remaining":3,"dialect":"anthropic"}}}`, true},
		{"reset kind without reset", `{"limits":{"requests":{"reset_kind":"rfc3339","dialect":"anthropic"}}}`, true},
		{"negative zero and exponents in floats", `{"sent_s":-0,"latency_ms":1.5E+2,"scheduled_s":2e-3}`, true},
		{"most negative int64", `{"request":-9223372036854775808}`, true},
		{"non-ASCII string", `{"run":"ü→日本"}`, true},
		{"should_retry false", `{"should_retry":false}`, true},
		{"escaped string", `{"error":"a\"b"}`, false},
		{"escaped key", `{"r\u0075n":"x"}`, false},
		{"case-folded key", `{"RUN":"x"}`, false},
		{"Kelvin-sign key", "{\"\u212aey\":1}", false},
		{"case-folded limit key", `{"limits":{"requests":{"Limit":5}}}`, false},
		{"duplicate key", `{"run":"a","run":"b"}`, false},
		{"duplicate limits", `{"limits":{"requests":{"limit":1}},"limits":{"tokens":{"limit":2}}}`, false},
		{"duplicate dimension", `{"limits":{"requests":{"limit":1},"requests":{"limit":2}}}`, false},
		{"differing dialects", `{"limits":{"requests":{"dialect":"openai"},"tokens":{"dialect":"anthropic"}}}`, false},
		{"invalid UTF-8", "{\"run\":\"\xff\"}", false},
		{"float in an int field", `{"status":200.0}`, false},
		{"int overflow", `{"request":9223372036854775808}`, false},
		{"float overflow", `{"sent_s":1e400}`, false},
		{"string in a number field", `{"status":"200"}`, false},
		{"number in a string field", `{"run":5}`, false},
		{"leading zero", `{"status":0200}`, false},
		{"trailing garbage", `{"run":"a"} x`, false},
		{"trailing comma", `{"run":"a",}`, false},
		{"truncated", `{"run":"a","sta`, false},
		{"not an object", `[1]`, false},
		{"null document", `null`, false},
		{"control character", "{\"run\":\"a\tb\"}", false},
		{"bad escape in unknown value", `{"x":"\q"}`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var fast Attempt
			assert.Equal(t, tt.wantFast, decodeFast(&fast, []byte(strings.TrimSpace(tt.line))), "fast path taken")
			checkSame(t, []byte(tt.line))
		})
	}
}

// checkSame asserts decodeJSON and UnmarshalJSON agree on data: same error text, same attempt.
func checkSame(t *testing.T, data []byte) {
	t.Helper()
	seed := Attempt{Run: "previous", Status: 7} // a reused *Attempt, as Scan passes
	got, want := seed, seed
	errGot, errWant := got.decodeJSON(data), want.UnmarshalJSON(data)
	if errWant != nil {
		require.Error(t, errGot, "encoding/json fails on %q", data)
		assert.Equal(t, errWant.Error(), errGot.Error())
	} else {
		require.NoError(t, errGot, "%q", data)
	}
	assert.Equal(t, want, got, "%q", data)
}

func FuzzDecodeJSON(f *testing.F) {
	rng := rand.New(rand.NewPCG(5, 6))
	for range 40 {
		a := randomAttempt(rng)
		f.Add(a.AppendJSON(nil))
	}
	for _, s := range []string{`{}`, `{"limits":{"requests":{"limit":1,"dialect":"openai"}}}`, `{"x":[{"y":null}]}`, `{"RUN":"a"}`, `{"status":1e2}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		checkSame(t, data)
	})
}

func BenchmarkDecode(b *testing.B) {
	a := Attempt{Run: "full-jitter/sim/50", Mode: ModeSim, Strategy: "full-jitter", Fleet: 50, Client: 17,
		Request: 123456, Number: 2, Scheduled: 1234567800 * time.Microsecond, Sent: 1234567800 * time.Microsecond, Latency: 321 * time.Millisecond, Status: 429,
		MaxTokens: 16, RetryAfter: time.Second, HasRetryAfter: true, ServerDate: time.Unix(1767225600, 0).UTC(), HasServerDate: true,
		Dialect: ratelimit.DialectAnthropic}
	for d := range a.Limits {
		a.Limits[d] = ratelimit.State{Limit: 8000, Remaining: 7552, Reset: time.Second, ResetKind: ratelimit.ResetRFC3339,
			Flags: ratelimit.HasLimit | ratelimit.HasRemaining | ratelimit.HasReset}
	}
	line := a.AppendJSON(nil)
	for _, bc := range []struct {
		name   string
		decode func(*Attempt, []byte) error
	}{
		{"fast", (*Attempt).decodeJSON},
		{"encoding-json", (*Attempt).UnmarshalJSON},
	} {
		b.Run(fmt.Sprintf("%s/%dB", bc.name, len(line)), func(b *testing.B) {
			var x Attempt
			b.SetBytes(int64(len(line)))
			b.ReportAllocs()
			for b.Loop() {
				if err := bc.decode(&x, line); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
