package redislimit

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"regexp"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ratelab/ratelab/internal/testcheck"
	"github.com/ratelab/ratelab/limiter"
)

func TestKey(t *testing.T) {
	k := Key("fake-test-secret", "requests")
	assert.Regexp(t, regexp.MustCompile(`^ratelab:\{[0-9a-f]{16}\}:requests$`), k)
	assert.NotContains(t, k, "secret", "the account never reaches Redis in clear")
	assert.Equal(t, k, Key("fake-test-secret", "requests"), "stable")
	assert.NotEqual(t, k, Key("fake-test-other", "requests"))
	assert.Equal(t, k[:len(k)-len("requests")]+"input_tokens", Key("fake-test-secret", "input_tokens"), "one hash tag per account")
}

func TestLimiterValidation(t *testing.T) {
	s := New(redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"}), Options{}) // never dialled
	tests := []struct {
		name    string
		key     string
		cfg     limiter.Config
		wantErr string
	}{
		{name: "defaults filled in as limiter.New does", key: "k", cfg: limiter.Config{Algorithm: limiter.GCRA, Limit: 50}},
		{name: "empty key", cfg: limiter.Config{Algorithm: limiter.GCRA, Limit: 50}, wantErr: "empty key"},
		{name: "limiter.New's own errors", key: "k", cfg: limiter.Config{Algorithm: "bucket", Limit: 1}, wantErr: `unknown algorithm "bucket"`},
		{name: "window finer than Redis's clock", key: "k", cfg: limiter.Config{Algorithm: limiter.FixedWindow, Limit: 5, Window: time.Second + 500}, wantErr: "Window 1.0000005s is not a whole number of microseconds"},
		{name: "limit over MaxAmount", key: "k", cfg: limiter.Config{Algorithm: limiter.SlidingLog, Limit: MaxAmount + 1}, wantErr: "must be at most 4503599627370496"},
		{name: "burst over MaxAmount", key: "k", cfg: limiter.Config{Algorithm: limiter.TokenBucket, Limit: MaxAmount, Window: time.Second, Burst: MaxAmount + 1}, wantErr: "must be at most"},
		{name: "gcra refill beyond the script's range", key: "k", cfg: limiter.Config{Algorithm: limiter.GCRA, Limit: 1, Window: time.Hour, Burst: 2_000_000}, wantErr: "longer than the Redis store can represent"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l, err := s.Limiter(tc.key, tc.cfg)
			if !testcheck.Err(t, err, tc.wantErr) {
				return
			}
			in, err := limiter.New(tc.cfg)
			require.NoError(t, err)
			assert.Equal(t, in.Config(), l.Config())
			assert.Equal(t, tc.key, l.Key())
		})
	}
}

func TestOpenURL(t *testing.T) {
	_, err := Open("http://user:hunter2@host:6379/0", Options{})
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "hunter2", "the password is not repeated")
	assert.Contains(t, err.Error(), "want redis://host:port/db")
	s, err := Open("redis://127.0.0.1:1/3", Options{})
	require.NoError(t, err, "nothing is dialled before the first call")
	assert.Equal(t, "127.0.0.1:1", s.addr)
	assert.Equal(t, DefaultTimeout, s.opts.Timeout)
	assert.Equal(t, DefaultExpiryMargin, s.opts.ExpiryMargin)
	require.NoError(t, s.Close())
}

func TestUnavailableClassification(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"refused", &net.OpError{Op: "dial", Err: errors.New("connection refused")}, true},
		{"dropped", io.EOF, true},
		{"timeout", context.DeadlineExceeded, true},
		{"pool timeout", redis.ErrPoolTimeout, true},
		{"loading", proto("LOADING Redis is loading the dataset in memory"), true},
		{"failover", proto("READONLY You can't write against a read only replica."), true},
		{"busy script", proto("BUSY Redis is busy running a script."), true},
		{"script error", proto("ERR user_script:1: Script attempted to access nonexistent global variable"), false},
		{"wrong type", proto("WRONGTYPE Operation against a key holding the wrong kind of value"), false},
		{"closed client", redis.ErrClosed, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, isUnavailable(tc.err))
		})
	}
}

// replyError is a server's error reply, as go-redis reports one.
type replyError string

func (e replyError) Error() string { return string(e) }
func (replyError) RedisError()     {}

func proto(msg string) error { return replyError(msg) }

func TestAllowAllValidation(t *testing.T) {
	s := New(redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"}), Options{})
	other := New(redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"}), Options{})
	c := limiter.Config{Algorithm: limiter.TokenBucket, Limit: 5}
	a, _ := s.Limiter("a", c)
	b, _ := other.Limiter("b", c)
	_, err := s.AllowAll(context.Background(), []Request{{Limiter: a, Cost: 1}, {Limiter: a, Cost: 2}})
	assert.ErrorContains(t, err, `key "a" appears twice`)
	_, err = s.AllowAll(context.Background(), []Request{{Limiter: a, Cost: 1}, {Limiter: b, Cost: 2}})
	assert.ErrorContains(t, err, "request 1: limiter not made by this store")
	_, err = a.AllowAt(context.Background(), time.Unix(-1, 0), 1)
	assert.ErrorContains(t, err, "outside the store's range")
}

// TestExpiry checks the keys' TTLs: the time until the limiter is as good as fresh, plus the
// margin.
func TestExpiry(t *testing.T) {
	const margin = time.Second
	s, srv := startStore(t, Options{ExpiryMargin: margin})
	raw := redis.NewClient(&redis.Options{Addr: srv.Addr})
	defer raw.Close()
	ctx := context.Background()
	tests := []struct {
		name   string
		cfg    limiter.Config
		at     time.Duration // after t0, a whole minute
		cost   int64
		fresh  time.Duration // until the state is fresh again
		hasLog bool
	}{
		{"token bucket refills 5 of 10 per minute in 30 s", limiter.Config{Algorithm: limiter.TokenBucket, Limit: 10}, 0, 5, 30 * time.Second, false},
		{"gcra likewise", limiter.Config{Algorithm: limiter.GCRA, Limit: 10}, 0, 5, 30 * time.Second, false},
		{"leaky bucket drains 4 of 10 per minute in 24 s", limiter.Config{Algorithm: limiter.LeakyBucket, Limit: 10}, 0, 4, 24 * time.Second, false},
		{"fixed window ends in 45 s", limiter.Config{Algorithm: limiter.FixedWindow, Limit: 10}, 15 * time.Second, 1, 45 * time.Second, false},
		{"sliding window counts it until the next window's end", limiter.Config{Algorithm: limiter.SlidingWindow, Limit: 10}, 15 * time.Second, 1, 105 * time.Second, false},
		{"sliding log holds it a window", limiter.Config{Algorithm: limiter.SlidingLog, Limit: 10}, 15 * time.Second, 1, time.Minute, true},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l, err := s.Limiter(fmt.Sprint("ttl:", i), tc.cfg)
			require.NoError(t, err)
			_, err = l.AllowAt(ctx, t0.Add(tc.at), tc.cost)
			require.NoError(t, err)
			ttl, err := raw.PTTL(ctx, l.Key()).Result()
			require.NoError(t, err)
			assert.InDelta(t, tc.fresh+margin, ttl, float64(100*time.Millisecond))
			logTTL, err := raw.PTTL(ctx, l.Key()+":log").Result()
			require.NoError(t, err)
			if tc.hasLog {
				assert.InDelta(t, tc.fresh+margin, logTTL, float64(100*time.Millisecond))
			} else {
				assert.Equal(t, time.Duration(-2), logTTL, "no log key")
			}
		})
	}
}

// TestConfigChangeStartsFresh: state written under another config (a mock restarted with a new
// limit) is discarded rather than misread.
func TestConfigChangeStartsFresh(t *testing.T) {
	s, _ := startStore(t, Options{})
	ctx := context.Background()
	for _, a := range limiter.Algorithms {
		t.Run(string(a), func(t *testing.T) {
			key := Key("reconfigured", string(a))
			small, err := s.Limiter(key, limiter.Config{Algorithm: a, Limit: 3})
			require.NoError(t, err)
			d, err := small.AllowAt(ctx, t0, 3)
			require.NoError(t, err)
			require.True(t, d.Allowed)
			large, err := s.Limiter(key, limiter.Config{Algorithm: a, Limit: 10})
			require.NoError(t, err)
			in, err := limiter.New(large.Config())
			require.NoError(t, err)
			got, err := large.AllowAt(ctx, t0, 4)
			require.NoError(t, err)
			assert.Equal(t, in.Allow(t0, 4), got)
		})
	}
}
