package redislimit

import (
	"context"
	"testing"
	"time"

	"github.com/go-redis/redis_rate/v10"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ratelab/ratelab/limiter"
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

	// redis_rate decides at Redis's clock, at an instant of its round trip we cannot pass or
	// read; bracketed by TIME before (a) and after (b), it lies in [a, b]. Ours decides at a:
	// then its retry time differs from redis_rate's by at most the brackets' widths (plus 1µs,
	// its rounding up and redis_rate's floating point), however slow the round trips are.
	t.Run("same model: the same burst and retry time", func(t *testing.T) {
		ours, err := s.Limiter(Key("compare", "burst"), cfg)
		require.NoError(t, err)
		var first time.Duration // the first call's bracket width
		for i := range 7 {
			a, err := rdb.Time(ctx).Result()
			require.NoError(t, err)
			theirs, err := rr.Allow(ctx, "burst", lim)
			require.NoError(t, err)
			b, err := rdb.Time(ctx).Result()
			require.NoError(t, err)
			if i == 0 {
				first = b.Sub(a)
			}
			d, err := ours.AllowAt(ctx, a, 1)
			require.NoError(t, err)
			assert.Equal(t, theirs.Allowed == 1, d.Allowed, "request %d", i)
			if d.Allowed {
				assert.Equal(t, int64(theirs.Remaining), d.Remaining, "request %d", i)
				continue
			}
			// theirs − ours = (t₀ − a₀) − (tᵢ − aᵢ), t the instants redis_rate decided at.
			diff := theirs.RetryAfter - d.RetryAfter
			assert.True(t, -b.Sub(a)-time.Microsecond <= diff && diff <= first+time.Microsecond,
				"request %d: redis_rate's RetryAfter %s, ours %s, brackets %s and %s wide", i, theirs.RetryAfter, d.RetryAfter, first, b.Sub(a))
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
