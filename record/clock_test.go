package record

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestEstimateClockOffset: attempts timed on a local clock against a server whose clock is
// ahead by a known offset, its Date headers truncated to the second, give the offset back
// within the stated error, and the error shrinks well below a second with enough attempts.
func TestEstimateClockOffset(t *testing.T) {
	started := time.Date(2026, 1, 2, 3, 4, 5, 123456789, time.UTC)
	for _, tc := range []struct {
		name     string
		offset   time.Duration
		attempts int
		maxErr   time.Duration
	}{
		{"ahead 2.3 s", 2300 * time.Millisecond, 200, 50 * time.Millisecond},
		{"behind 0.75 s", -750 * time.Millisecond, 200, 50 * time.Millisecond},
		{"one attempt", 400 * time.Millisecond, 1, time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := rand.New(rand.NewPCG(1, 2))
			var as []Attempt
			for i := range tc.attempts {
				sent := time.Duration(i)*13700*time.Microsecond + time.Duration(r.Float64()*1e7)
				lat := 2*time.Millisecond + time.Duration(r.Float64()*2e7)
				stamp := started.Add(sent + time.Duration(r.Float64()*float64(lat))).Add(tc.offset)
				as = append(as, Attempt{Sent: sent, Latency: lat, Status: 200,
					ServerDate: stamp.Truncate(time.Second), HasServerDate: true})
			}
			c, ok := EstimateClockOffset(started, as)
			require.True(t, ok)
			assert.True(t, c.Consistent)
			assert.Equal(t, tc.attempts, c.Dates)
			assert.InDelta(t, tc.offset.Seconds(), c.Offset.Seconds(), c.Error.Seconds()+1e-9)
			assert.LessOrEqual(t, c.Error, tc.maxErr)
		})
	}
	_, ok := EstimateClockOffset(started, []Attempt{{Sent: time.Second, Status: 200}})
	assert.False(t, ok, "no Date header, no estimate")
}
