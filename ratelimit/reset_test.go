package ratelimit

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestParseReset(t *testing.T) {
	base := sunDate
	tests := []struct {
		in   string
		want time.Duration
		kind ResetKind
		ok   bool
	}{
		{"1s", time.Second, ResetDuration, true},
		{"6m0s", 6 * time.Minute, ResetDuration, true},
		{"2s81ms", 2081 * time.Millisecond, ResetDuration, true},
		{"12ms", 12 * time.Millisecond, ResetDuration, true},
		{"2m52.8s", 172800 * time.Millisecond, ResetDuration, true},
		{"5h50m30ms", 5*time.Hour + 50*time.Minute + 30*time.Millisecond, ResetDuration, true},
		{"33.023s", 33023 * time.Millisecond, ResetDuration, true},
		{"-1s", 0, ResetDuration, true},
		{"2025-01-12T23:11:59Z", time.Minute, ResetRFC3339, true},
		{"2025-01-12T23:11:59.25Z", 60250 * time.Millisecond, ResetRFC3339, true},
		{"2025-01-13T00:11:59+01:00", time.Minute, ResetRFC3339, true},
		{"2025-01-12T23:00:00Z", 0, ResetRFC3339, true},
		{"1736723519", time.Minute, ResetEpochS, true},
		{"1736723519.5", 60500 * time.Millisecond, ResetEpochS, true},
		{"1736723519000", time.Minute, ResetEpochMS, true},
		{"1000000000", 1000000000 * time.Second, ResetDeltaS, true},
		{"30", 30 * time.Second, ResetDeltaS, true},
		{"0.25", 250 * time.Millisecond, ResetDeltaS, true},
		{" 7 ", 7 * time.Second, ResetDeltaS, true},
		{"-5", 0, ResetDeltaS, true},
		{"Sun, 12 Jan 2025 23:11:59 GMT", time.Minute, ResetHTTPDate, true},
		{"Sunday, 12-Jan-25 23:11:59 GMT", time.Minute, ResetHTTPDate, true},
		{"Sun Jan 12 23:11:59 2025", time.Minute, ResetHTTPDate, true},
		{"", 0, ResetUnknown, false},
		{"soon", 0, ResetUnknown, false},
		{"1e3", 0, ResetUnknown, false},
		{"12 ms", 0, ResetUnknown, false},
		{"NaN", 0, ResetUnknown, false},
		{"Inf", 0, ResetUnknown, false},
		{"1.2.3", 0, ResetUnknown, false},
		{"2025-13-45T00:00:00Z", 0, ResetUnknown, false},
		{"1000000000000000", 0, ResetUnknown, false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, kind, ok := ParseReset(tt.in, base)
			assert.Equal(t, tt.ok, ok)
			assert.Equal(t, tt.kind, kind)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestParseRetryAfter(t *testing.T) {
	base := sunDate
	tests := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"120", 2 * time.Minute, true},
		{"0.5", 500 * time.Millisecond, true},
		{"-1", 0, true},
		{"Sun, 12 Jan 2025 23:11:09 GMT", 10 * time.Second, true},
		{"Sunday, 12-Jan-25 23:11:09 GMT", 10 * time.Second, true},
		{"Sun Jan 12 23:11:09 2025", 10 * time.Second, true},
		{"Fri, 31 Dec 1999 23:59:59 GMT", 0, true},
		{"", 0, false},
		{"+Inf", 0, false},
		{"12s", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, ok := ParseRetryAfter(tt.in, base)
			assert.Equal(t, tt.ok, ok)
			assert.Equal(t, tt.want, got)
		})
	}
}

// TestParseIMFFixdateMatchesNetHTTP pins the hand-written fast path to net/http.ParseTime on
// edge cases (FuzzHTTPDate explores the rest).
func TestParseIMFFixdateMatchesNetHTTP(t *testing.T) {
	for _, v := range []string{
		"Sun, 12 Jan 2025 23:10:59 GMT",
		"sun, 12 jan 2025 23:10:59 GMT",
		"Mon, 12 Jan 2025 23:10:59 GMT", // wrong weekday: accepted by both
		"Sun, 29 Feb 2024 00:00:00 GMT",
		"Sun, 29 Feb 2023 00:00:00 GMT",
		"Sun, 31 Apr 2023 00:00:00 GMT",
		"Sun, 00 Jan 2025 00:00:00 GMT",
		"Sun, 12 Jan 2025 24:00:00 GMT",
		"Sun, 12 Jan 2025 23:60:00 GMT",
		"Sun, 12 Jan 2025 23:10:60 GMT",
		"Sun, 12 Jan 2025 23:10:59 gmt",
		"Sun, 12 Xyz 2025 23:10:59 GMT",
		"Sux, 12 Jan 2025 23:10:59 GMT",
	} {
		want, err := http.ParseTime(v)
		got, ok := parseIMFFixdate(v)
		if err != nil {
			assert.False(t, ok, v)
			continue
		}
		if assert.True(t, ok, v) {
			assert.True(t, want.Equal(got), v)
		}
	}
}
