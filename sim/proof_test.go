package sim

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ratelab/ratelab/engine"
	"github.com/ratelab/ratelab/record"
)

// TestPacingAvoids429s: header-pacing, and a client limiter at the server's own rate, provoke
// under 2% 429s and complete every request, at any fleet size, whatever header dialect carries
// the budget. (The same holds live: TestCompareBoth in package main.)
func TestPacingAvoids429s(t *testing.T) {
	for _, dialect := range []string{"anthropic", "openai", "ietf"} {
		for _, spec := range []string{"header-pacing", "client-limiter(rpm=600)"} {
			for _, clients := range []int{10, 50, 100} {
				t.Run(fmt.Sprintf("%s/%s/%d", dialect, spec, clients), func(t *testing.T) {
					r := newRunner(t, bucketConfig(600, 10, dialect), nil, 1)
					res, err := r.Closed(context.Background(), engine.ClosedPhase{Label: spec, Clients: clients, Requests: 10, Fleet: fleet(t, spec, 1)})
					require.NoError(t, err)
					st := r.Stats()
					assert.Equal(t, res.Requests, res.Succeeded)
					assert.LessOrEqual(t, float64(st.RateLimited), 0.02*float64(st.Attempts), "%d 429s in %d attempts", st.RateLimited, st.Attempts)
				})
			}
		}
	}
}

// spikes measures how bunched up a run's retries (attempts after the first) are: the most in
// any 100 ms window, per second, and the most sent at one instant.
func spikes(t *testing.T, buf *bytes.Buffer) (peak float64, together int) {
	t.Helper()
	bins := map[int64]int{}
	instants := map[time.Duration]int{}
	require.NoError(t, record.Scan(buf, func(a *record.Attempt) error {
		if a.Number < 2 {
			return nil
		}
		b := int64(a.Sent / (100 * time.Millisecond))
		bins[b]++
		instants[a.Sent]++
		peak = max(peak, float64(bins[b])*10)
		together = max(together, instants[a.Sent])
		return nil
	}))
	return peak, together
}

// TestExponentialSpikes: without jitter, a fleet that collides keeps colliding — every client
// refused at one instant retries at the same later instant — so exponential backoff retries in
// synchronized spikes: at 50 clients and more its retries peak at over twice full jitter's rate,
// and at least half the fleet retries at one instant, where full jitter never sends a tenth of
// it together.
//
// The peak is taken over 100 ms windows: per whole second, every strategy's first second holds
// the fleet's simultaneous start, and full jitter, which waits half as long on average, fits
// more retries into it (50 clients: 167 attempts in the first second against exponential's 115),
// so peak attempts per second — summary.json's figure — ranks full jitter higher.
func TestExponentialSpikes(t *testing.T) {
	for _, clients := range []int{50, 100, 200} {
		t.Run(fmt.Sprint(clients), func(t *testing.T) {
			type result struct {
				peak     float64
				together int
			}
			got := map[string]result{}
			for _, spec := range []string{"exponential", "full-jitter"} {
				var buf bytes.Buffer
				r := newRunner(t, bucketConfig(600, 10, "anthropic"), &buf, 1)
				_, err := r.Closed(context.Background(), engine.ClosedPhase{Label: spec, Clients: clients, Requests: 5, Fleet: fleet(t, spec, 1)})
				require.NoError(t, err)
				require.NoError(t, r.Close())
				p, tog := spikes(t, &buf)
				got[spec] = result{p, tog}
			}
			exp, fj := got["exponential"], got["full-jitter"]
			assert.Greater(t, exp.peak, 2*fj.peak, "peak retry rate: exponential %v/s, full jitter %v/s", exp.peak, fj.peak)
			assert.GreaterOrEqual(t, exp.together, clients/2, "exponential: %d retries at one instant", exp.together)
			assert.Less(t, fj.together, clients/10, "full jitter: %d retries at one instant", fj.together)
		})
	}
}
