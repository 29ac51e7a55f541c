package redislimit

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/ratelab/ratelab/internal/redistest"
	"github.com/ratelab/ratelab/mockserver/limiter"
)

// TestOutageAndRecovery stops, restarts, pauses and resumes a real redis-server under a store:
// every call during an outage returns an *UnavailableError quickly, the outage is reported
// once, the store recovers by itself, and no goroutine or connection is left behind.
func TestOutageAndRecovery(t *testing.T) {
	srv := redistest.Start(t)
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent(), redistest.IgnoreGoroutines())
	const timeout = 200 * time.Millisecond
	var outages, recoveries atomic.Int32
	s, err := Open(srv.URL, Options{
		Timeout:    timeout,
		OnOutage:   func(error) { outages.Add(1) },
		OnRecovery: func(time.Duration) { recoveries.Add(1) },
	})
	require.NoError(t, err)
	defer s.Close()
	ctx := context.Background()
	require.NoError(t, s.Ping(ctx))
	l, err := s.Limiter(Key("outage", "requests"), limiter.Config{Algorithm: limiter.TokenBucket, Limit: 5})
	require.NoError(t, err)
	d, err := l.Allow(ctx, 1)
	require.NoError(t, err)
	require.Equal(t, int64(4), d.Remaining)

	// Stopped: connections refused.
	srv.Stop()
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 25 {
				start := time.Now()
				_, err := l.Allow(ctx, 1)
				assert.ErrorIs(t, err, ErrUnavailable)
				var ue *UnavailableError
				if assert.ErrorAs(t, err, &ue) {
					assert.Equal(t, srv.Addr, ue.Addr)
				}
				assert.Less(t, time.Since(start), timeout+time.Second)
			}
		})
	}
	wg.Wait()
	assert.Equal(t, int32(1), outages.Load(), "one outage, reported once")
	assert.Zero(t, recoveries.Load())
	stats := s.rdb.(*redis.Client).PoolStats()
	assert.LessOrEqual(t, stats.TotalConns, uint32(4), "no connections pile up during the outage: %+v", stats)

	// Restarted: calls succeed again within about a second (the client's dial probe); the
	// state went with the old process.
	srv.Restart()
	back := time.Now()
	require.Eventually(t, func() bool {
		_, err := l.Peek(ctx)
		return err == nil
	}, 5*time.Second, 10*time.Millisecond)
	t.Logf("recovered %s after Redis returned", time.Since(back).Round(time.Millisecond))
	d, err = l.Allow(ctx, 1)
	require.NoError(t, err)
	assert.Equal(t, int64(4), d.Remaining, "a fresh bucket")
	assert.Equal(t, int32(1), recoveries.Load())

	// Paused: the server accepts but answers nothing; calls time out.
	srv.Pause()
	start := time.Now()
	_, err = l.Allow(ctx, 1)
	assert.ErrorIs(t, err, ErrUnavailable)
	assert.Less(t, time.Since(start), timeout+time.Second, "a hung Redis costs at most the timeout")
	assert.Equal(t, int32(2), outages.Load())
	srv.Resume()
	_, err = l.Allow(ctx, 1)
	require.NoError(t, err)
	assert.Equal(t, int32(2), recoveries.Load())

	// Not outages: the caller's cancellation, and a key holding something else.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	_, err = l.Allow(cctx, 1)
	assert.ErrorIs(t, err, context.Canceled)
	assert.NotErrorIs(t, err, ErrUnavailable)
	raw := redis.NewClient(&redis.Options{Addr: srv.Addr})
	defer raw.Close()
	require.NoError(t, raw.Set(ctx, "a-string", "x", 0).Err())
	other, err := s.Limiter("a-string", limiter.Config{Algorithm: limiter.GCRA, Limit: 5})
	require.NoError(t, err)
	_, err = other.Allow(ctx, 1)
	assert.ErrorContains(t, err, "WRONGTYPE")
	assert.NotErrorIs(t, err, ErrUnavailable)
	assert.Equal(t, int32(2), outages.Load())
}
