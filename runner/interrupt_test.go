package runner

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ratelab/ratelab/engine"
	"github.com/ratelab/ratelab/record"
)

// assertPartial checks what an interrupted run leaves: engine.ErrInterrupted, run.json partial and
// stopped by the interrupt, summary.json partial, whole lines, and every attempt counted.
func assertPartial(t *testing.T, o outcome, dir string) []record.Attempt {
	t.Helper()
	require.ErrorIs(t, o.err, engine.ErrInterrupted, o.stderr)
	rec, err := record.ReadRun(dir)
	require.NoError(t, err)
	assert.True(t, rec.Partial)
	assert.Equal(t, "interrupted", rec.StopReason)
	sum := readSummary(t, dir)
	assert.Equal(t, true, sum["partial"])
	recs := attempts(t, dir)
	assert.EqualValues(t, len(recs), sum["totals"].(map[string]any)["attempts"])
	require.NotNil(t, o.res)
	assert.True(t, o.res.Summary.Partial)
	return recs
}

// segmentLabels lists run.json's segment labels.
func segmentLabels(t *testing.T, dir string) []string {
	t.Helper()
	rec, err := record.ReadRun(dir)
	require.NoError(t, err)
	var out []string
	for _, sg := range rec.Segments {
		out = append(out, sg.Label)
	}
	return out
}

// TestInterruptLive: Ctrl-C while a live probe phase runs, as it ends, and while a compare
// segment runs: scheduling stops, the attempts in flight finish within the grace period and are
// recorded, later phases never start, and the partial report is written.
func TestInterruptLive(t *testing.T) {
	tests := []struct {
		name     string
		at       int64 // the request during which the interrupt comes
		segments []string
	}{
		{"during the probe phase", 3, []string{"probe"}},
		{"on the probe phase's last request", 5, []string{"probe"}},
		{"during a compare segment", 8, []string{"probe", "none/live/2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			srv, n := countingServer(t, func(i int64) {
				if i == tt.at {
					cancel()
				}
			})
			s := load(t, fmt.Sprintf(`target: {url: %q}
phases:
  - probe: {rate: 20/s, duration: 250ms}
  - compare: {strategies: [none], clients: 2, requests: 20, rest: 50ms}
`, srv.URL))
			o := run(ctx, s)
			recs := assertPartial(t, o, s.Output.Dir)
			assert.EqualValues(t, n.Load(), len(recs), "the attempts in flight at the interrupt finished within the grace and were recorded")
			assert.Less(t, len(recs), 45, "scheduling stopped at the interrupt")
			assert.Equal(t, tt.segments, segmentLabels(t, s.Output.Dir))
		})
	}
}

// TestInterruptSim: an interrupt at the start of a simulated phase and in the middle of one
// (the simulator checks every 1,024 events) stops the run there.
func TestInterruptSim(t *testing.T) {
	const src = `mock: {limits: {requests: {per_minute: 600, burst: 10}}}
phases:
  - probe: {rate: 100/s, duration: 60s, mode: sim}
  - compare: {strategies: [full-jitter], clients: 10, requests: 10, mode: sim}
`
	tests := []struct {
		name     string
		checks   int // context checks that pass before the interrupt
		atLeast  int
		below    int
		segments []string
	}{
		{"before anything starts", 0, 0, 1, nil},
		{"before the first phase", 1, 0, 1, nil},
		{"as the first phase starts", 2, 0, 1, []string{"probe"}},
		{"in the middle of the first phase", 4, 1, 6000, []string{"probe"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := load(t, src)
			o := run(newCountdownCtx(tt.checks), s)
			if tt.checks == 0 {
				require.ErrorIs(t, o.err, engine.ErrInterrupted)
				assert.NoDirExists(t, s.Output.Dir, "interrupted before anything started: nothing to write")
				return
			}
			recs := assertPartial(t, o, s.Output.Dir)
			assert.GreaterOrEqual(t, len(recs), tt.atLeast)
			assert.Less(t, len(recs), tt.below)
			assert.Equal(t, tt.segments, segmentLabels(t, s.Output.Dir))
		})
	}
}

// TestInterruptRest: an interrupt while resting between live segments against a real API ends
// the rest at once and marks the run interrupted.
func TestInterruptRest(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	r := &runState{quiet: true}
	start := time.Now()
	err := r.rest(ctx, time.Hour)
	assert.True(t, errors.Is(err, engine.ErrInterrupted))
	assert.Less(t, time.Since(start), time.Minute)
	assert.True(t, r.interrupted)
	assert.Equal(t, engine.Stop{Kind: engine.StopInterrupted}, r.stopped)
}
