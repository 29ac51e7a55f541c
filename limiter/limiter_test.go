package limiter

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ratelab/ratelab/internal/testcheck"
)

func TestNewDefaultsAndValidation(t *testing.T) {
	tests := []struct {
		name    string
		in      Config
		want    Config
		wantErr string // substring; empty means no error
	}{
		{
			name: "token bucket burst defaults to limit and window to a minute",
			in:   Config{Algorithm: TokenBucket, Limit: 50},
			want: Config{Algorithm: TokenBucket, Limit: 50, Window: time.Minute, Burst: 50},
		},
		{
			name: "gcra burst defaults to limit",
			in:   Config{Algorithm: GCRA, Limit: 30, Window: time.Second},
			want: Config{Algorithm: GCRA, Limit: 30, Window: time.Second, Burst: 30},
		},
		{
			name: "leaky bucket burst defaults to limit and keeps nodelay",
			in:   Config{Algorithm: LeakyBucket, Limit: 60, NoDelay: true},
			want: Config{Algorithm: LeakyBucket, Limit: 60, Window: time.Minute, Burst: 60, NoDelay: true},
		},
		{
			name: "explicit burst is kept",
			in:   Config{Algorithm: TokenBucket, Limit: 60, Burst: 1},
			want: Config{Algorithm: TokenBucket, Limit: 60, Window: time.Minute, Burst: 1},
		},
		{
			name: "window algorithms drop burst and nodelay",
			in:   Config{Algorithm: FixedWindow, Limit: 50, Window: 5 * time.Second, Burst: 9, NoDelay: true},
			want: Config{Algorithm: FixedWindow, Limit: 50, Window: 5 * time.Second, Start: StartClock},
		},
		{
			name: "start and rounding default where they apply and are dropped elsewhere",
			in:   Config{Algorithm: TokenBucket, Limit: 5, Start: StartFirstRequest, Rounding: RoundHalfUp},
			want: Config{Algorithm: TokenBucket, Limit: 5, Window: time.Minute, Burst: 5},
		},
		{
			name: "fixed window opened by the first request",
			in:   Config{Algorithm: FixedWindow, Limit: 5, Start: StartFirstRequest, Rounding: RoundHalfUp},
			want: Config{Algorithm: FixedWindow, Limit: 5, Window: time.Minute, Start: StartFirstRequest},
		},
		{
			name: "sliding window counter rounding half up",
			in:   Config{Algorithm: SlidingWindow, Limit: 5, Rounding: RoundHalfUp, Start: StartFirstRequest},
			want: Config{Algorithm: SlidingWindow, Limit: 5, Window: time.Minute, Rounding: RoundHalfUp},
		},
		{name: "unknown rounding", in: Config{Algorithm: SlidingWindow, Limit: 1, Rounding: "ceil"}, wantErr: `Rounding: unknown value "ceil": want one of floor, round-half-up, fractional`},
		{name: "unknown start", in: Config{Algorithm: FixedWindow, Limit: 1, Start: "epoch"}, wantErr: `Start: unknown value "epoch": want one of clock, first-request`},
		{
			name: "nodelay only applies to the leaky bucket",
			in:   Config{Algorithm: GCRA, Limit: 5, NoDelay: true},
			want: Config{Algorithm: GCRA, Limit: 5, Window: time.Minute, Burst: 5},
		},
		{name: "unknown algorithm", in: Config{Algorithm: "bucket", Limit: 1}, wantErr: `Algorithm: unknown algorithm "bucket": want one of token-bucket, leaky-bucket, fixed-window, sliding-log, sliding-window, gcra`},
		{name: "empty algorithm", in: Config{Limit: 1}, wantErr: "Algorithm"},
		{name: "zero limit", in: Config{Algorithm: SlidingLog}, wantErr: "Limit must be > 0 units per Window, got 0"},
		{name: "negative limit", in: Config{Algorithm: SlidingLog, Limit: -3}, wantErr: "Limit must be > 0 units per Window, got -3"},
		{name: "negative window", in: Config{Algorithm: FixedWindow, Limit: 1, Window: -time.Second}, wantErr: "Window must be > 0 and at most 87600h0m0s (e.g. 1m), got -1s"},
		{name: "window over ten years", in: Config{Algorithm: SlidingWindow, Limit: 1, Window: MaxWindow + 1}, wantErr: "Window must be > 0 and at most 87600h0m0s"},
		{name: "ten-year window accepted", in: Config{Algorithm: SlidingWindow, Limit: 1, Window: MaxWindow}, want: Config{Algorithm: SlidingWindow, Limit: 1, Window: MaxWindow, Rounding: RoundFloor}},
		{name: "negative burst", in: Config{Algorithm: TokenBucket, Limit: 7, Burst: -1}, wantErr: "Burst must be >= 0 (0 means Limit, 7), got -1"},
		{name: "bucket too slow to represent", in: Config{Algorithm: GCRA, Limit: 1, Window: time.Hour, Burst: 1 << 40}, wantErr: "Burst 1099511627776 at Limit 1 per Window 1h0m0s takes longer than"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l, err := New(tc.in)
			if testcheck.Err(t, err, tc.wantErr) {
				assert.Equal(t, tc.want, l.Config())
			} else {
				assert.Nil(t, l)
			}
		})
	}
}

func TestEveryAlgorithmStartsReplenished(t *testing.T) {
	for _, a := range Algorithms {
		t.Run(string(a), func(t *testing.T) {
			l, err := New(Config{Algorithm: a, Limit: 10, Window: time.Second})
			require.NoError(t, err)
			d := l.Peek(t0)
			assert.True(t, d.Allowed)
			assert.Zero(t, d.RetryAfter)
			assert.Zero(t, d.Delay)
			assert.Equal(t, d.Limit, d.Remaining, "a fresh limiter has its whole quota")
		})
	}
}

func TestAlignDownIsEpochAligned(t *testing.T) {
	tests := []struct {
		name         string
		t, w, expect int64
	}{
		{"on a boundary", 120, 60, 120},
		{"inside a window", 179, 60, 120},
		{"zero", 0, 60, 0},
		{"before the epoch rounds down", -1, 60, -60},
		{"before the epoch on a boundary", -60, 60, -60},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.expect, alignDown(tc.t, tc.w))
		})
	}
}
