package limiter

import (
	"testing"
	"time"
)

func TestLeakyBucketTable(t *testing.T) {
	const s = time.Second
	runCases(t, LeakyBucket, []stepCase{
		{
			// Sysoev's example, limit_req zone rate=1r/s burst=5, six (here seven) simultaneous
			// requests. nginx's ngx_http_limit_req_lookup gives the first request of a key excess
			// 0 and each next one excess + 1000 (thousandths), rejecting only when excess > burst:
			// so 1 is served at once, 5 are delayed by 1…5 s, and the 7th is the first rejected.
			// (The reference notes' "4 delayed by 1–4 s, the 6th rejected" is not what the source
			// does; we follow the source.)
			name: "Sysoev example rate=1r/s burst=5",
			cfg:  Config{Limit: 1, Window: s, Burst: 5},
			steps: []step{
				{name: "1st served at once", at: 0, op: allow, cost: 1, want: delayed(6, 5, 1*s, 0)},
				{name: "2nd delayed 1s", at: 0, op: allow, cost: 1, want: delayed(6, 4, 2*s, 1*s)},
				{name: "3rd delayed 2s", at: 0, op: allow, cost: 1, want: delayed(6, 3, 3*s, 2*s)},
				{name: "4th delayed 3s", at: 0, op: allow, cost: 1, want: delayed(6, 2, 4*s, 3*s)},
				{name: "5th delayed 4s", at: 0, op: allow, cost: 1, want: delayed(6, 1, 5*s, 4*s)},
				{name: "6th delayed 5s (excess 5 is not > burst 5)", at: 0, op: allow, cost: 1, want: delayed(6, 0, 6*s, 5*s)},
				{name: "7th rejected until one slot drains", at: 0, op: allow, cost: 1, want: no(6, 0, 6*s, 1*s)},
				{name: "half a slot later still rejected", at: s / 2, op: allow, cost: 1, want: no(6, 0, 5500*time.Millisecond, s/2)},
				{name: "one slot later admitted behind five", at: s, op: allow, cost: 1, want: delayed(6, 0, 6*s, 5*s)},
				{name: "an earlier instant counts as the last seen", at: 0, op: allow, cost: 1, want: no(6, 0, 6*s, 1*s)},
				{name: "drained after 6s idle", at: 7 * s, op: peek, want: ok(6, 6, 0)},
				{name: "after idle the first is served at once again", at: 7 * s, op: allow, cost: 1, want: delayed(6, 5, 1*s, 0)},
			},
		},
		{
			name: "Sysoev example with nodelay",
			cfg:  Config{Limit: 1, Window: s, Burst: 5, NoDelay: true},
			steps: []step{
				{name: "1st", at: 0, op: allow, cost: 1, want: ok(6, 5, 1*s)},
				{name: "2nd served at once", at: 0, op: allow, cost: 1, want: ok(6, 4, 2*s)},
				{name: "3rd", at: 0, op: allow, cost: 1, want: ok(6, 3, 3*s)},
				{name: "4th", at: 0, op: allow, cost: 1, want: ok(6, 2, 4*s)},
				{name: "5th", at: 0, op: allow, cost: 1, want: ok(6, 1, 5*s)},
				{name: "6th", at: 0, op: allow, cost: 1, want: ok(6, 0, 6*s)},
				{name: "7th rejected: slots still drain at the rate", at: 0, op: allow, cost: 1, want: no(6, 0, 6*s, 1*s)},
				{name: "one slot frees per second", at: s, op: allow, cost: 1, want: ok(6, 0, 6*s)},
			},
		},
		{
			name: "requests at exactly the rate are never delayed",
			cfg:  Config{Limit: 1, Window: s, Burst: 5},
			steps: []step{
				{name: "t=0", at: 0, op: allow, cost: 1, want: delayed(6, 5, s, 0)},
				{name: "t=1s", at: s, op: allow, cost: 1, want: delayed(6, 5, s, 0)},
				{name: "t=2s", at: 2 * s, op: allow, cost: 1, want: delayed(6, 5, s, 0)},
			},
		},
		{
			// nginx: excess = max(0, 0 − 1000·500/1000 + 1000) = 500, delay 500 ms.
			name: "excess decays continuously between requests",
			cfg:  Config{Limit: 1, Window: s, Burst: 5},
			steps: []step{
				{name: "t=0", at: 0, op: allow, cost: 1, want: delayed(6, 5, s, 0)},
				{name: "t=0.5s delayed 0.5s", at: s / 2, op: allow, cost: 1, want: delayed(6, 4, 1500*time.Millisecond, s/2)},
				// nginx: excess = 500 − 500 + 1000 = 1000, so a request now would wait 1 s.
				{name: "zero-cost peek shows the delay a request would get", at: s, op: peek, want: delayed(6, 5, s, s)},
			},
		},
		{
			// nginx's default is burst=0; here Burst 0 means Limit, so burst=0 is not expressible
			// and a queue of 1 is the smallest: 2 requests pass at one instant.
			name: "burst 1 at 60 per minute",
			cfg:  Config{Limit: 60, Window: time.Minute, Burst: 1},
			steps: []step{
				{name: "1st", at: 0, op: allow, cost: 1, want: delayed(2, 1, s, 0)},
				{name: "2nd queued 1s", at: 0, op: allow, cost: 1, want: delayed(2, 0, 2*s, s)},
				{name: "3rd rejected", at: 0, op: allow, cost: 1, want: no(2, 0, 2*s, s)},
			},
		},
		{
			// A cost is the length of the request's slot: c/r. Anything fits an empty queue.
			name: "costs occupy c/r of the drain",
			cfg:  Config{Limit: 10, Window: s, Burst: 5},
			steps: []step{
				{name: "cost 8 on an empty queue", at: 0, op: allow, cost: 8, want: delayed(6, 0, 800*time.Millisecond, 0)},
				{name: "next is queued behind 8 > 5", at: 0, op: allow, cost: 1, want: no(6, 0, 800*time.Millisecond, 300*time.Millisecond)},
				{name: "after 0.3s 5 remain ahead", at: 300 * time.Millisecond, op: allow, cost: 1, want: delayed(6, 0, 600*time.Millisecond, 500*time.Millisecond)},
				{name: "refund 6 empties the queue", at: 300 * time.Millisecond, op: charge, cost: -100},
				{name: "empty", at: 300 * time.Millisecond, op: peek, want: ok(6, 6, 0)},
				{name: "charge 9 over the burst", at: 300 * time.Millisecond, op: charge, cost: 9},
				{name: "debt rejects until 4 drained", at: 300 * time.Millisecond, op: peek, want: no(6, 0, 900*time.Millisecond, 400*time.Millisecond)},
			},
		},
	})
}
