package engine

import (
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/ratelab/ratelab/internal/testcheck"
	"github.com/ratelab/ratelab/ratelimit"
	"github.com/ratelab/ratelab/record"
)

func TestRemaining(t *testing.T) {
	b := Budget{MaxRequests: 100, Tokens: 1000, MaxDuration: time.Minute, Unconfirmed: 20}
	for _, tc := range []struct {
		name             string
		attempts, tokens int64
		elapsed          time.Duration
		left             Budget
		stop             Stop
	}{
		{"fresh", 0, 0, 0, b, Stop{}},
		{"part spent", 10, 400, 30 * time.Second, Budget{MaxRequests: 90, Tokens: 600, MaxDuration: time.Minute, Unconfirmed: 10}, Stop{}},
		{"requests", 100, 0, 0, Budget{MaxRequests: 0, Tokens: 1000, MaxDuration: time.Minute, Unconfirmed: 20}, Stop{Kind: StopMaxRequests, Limit: 100}},
		{"tokens", 5, 1200, 0, Budget{MaxRequests: 95, Tokens: -200, MaxDuration: time.Minute, Unconfirmed: 20}, Stop{Kind: StopTokens, Limit: 1000, Consumed: 1200}},
		{"time", 5, 10, time.Minute, Budget{MaxRequests: 95, Tokens: 990, MaxDuration: time.Minute, Unconfirmed: 20}, Stop{Kind: StopMaxDuration, After: time.Minute}},
		{"unconfirmed", 20, 10, 0, Budget{MaxRequests: 80, Tokens: 990, MaxDuration: time.Minute, Unconfirmed: 0}, Stop{Kind: StopUnconfirmed, Limit: 20, Host: "h:443"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			left, stop := b.Remaining(tc.attempts, tc.tokens, tc.elapsed, "h:443")
			assert.Equal(t, tc.stop, stop)
			assert.Equal(t, tc.stop.Budget() || tc.stop.Kind == StopUnconfirmed, stop.Stopped())
			assert.Equal(t, tc.left, left)
		})
	}
	_, stop := Budget{}.Remaining(1e9, 1e9, time.Hour, "")
	assert.False(t, stop.Stopped(), "a zero budget bounds nothing")
}

// TestGuard: concurrent reservations never let more than MaxRequests through, and the token
// bound stops at the response that crosses it.
func TestGuard(t *testing.T) {
	g := NewGuard(Budget{MaxRequests: 500, Tokens: 100}, "h")
	var wg sync.WaitGroup
	var mu sync.Mutex
	granted := 0
	for range 8 {
		wg.Go(func() {
			for range 100 {
				if !g.Reserve().Stopped() {
					mu.Lock()
					granted++
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	assert.Equal(t, 500, granted)
	assert.Equal(t, Stop{Kind: StopMaxRequests, Limit: 500}, g.Reserve())
	assert.False(t, g.Consume(0, 0).Stopped())
	assert.False(t, g.Consume(40, 50).Stopped())
	assert.Equal(t, Stop{Kind: StopTokens, Limit: 100, Consumed: 110}, g.Consume(15, 5))
	assert.Equal(t, Stop{Kind: StopUnconfirmed, Limit: 2, Host: "h"}, func() Stop {
		u := NewGuard(Budget{Unconfirmed: 2}, "h")
		u.Reserve()
		u.Reserve()
		return u.Reserve()
	}())
}

func TestStatsCount(t *testing.T) {
	var s Stats
	lim := ratelimit.State{Limit: 50, Remaining: 3, Flags: ratelimit.HasLimit | ratelimit.HasRemaining}
	for _, a := range []record.Attempt{
		{Status: 200}, {Status: 204}, {Status: 429}, {Status: 529}, {Status: 503}, {Status: 400}, {Status: 0},
		{ClientRejected: true}, {Status: 200, Dialect: ratelimit.DialectAnthropic, Limits: [ratelimit.NumDimensions]ratelimit.State{lim}},
	} {
		s.Count(&a)
	}
	assert.Equal(t, Stats{Attempts: 8, OK: 3, RateLimited: 1, Overloaded: 1, ServerErrors: 2, Other: 2, TransportErrors: 1, Rejected: 1,
		Limits: [ratelimit.NumDimensions]ratelimit.State{lim}, Dialect: ratelimit.DialectAnthropic}, s)
	var sum Stats
	sum.Add(s)
	sum.Add(Stats{Attempts: 2, OK: 2, InputTokens: 7})
	assert.Equal(t, int64(10), sum.Attempts)
	assert.Equal(t, int64(7), sum.InputTokens)
	assert.Equal(t, lim, sum.Limits[0], "an engine that saw no limits keeps the last ones")
}

func TestFleetOrNone(t *testing.T) {
	f := FleetOrNone(nil, 1)
	assert.NotNil(t, f.Client(0))
}

func TestClosedPhaseMembers(t *testing.T) {
	for _, tc := range []struct {
		name    string
		clients int
		share   Share
		want    []int
		err     string
	}{
		{"whole fleet", 4, Share{}, []int{0, 1, 2, 3}, ""},
		{"one shard of one", 3, Share{Index: 0, Count: 1}, []int{0, 1, 2}, ""},
		{"first of two", 5, Share{Index: 0, Count: 2}, []int{0, 2, 4}, ""},
		{"second of two", 5, Share{Index: 1, Count: 2}, []int{1, 3}, ""},
		{"last of three", 7, Share{Index: 2, Count: 3}, []int{2, 5}, ""},
		{"as many shards as clients", 3, Share{Index: 2, Count: 3}, []int{2}, ""},
		{"a shard with no client", 2, Share{Index: 2, Count: 3}, nil, "share 2/3 of 2 clients has no client"},
		{"index out of range", 9, Share{Index: 3, Count: 3}, nil, "share 3/3 of 9 clients has no client"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := ClosedPhase{Label: "c", Clients: tc.clients, Requests: 1, Share: tc.share}
			if testcheck.Err(t, p.Check(), tc.err) {
				assert.Equal(t, tc.want, p.Members())
			}
		})
	}
}
