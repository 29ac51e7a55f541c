package redislimit

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/ratelab/ratelab/internal/redistest"
	"github.com/ratelab/ratelab/mockserver/limiter"
)

// On Redis's own clock: goroutines on two clients (two replicas) hammer one key at three times
// its rate. Every decision reports the instant it was made at and its place in the key's order
// of writes, so the whole run can be replayed on an in-process limiter, which must make the same
// decisions; and the admissions never exceed what the algorithm allows over the run.

const (
	hammerWorkers  = 8
	hammerDuration = 500 * time.Millisecond
	hammerRate     = 200 // per second, every algorithm
	hammerOverload = 3
)

// hammerConfigs are rate 200/s for every algorithm: the buckets with a burst of 20, the
// windows 40 per 200 ms.
var hammerConfigs = map[limiter.Algorithm]limiter.Config{
	limiter.TokenBucket:   {Algorithm: limiter.TokenBucket, Limit: hammerRate, Window: time.Second, Burst: 20},
	limiter.GCRA:          {Algorithm: limiter.GCRA, Limit: hammerRate, Window: time.Second, Burst: 20},
	limiter.LeakyBucket:   {Algorithm: limiter.LeakyBucket, Limit: hammerRate, Window: time.Second, Burst: 20, NoDelay: true},
	limiter.FixedWindow:   {Algorithm: limiter.FixedWindow, Limit: hammerRate / 5, Window: time.Second / 5},
	limiter.SlidingLog:    {Algorithm: limiter.SlidingLog, Limit: hammerRate / 5, Window: time.Second / 5},
	limiter.SlidingWindow: {Algorithm: limiter.SlidingWindow, Limit: hammerRate / 5, Window: time.Second / 5},
}

func TestTwoClientsOneBudget(t *testing.T) {
	srv := redistest.Start(t) // its process-watching goroutines outlive the test body
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent(), redistest.IgnoreGoroutines())
	var stores [2]*Store
	for i := range stores {
		s, err := Open(srv.URL, Options{Timeout: 2 * time.Second})
		require.NoError(t, err)
		defer s.Close()
		stores[i] = s
	}
	for _, a := range limiter.Algorithms {
		t.Run(string(a), func(t *testing.T) {
			c := hammerConfigs[a]
			var ls [2]*Limiter
			for i, s := range stores {
				l, err := s.Limiter(Key("hammer", string(a)), c)
				require.NoError(t, err)
				ls[i] = l
			}
			recs := hammer(t, ls)
			slices.SortFunc(recs, func(x, y result) int { return int(x.rec.n - y.rec.n) })

			// The key's writes are numbered 1..N without gaps, on a clock that never goes back.
			in, err := limiter.New(c)
			require.NoError(t, err)
			admitted := int64(0)
			for i, r := range recs {
				require.Equal(t, int64(i+1), r.rec.n, "write order")
				if i > 0 {
					require.GreaterOrEqual(t, r.rec.t, recs[i-1].rec.t, "Redis's instants in write order")
				}
				want := in.Allow(time.UnixMicro(r.rec.t), 1)
				require.Equal(t, want, r.decision, "decision %d of %d at %s", i+1, len(recs), time.UnixMicro(r.rec.t).Format(time.StampMicro))
				if r.decision.Allowed {
					admitted++
				}
			}

			first, last := recs[0].rec.t*usec, recs[len(recs)-1].rec.t*usec
			most := mostAdmitted(c, first, last)
			span := time.Duration(last - first)
			atRate := c.Limit * int64(span) / int64(c.Window)
			t.Logf("%d requests over %s, %d admitted; at the rate %d, at most %d", len(recs), span, admitted, atRate, most)
			assert.LessOrEqual(t, admitted, most, "admissions over the run")
			assert.GreaterOrEqual(t, admitted, atRate-c.Limit, "a saturated limiter admits about its rate")
			assert.Greater(t, int64(len(recs)), 2*admitted, "the load was well over the limit")
		})
	}
}

// hammer sends hammerOverload times the rate from hammerWorkers goroutines, alternating between
// the two limiters (clients), for hammerDuration, and returns every decision.
func hammer(t *testing.T, ls [2]*Limiter) []result {
	ctx := context.Background()
	every := time.Duration(int64(time.Second) * hammerWorkers / (hammerRate * hammerOverload))
	start := time.Now()
	var mu sync.Mutex
	var all []result
	var wg sync.WaitGroup
	for w := range hammerWorkers {
		wg.Go(func() {
			l := ls[w%2]
			var mine []result
			next := start.Add(every * time.Duration(w) / hammerWorkers)
			for next.Sub(start) < hammerDuration {
				time.Sleep(time.Until(next))
				res, err := l.store.run(ctx, nil, false, []slot{{l, opAllow, 1}})
				if !assert.NoError(t, err) {
					return
				}
				mine = append(mine, res[0])
				next = next.Add(every)
			}
			mu.Lock()
			all = append(all, mine...)
			mu.Unlock()
		})
	}
	wg.Wait()
	require.NotEmpty(t, all)
	return all
}

// mostAdmitted is the most unit requests config c admits between instants first and last
// (nanoseconds): a bucket its burst plus its rate over the span (one more for the leaky
// bucket's queue); a window algorithm its limit in every window the span touches.
func mostAdmitted(c limiter.Config, first, last int64) int64 {
	c = mustNormalize(c)
	w := int64(c.Window)
	switch c.Algorithm {
	case limiter.TokenBucket, limiter.GCRA:
		return c.Burst + c.Limit*(last-first)/w
	case limiter.LeakyBucket:
		return 1 + c.Burst + c.Limit*(last-first)/w
	case limiter.SlidingLog:
		// Any Window-long interval holds at most Limit.
		return c.Limit * ((last - first + w) / w)
	default: // fixed window and sliding window counter: at most Limit per aligned window
		return c.Limit * (last/w - first/w + 1)
	}
}

func mustNormalize(c limiter.Config) limiter.Config {
	l, err := limiter.New(c)
	if err != nil {
		panic(err)
	}
	return l.Config()
}
