package backoff

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestSharedLimiterModel: simulated, client-limiter(store=…) lets 4 clients hammering it send
// what the bucket allows (burst + rate × time), each ask costing a round trip.
func TestSharedLimiterModel(t *testing.T) {
	s, err := Resolve("client-limiter(rpm=600,burst=3,store=redis://127.0.0.1:6379/0,rtt=2ms)")
	require.NoError(t, err)
	f := s.NewFleet(1)
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	clients := make([]Policy, 4)
	next := make([]time.Time, 4)
	for i := range clients {
		clients[i], next[i] = f.Client(i), start
	}
	sent := 0
	end := start.Add(2 * time.Second)
	for {
		i := 0
		for j := range next {
			if next[j].Before(next[i]) {
				i = j
			}
		}
		now := next[i]
		if !now.Before(end) {
			break
		}
		g := clients[i].Before(now, 1)
		if g.Wait > 0 {
			next[i] = now.Add(g.Wait)
			continue
		}
		sent++
		next[i] = now // send again at once
	}
	// 3 at once, then 10 a second for 2 s, less a round trip's worth.
	assert.InDelta(t, 3+20, sent, 1, "sent %d", sent)
}

// TestSharedLimiterFailsOpen: a store that cannot decide lets the attempt go.
func TestSharedLimiterFailsOpen(t *testing.T) {
	s, err := Resolve("client-limiter(store=redis://127.0.0.1:6379/0)")
	require.NoError(t, err)
	f := s.NewFleetWith(1, FleetOptions{Shared: brokenBucket{}})
	assert.Equal(t, Gate{}, f.Client(0).Before(time.Now(), 1))
}

type brokenBucket struct{}

func (brokenBucket) Take(time.Time) (time.Duration, error) { return 0, errors.New("down") }

// TestStoreNeverInLabelsWhole: the store URL's password never reaches a label or the params
// summary.json records, and its path (slashes) stays out of labels.
func TestStoreNeverInLabelsWhole(t *testing.T) {
	spec, err := Parse("client-limiter(rpm=60,store=redis://u:secret@10.0.0.5:6379/2)")
	require.NoError(t, err)
	assert.Equal(t, "client-limiter(rpm=60,store=10.0.0.5:6379)", spec.Label())
	s, err := New(spec)
	require.NoError(t, err)
	assert.Equal(t, "redis://u:xxxxx@10.0.0.5:6379/2", s.Params()["store"])
	assert.Equal(t, "redis://u:secret@10.0.0.5:6379/2", s.Store())
	assert.Equal(t, "fleet", s.SharedKey())
	c := s.SharedConfig()
	assert.Equal(t, int64(3600), c.Limit)
	assert.Equal(t, time.Hour, c.Window)
}
