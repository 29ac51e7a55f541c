package ratelimit

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Fuzz targets: run one with
//
//	go test ./ratelimit -run '^$' -fuzz '^FuzzParse$' -fuzztime 30s
//
// Crashers land in testdata/fuzz/<target>/ and then run as ordinary test cases.

// fuzzSeedBlocks are real header samples (see parse_test.go) used as seed corpora.
var fuzzSeedBlocks = []string{
	"date: Sun, 12 Jan 2025 23:10:59 GMT\nanthropic-ratelimit-requests-limit: 50\nanthropic-ratelimit-requests-remaining: 49\nanthropic-ratelimit-requests-reset: 2025-01-12T23:11:00Z\nanthropic-ratelimit-tokens-remaining: 37000\nanthropic-ratelimit-input-tokens-reset: 2025-01-12T18:11:11-05:00\nretry-after: 12\nx-should-retry: true",
	"x-ratelimit-limit-requests: 60\nx-ratelimit-limit-tokens: 150000\nx-ratelimit-remaining-requests: 59\nx-ratelimit-remaining-tokens: 149984\nx-ratelimit-reset-requests: 1s\nx-ratelimit-reset-tokens: 6m0s",
	"x-ratelimit-reset-requests: 2m52.8s\nx-ratelimit-reset-tokens: 2s81ms\nretry-after-ms: 1500.5\nretry-after: 2",
	"RateLimit-Policy: \"burst\";q=100;w=60,\"daily\";q=1000;w=86400\nRateLimit: \"burst\";r=50;t=30, \"daily\";r=20;t=86000",
	"RateLimit-Policy: \"minute\";q=10000;qu=\"tokens\";w=60, peruser;q=100;w=60;pk=:cHsdsRa894==:\nRateLimit: \"minute\";r=9000;t=10, peruser;r=7;t=9",
	"RateLimit: limit=100, remaining=50, reset=5\nRateLimit-Policy: 100;w=10",
	"RateLimit-Limit: 50\nRateLimit-Remaining: 3\nRateLimit-Reset: 20\nRateLimit-Policy: 10;w=1, 50;w=60, 1000;w=3600",
	"date: Tue, 08 Aug 2023 14:29:23 GMT\nx-ratelimit-limit: 5000\nx-ratelimit-remaining: 4999\nx-ratelimit-reset: 1691508563\nx-ratelimit-used: 1\nx-ratelimit-resource: core",
	"X-Rate-Limit-Limit: 20\nX-Rate-Limit-Remaining: 15\nX-Rate-Limit-Reset: 1366037820000",
	"Date: Sun, 12 Jan 2025 23:10:59 GMT\nRetry-After: Sunday, 12-Jan-25 23:11:09 GMT\nX-RateLimit-Reset: Sun Jan 12 23:11:04 2025",
}

// fuzzHeader turns arbitrary text into a header: one "name: value" per line, names kept as
// written (so odd casing and duplicate spellings reach Parse).
func fuzzHeader(block string) http.Header {
	h := http.Header{}
	for _, line := range strings.Split(block, "\n") {
		name, value, _ := strings.Cut(line, ":")
		h[name] = append(h[name], strings.TrimPrefix(value, " "))
	}
	return h
}

func FuzzParse(f *testing.F) {
	for _, b := range fuzzSeedBlocks {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, block string) {
		h := fuzzHeader(block)
		got := Parse(h, sunDate)
		again := Parse(h, sunDate)
		require.Equal(t, got, again, "Parse must not depend on map iteration order")
		require.GreaterOrEqual(t, got.Malformed, 0)
		require.GreaterOrEqual(t, got.RetryAfter, time.Duration(0))
		require.Less(t, got.Dialect, numDialects)
		for d := range NumDimensions {
			st := got.Dims[d]
			require.GreaterOrEqual(t, st.Reset, time.Duration(0))
			require.GreaterOrEqual(t, st.Window, time.Duration(0))
			require.Less(t, st.ResetKind, numResetKinds)
			require.Equal(t, st.Has(HasReset), st.ResetKind != ResetUnknown, "a reset always records its reading")
			if st.Has(HasLimit) {
				require.GreaterOrEqual(t, st.Limit, int64(0))
			}
			if got.Dialect == DialectNone {
				require.False(t, st.Present())
			}
		}
	})
}

func FuzzSFList(f *testing.F) {
	for _, s := range []string{
		`"burst";q=100;w=60,"daily";q=1000;w=86400`,
		`"default";r=50;t=30`,
		`limit=100, remaining=50, reset=5`,
		`10;w=1, 50;w=60, 1000;w=3600, 5000;w=86400`,
		`300;w=5;burst=330;comment="token bucket";category="trigger"`,
		`peruser;q=100;w=60;pk=:cHsdsRa894==:`,
		`(1 "x";y=1 z);p=2, 3.25, ?0, @1659578233, %"f%c3%bc", *tok/en:x`,
		`"a\"b\\c"`,
	} {
		f.Add(s, false)
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, line string, dict bool) {
		members, ok := parseSFLines([]string{line}, dict)
		n, valid := sfValidate([]string{line}, dict)
		require.Equal(t, ok, valid)
		if !ok {
			return
		}
		require.Len(t, members, n)
		// Serializing the parsed members and parsing that again is a fixed point.
		canon := serializeSF(members, dict)
		again, ok := parseSFLines([]string{canon}, dict)
		require.True(t, ok, "canonical form %q of %q must parse", canon, line)
		require.Equal(t, canon, serializeSF(again, dict))
	})
}

func FuzzParseReset(f *testing.F) {
	for _, s := range []string{
		"1s", "6m0s", "2s81ms", "12ms", "2m52.8s", "5h50m30ms", "-1s", "30", "0.25",
		"2025-01-12T23:11:59Z", "2025-01-13T00:11:59.5+01:00", "1736723519", "1736723519000",
		"Sun, 12 Jan 2025 23:11:59 GMT", "Sunday, 12-Jan-25 23:11:59 GMT", "Sun Jan 12 23:11:59 2025",
		"", "soon", "1e3", "99999999999999999999",
	} {
		f.Add(s)
	}
	other := sunDate.Add(-time.Hour)
	f.Fuzz(func(t *testing.T, v string) {
		d, kind, ok := ParseReset(v, sunDate)
		require.Equal(t, ok, kind != ResetUnknown)
		require.GreaterOrEqual(t, d, time.Duration(0))
		if !ok {
			require.Zero(t, d)
			return
		}
		// Delays do not depend on the clock; absolute instants move with it (unless clamped).
		d2, kind2, ok2 := ParseReset(v, other)
		require.True(t, ok2)
		require.Equal(t, kind, kind2)
		switch kind {
		case ResetDuration, ResetDeltaS:
			require.Equal(t, d, d2)
		default:
			require.GreaterOrEqual(t, d2, d)
		}
	})
}

func FuzzParseRetryAfter(f *testing.F) {
	for _, s := range []string{
		"120", "0", "1.5", "-3", "Sun, 12 Jan 2025 23:11:29 GMT", "Sunday, 12-Jan-25 23:11:09 GMT",
		"Sun Jan 12 23:11:04 2025", "Fri, 31 Dec 1999 23:59:59 GMT", "in a while", "1e3", "+Inf",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		d, ok := ParseRetryAfter(v, sunDate)
		require.GreaterOrEqual(t, d, time.Duration(0))
		if !ok {
			require.Zero(t, d)
		}
		ms, okMs := parseRetryAfterMs(v)
		require.GreaterOrEqual(t, ms, time.Duration(0))
		if okMs {
			_, okS := parseBareNumber(v)
			require.True(t, okS, "a valid retry-after-ms is a valid delay-seconds number")
		}
	})
}

// FuzzHTTPDate checks the hand-written IMF-fixdate parser against net/http.
func FuzzHTTPDate(f *testing.F) {
	for _, s := range []string{
		"Sun, 12 Jan 2025 23:10:59 GMT", "sun, 29 feb 2024 00:00:00 GMT", "Sun, 31 Apr 2023 00:00:00 GMT",
		"Sun, 12 Jan 2025 24:00:00 GMT", "Sunday, 12-Jan-25 23:11:09 GMT", "Sun Jan 12 23:11:04 2025",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		// The fast path is sound: whatever it accepts, time.Parse reads the same way.
		if fast, ok := parseIMFFixdate(v); ok {
			std, err := time.Parse(http.TimeFormat, v)
			require.NoError(t, err)
			require.True(t, fast.Equal(std))
		}
		// With its fallback, parseHTTPDate accepts exactly what http.ParseTime accepts (time.Parse
		// also takes runs of spaces and one-digit hours, which the fast path leaves to it).
		got, ok := parseHTTPDate(v)
		want, err := http.ParseTime(v)
		require.Equal(t, err == nil, ok, "parseHTTPDate %v, http.ParseTime %v", ok, err)
		if ok {
			require.True(t, got.Equal(want))
		}
	})
}

// FuzzWriteParse writes arbitrary states in every dialect and parses them back without HTTP:
// Write's output must always be well-formed and must carry limit and remaining exactly (up to
// the documented clamping and the thousand-rounding of Anthropic token counts).
func FuzzWriteParse(f *testing.F) {
	f.Add(uint8(1), int64(50), int64(49), int64(time.Second), int64(time.Minute), int64(time.Second), uint8(0xff))
	f.Add(uint8(2), int64(150000), int64(149984), int64(6*time.Minute), int64(0), int64(0), uint8(0x0f))
	f.Add(uint8(3), int64(-5), int64(1<<62), int64(-1), int64(1<<62), int64(1<<63-1), uint8(0xf0))
	f.Fuzz(func(t *testing.T, dialect uint8, limit, remaining, reset, window, retry int64, mask uint8) {
		d := Dialect(dialect % uint8(numDialects))
		var s Snapshot
		for dim := range NumDimensions {
			if mask&(1<<dim) == 0 {
				continue
			}
			s.Dims[dim] = State{
				Limit: limit, Remaining: remaining, Reset: time.Duration(reset), Window: time.Duration(window),
				Flags: HasLimit | HasRemaining | HasReset | HasWindow,
			}
		}
		s.RetryAfter, s.HasRetryAfter = time.Duration(retry), mask&0x10 != 0
		h := http.Header{}
		now := writeNow
		Write(h, d, now, &s)
		got := Parse(h, now)
		require.Zero(t, got.Malformed, "Write produced a value Parse rejects: %v", h)
		if d == DialectNone {
			require.Empty(t, h)
			return
		}
		if s.HasRetryAfter {
			require.True(t, got.HasRetryAfter)
		}
		if mask&1 == 0 || d == DialectIETFLegacy {
			return // the legacy dialect carries whichever dimension is most constraining
		}
		st := got.Dims[Requests]
		require.True(t, st.Has(HasLimit|HasRemaining|HasReset))
		assert.Equal(t, min(max(limit, 0), sfMaxInteger), st.Limit)
		assert.Equal(t, min(max(remaining, 0), sfMaxInteger), st.Remaining)
	})
}
