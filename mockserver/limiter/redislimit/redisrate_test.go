package redislimit

import (
	"context"
	"testing"
	"time"

	"github.com/go-redis/redis_rate/v10"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ratelab/ratelab/mockserver/limiter"
)

// TestRedisRateDiffers records why the token bucket and GCRA run on this package's script
// rather than github.com/go-redis/redis_rate. Its model is ours (GCRA, Burst the capacity, Rate
// per Period: the same admissions and retry times), but it is not exact where the mock needs it
// to be: a refusal reports Remaining 0 where limiter reports the whole tokens left (a request
// of 3 with 2 left), it cannot Charge (tokens used after the fact, debt), and it decides in
// floating-point seconds (60/7 s per request is not a float) and truncates RetryAfter, where
// limiter is exact and rounds RetryAfter up so that a retry then is admitted.
func TestRedisRateDiffers(t *testing.T) {
	s, srv := startStore(t, Options{})
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr})
	defer rdb.Close()
	ctx := context.Background()
	rr := redis_rate.NewLimiter(rdb)
	lim := redis_rate.Limit{Rate: 5, Burst: 5, Period: time.Minute}
	cfg := limiter.Config{Algorithm: limiter.GCRA, Limit: 5, Window: time.Minute, Burst: 5}

	t.Run("same model: the same burst and retry time", func(t *testing.T) {
		ours, err := s.Limiter(Key("compare", "burst"), cfg)
		require.NoError(t, err)
		for i := range 7 {
			theirs, err := rr.Allow(ctx, "burst", lim)
			require.NoError(t, err)
			d, err := ours.Allow(ctx, 1)
			require.NoError(t, err)
			assert.Equal(t, theirs.Allowed == 1, d.Allowed, "request %d", i)
			if d.Allowed {
				assert.Equal(t, int64(theirs.Remaining), d.Remaining, "request %d", i)
			} else {
				assert.InDelta(t, theirs.RetryAfter, d.RetryAfter, float64(5*time.Millisecond), "request %d", i)
			}
		}
	})

	t.Run("not the same headers: Remaining on a refusal", func(t *testing.T) {
		ours, err := s.Limiter(Key("compare", "remaining"), cfg)
		require.NoError(t, err)
		_, err = rr.AllowN(ctx, "remaining", lim, 3)
		require.NoError(t, err)
		theirs, err := rr.AllowN(ctx, "remaining", lim, 3)
		require.NoError(t, err)
		_, err = ours.Allow(ctx, 3)
		require.NoError(t, err)
		d, err := ours.Allow(ctx, 3)
		require.NoError(t, err)
		assert.Zero(t, theirs.Allowed)
		assert.False(t, d.Allowed)
		assert.Equal(t, 0, theirs.Remaining, "redis_rate")
		assert.Equal(t, int64(2), d.Remaining, "limiter: the 2 tokens left")
	})
}
