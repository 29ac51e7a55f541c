package runner

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ratelab/ratelab/ratelimit"
	"github.com/ratelab/ratelab/record"
)

// rampScenario finds, in virtual time, the limits of a mock that refuses sharp increases
// (acceleration ×2 a minute, floor 60) below its 120/min bucket.
const rampScenario = `name: ramp
mock:
  algorithm: token-bucket
  acceleration: {factor: 2}
  limits:
    requests: {per_minute: 120}
    input_tokens: {per_minute: 0}
    output_tokens: {per_minute: 0}
phases:
  - probe: {find: true, mode: sim%s}
seed: 1
`

// TestFindRampScenario: find_ramp reaches discovery from a scenario (its attempts carry the
// ramp phase, run.json says so) and keeps it clear of the acceleration refusals that a plain
// discovery trips; find_cost_cap is said in run.json too.
func TestFindRampScenario(t *testing.T) {
	accelRefusals := func(extra string) (int, *record.Run, string) {
		s := load(t, strings.Replace(rampScenario, "%s", extra, 1))
		o := run(context.Background(), s)
		require.NoError(t, o.err, o.stderr)
		rec, err := record.ReadRun(s.Output.Dir)
		require.NoError(t, err)
		n, ramp := 0, 0
		require.NoError(t, record.ScanFile(s.Output.Dir, func(a *record.Attempt) error {
			if a.Phase == "ramp" {
				ramp++
			}
			// A refusal while the requests header still shows budget left is the acceleration
			// model's, not the bucket's.
			if l := a.Limits[ratelimit.Requests]; a.Status == 429 && l.Flags&ratelimit.HasRemaining != 0 && l.Remaining > 0 {
				n++
			}
			return nil
		}))
		if strings.Contains(extra, "find_ramp") {
			assert.Positive(t, ramp, "ramp attempts")
		}
		return n, rec, s.Output.Dir
	}
	plain, _, _ := accelRefusals("")
	assert.Positive(t, plain, "a plain discovery trips the acceleration model")
	ramped, rec, dir := accelRefusals(", find_ramp: true, find_cost_cap: 4")
	assert.Zero(t, ramped, "refusals below the limit with find_ramp")
	notes := strings.Join(rec.Notes, " ")
	assert.Contains(t, notes, "ramping gently (find_ramp)")
	assert.Contains(t, notes, "cost capped at 4× its goal (find_cost_cap)")

	// The ramp's warm-up keeps the bucket full; the analysis measures it all the same (it used
	// to leave the rate undetermined, and before that read "enforced 15,539/min: the server
	// allows 12949% of what the headers say" from a fit whose rates ran to +Inf).
	found := false
	for _, l := range readSummary(t, dir)["limits"].([]any) {
		lim := l.(map[string]any)
		if lim["dimension"] != "requests" {
			continue
		}
		found = true
		eff, ok := lim["effective_per_minute"].(float64)
		require.True(t, ok, "requests effective: %v", lim)
		assert.InEpsilon(t, 120, eff, 0.05, "requests effective: %v", lim)
		assert.LessOrEqual(t, lim["effective_low"], 120.0, "interval: %v", lim)
		assert.GreaterOrEqual(t, lim["effective_high"], 120.0, "interval: %v", lim)
		assert.Empty(t, lim["gap"], "requests gap")
	}
	assert.True(t, found, "a requests limit in summary.json")
}
