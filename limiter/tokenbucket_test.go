package limiter

import (
	"testing"
	"time"
)

// bucketScenarios are shared by the token bucket and GCRA: with whole costs the two must answer
// every step identically.
var bucketScenarios = []stepCase{
	{
		// 6 per minute: one token every 10 s; capacity 3.
		name: "capacity 3 refilling one per 10s",
		cfg:  Config{Limit: 6, Window: time.Minute, Burst: 3},
		steps: []step{
			{name: "fresh bucket is full", at: 0, op: peek, want: ok(3, 3, 0)},
			{name: "take 1 of 3", at: 0, op: allow, cost: 1, want: ok(3, 2, 10*time.Second)},
			{name: "take the other 2", at: 0, op: allow, cost: 2, want: ok(3, 0, 30*time.Second)},
			{name: "empty: wait one refill", at: 0, op: allow, cost: 1, want: no(3, 0, 30*time.Second, 10*time.Second)},
			{name: "half a token after 5s", at: 5 * time.Second, op: allow, cost: 1, want: no(3, 0, 25*time.Second, 5*time.Second)},
			{name: "one token after 10s", at: 10 * time.Second, op: allow, cost: 1, want: ok(3, 0, 30*time.Second)},
			{name: "zero cost passes at zero tokens", at: 10 * time.Second, op: peek, want: ok(3, 0, 30*time.Second)},
			{name: "cost above capacity: time to full", at: 10 * time.Second, op: allow, cost: 4, want: no(3, 0, 30*time.Second, 30*time.Second)},
			{name: "full again after 30s", at: 100 * time.Second, op: peek, want: ok(3, 3, 0)},
			{name: "cost above capacity on a full bucket: one window", at: 100 * time.Second, op: allow, cost: 4, want: no(3, 3, 0, time.Minute)},
			{name: "charge 5 puts the bucket 2 into debt", at: 100 * time.Second, op: charge, cost: 5},
			{name: "debt denies even zero cost", at: 100 * time.Second, op: peek, want: no(3, 0, 50*time.Second, 20*time.Second)},
			{name: "an earlier instant counts as the last seen", at: 95 * time.Second, op: allow, cost: 1, want: no(3, 0, 50*time.Second, 30*time.Second)},
			{name: "debt repaid after 20s", at: 120 * time.Second, op: peek, want: ok(3, 0, 30*time.Second)},
			{name: "refund 10 stops at capacity", at: 120 * time.Second, op: charge, cost: -10},
			{name: "full after refund", at: 120 * time.Second, op: peek, want: ok(3, 3, 0)},
			{name: "refund on a full bucket changes nothing", at: 120 * time.Second, op: charge, cost: -1},
			{name: "still 3", at: 120 * time.Second, op: allow, cost: 3, want: ok(3, 0, 30*time.Second)},
		},
	},
	{
		// 7 per minute: a token every 60/7 s = 8.571428571428… s, so durations round up.
		name: "non-integer refill interval rounds up to the nanosecond",
		cfg:  Config{Limit: 7, Window: time.Minute, Burst: 1},
		steps: []step{
			{name: "take the only token", at: 0, op: allow, cost: 1, want: ok(1, 0, 8571428572)},
			{name: "denied", at: 0, op: allow, cost: 1, want: no(1, 0, 8571428572, 8571428572)},
			{name: "one nanosecond early", at: 8571428571, op: allow, cost: 1, want: no(1, 0, 1, 1)},
			{name: "exactly at retry-after", at: 8571428572, op: allow, cost: 1, want: ok(1, 0, 8571428572)},
		},
	},
	{
		// redis-cell's README: CL.THROTTLE user123 15 30 60 1 answers limit 16, remaining 15,
		// retry -1, reset 2 (max_burst 15 is Burst 16 here; 30 per 60 s is T = 2 s).
		name: "redis-cell README example",
		cfg:  Config{Limit: 30, Window: time.Minute, Burst: 16},
		steps: []step{
			{name: "first request", at: 0, op: allow, cost: 1, want: ok(16, 15, 2*time.Second)},
			{name: "fifteen more drain it", at: 0, op: allow, cost: 15, want: ok(16, 0, 32*time.Second)},
			{name: "next waits one interval", at: 0, op: allow, cost: 1, want: no(16, 0, 32*time.Second, 2*time.Second)},
		},
	},
	{
		// Anthropic's documented default: 50 RPM as a bucket of 50 refilling continuously.
		name: "50 per minute burst then steady",
		cfg:  Config{Limit: 50},
		steps: []step{
			{name: "burst of 50", at: 0, op: allow, cost: 50, want: ok(50, 0, time.Minute)},
			{name: "51st waits 1.2s", at: 0, op: allow, cost: 1, want: no(50, 0, time.Minute, 1200*time.Millisecond)},
			{name: "one refilled after 1.2s", at: 1200 * time.Millisecond, op: allow, cost: 1, want: ok(50, 0, time.Minute)},
			{name: "10 after 12s", at: 13200 * time.Millisecond, op: allow, cost: 10, want: ok(50, 0, time.Minute)},
		},
	},
}

func TestTokenBucketTable(t *testing.T) {
	runCases(t, TokenBucket, bucketScenarios)
}

func TestGCRATable(t *testing.T) {
	runCases(t, GCRA, bucketScenarios)
}
