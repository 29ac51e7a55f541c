package runner

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ratelab/ratelab/internal/testutil"
	"github.com/ratelab/ratelab/scenario"
	"github.com/ratelab/ratelab/scenarios"
)

// slowScenarios take more than a few seconds: the quickstart sends live traffic to the embedded
// mock for about half a minute, backoff-shootout simulates half a million attempts. -short
// skips them.
var slowScenarios = map[string]bool{"quickstart": true, "backoff-shootout": true, "preset-anthropic": true, "preset-openai": true,
	"preset-azure-openai": true, "preset-gemini": true, "preset-bedrock": true}

// parallelScenarios discover a limit live against their own embedded mock and mostly wait: the
// Gemini and Bedrock presets' one-minute windows, with no header to read, take discovery its
// whole three-minute budget. They run side by side, each on its own mock.
var parallelScenarios = map[string]bool{"preset-anthropic": true, "preset-openai": true,
	"preset-azure-openai": true, "preset-gemini": true, "preset-bedrock": true}

// minuteWindows discover live against one-minute windows without rate-limit headers (Gemini,
// Bedrock), which takes discovery its whole three-minute budget: without the build tag long
// their probe phases run in virtual time against the same mock (seconds), with it live.
var minuteWindows = map[string]bool{"preset-gemini": true, "preset-bedrock": true}

// headerPresets discover live against limits their headers state (and their refusals' exact
// waits): discovery ends well inside its three-minute budget. preset-openai once spent all of
// it resting, 2,381 requests, as each probe before the reopening pushed it a unit later.
var headerPresets = map[string]bool{"preset-anthropic": true, "preset-openai": true, "preset-azure-openai": true}

// simulationAtScale are the scenarios that are half a million simulated attempts and little else:
// under the race detector they are skipped (see raceEnabled).
var simulationAtScale = map[string]bool{"backoff-shootout": true}

// TestBundledScenarios: every bundled scenario that needs no API key runs green (no failed
// threshold, complete); those that send requests to a real API are validated only.
func TestBundledScenarios(t *testing.T) {
	infos, err := scenarios.List()
	require.NoError(t, err)
	require.NotEmpty(t, infos)
	for _, in := range infos {
		t.Run(in.Name, func(t *testing.T) {
			s, err := scenario.LoadArg(in.Name)
			require.NoError(t, err)
			if in.Live {
				_, err := planPhases(s)
				require.NoError(t, err)
				t.Skipf("sends requests to %s with the key in %s: validated only", s.Target.URL, s.Target.KeyEnv)
			}
			if testing.Short() && slowScenarios[in.Name] {
				t.Skip("slow; run without -short")
			}
			if raceEnabled && simulationAtScale[in.Name] {
				t.Skip("simulation at scale: run by go test without -race")
			}
			if parallelScenarios[in.Name] {
				t.Parallel()
			}
			// Under the race detector a live discovery's analysis runs several times slower and
			// can run out of its wall-clock budget on a slow machine: virtual time there too.
			if (minuteWindows[in.Name] && !longTests) || (raceEnabled && parallelScenarios[in.Name]) {
				for i := range s.Phases {
					if p := s.Phases[i].Probe; p != nil {
						p.Mode = scenario.ModeSim
					}
				}
				if raceEnabled {
					t.Log("probe phases in virtual time under -race; live without it")
				} else {
					t.Log("probe phases in virtual time; live with -tags long (about 3 minutes)")
				}
			}
			s.Output.Dir, s.Output.Quiet = t.TempDir(), true
			start := time.Now()
			o := run(context.Background(), s)
			require.NoError(t, o.err, o.stderr)
			if headerPresets[in.Name] && !raceEnabled {
				assert.Less(t, time.Since(start), time.Minute, "live discovery with headers")
			}
			sum := o.res.Summary
			assert.False(t, sum.Partial)
			assert.NotZero(t, sum.Totals.Attempts)
			testutil.AssertNoSecret(t, "SECRET", s.Output.Dir, o.stdout, o.stderr)
			if late := sum.Totals.Late + sum.Totals.Dropped; late*20 > sum.Totals.Attempts && len(o.res.Failed()) > 0 {
				// Live limits are measured from send times: a machine too busy to keep the
				// schedule (the run warns) cannot be held to them.
				t.Skipf("the machine was too busy to keep the schedule (%d of %d attempts late or dropped): thresholds not judged; %v",
					late, sum.Totals.Attempts, o.res.Failed())
			}
			assert.Empty(t, o.res.Failed(), "thresholds")
		})
	}
}
