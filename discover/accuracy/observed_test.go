package accuracy

import (
	"context"
	"math"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ratelab/ratelab/infer"
	"github.com/ratelab/ratelab/record"
)

// observedAll replays every accuracy case (the accuracy build tag), not a sample.
var observedAll = false

// asRecording turns a discovery's attempts into what `ratelab proxy` would have recorded of
// the same traffic: one observed segment, every attempt its own request (a proxy cannot tell
// a retry from a new request), no phases, no strategy, no limits known in advance.
func asRecording(d Discovery) (*record.Run, []record.Attempt) {
	end := 0.0
	out := make([]record.Attempt, len(d.Attempts))
	for i, a := range d.Attempts {
		a.Run, a.Phase, a.Strategy, a.Fleet = "observed", "observed", "", 0
		a.Request, a.Number, a.Final, a.GaveUp = int64(i+1), 1, true, ""
		a.Scheduled = a.Sent
		a.Observed, a.Model, a.ClientID = true, "claude-sonnet-4-5", "0123456789abcdef"
		out[i] = a
		end = math.Max(end, record.Seconds(a.End()))
	}
	run := &record.Run{Schema: record.RunSchema, Command: "proxy", Started: d.Run.Started,
		Target:   record.Target{API: "anthropic", URL: "http://127.0.0.1:8080"},
		Segments: []record.Segment{{Label: "observed", Kind: "observed", EndS: end}}}
	return run, out
}

// TestObservedMatchesProbe replays the accuracy cases' discovery traffic as proxy
// recordings: the inference from the recording (no workload, no segments, no known limits)
// gives the probe's figures within the case's tolerance, and passes where the probe's passes.
func TestObservedMatchesProbe(t *testing.T) {
	all := append(Algorithms(), Special()...)
	cases := all
	if !observedAll {
		// One case per algorithm with headers, one without, the advertised-vs-enforced gap and
		// a token limit; `go test -tags accuracy` replays all of them.
		cases = nil
		for _, c := range all {
			if strings.HasSuffix(c.Name, "/anthropic/120-per-min/10s") || c.Name == "token-bucket/none/120-per-min/10s" ||
				strings.HasPrefix(c.Name, "advertised-") || strings.HasPrefix(c.Name, "input-tokens-bind/") {
				cases = append(cases, c)
			}
		}
	}
	ctx := context.Background()
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			t.Parallel()
			d, err := Discover(ctx, c, 1)
			require.NoError(t, err)
			probe := analyse(d.Run, d.Attempts)
			run, recs := asRecording(d)
			obs := analyse(run, recs)
			po := Score(c, probe, d.Report, d.Attempts, d.Elapsed)
			oo := Score(c, obs, d.Report, recs, d.Elapsed)
			if po.Limit.EffectivePerMinute == nil {
				t.Logf("the probe measured no effective rate: nothing to compare")
				return
			}
			require.NotNil(t, oo.Limit.EffectivePerMinute, "the recording gave no effective rate (probe: %g)", *po.Limit.EffectivePerMinute)
			t.Logf("recording %g/min (%s), probe %g/min (%s), truth %g/min", *oo.Limit.EffectivePerMinute, oo.Limit.Algorithm,
				*po.Limit.EffectivePerMinute, po.Limit.Algorithm, po.Truth.PerMinute)
			assert.InEpsilon(t, *po.Limit.EffectivePerMinute, *oo.Limit.EffectivePerMinute, po.Tolerance,
				"recording %g/min, probe %g/min, truth %g/min", *oo.Limit.EffectivePerMinute, *po.Limit.EffectivePerMinute, po.Truth.PerMinute)
			if po.RateOK {
				assert.True(t, oo.RateOK, "the probe is within %g of the truth, the recording is not: %v", po.Tolerance, oo.Why)
			}
			assert.Equal(t, po.Limit.Algorithm, oo.Limit.Algorithm, "algorithm")
		})
	}
}

func analyse(run *record.Run, recs []record.Attempt) infer.Result {
	an := infer.NewAnalyzer(run)
	for i := range recs {
		an.Add(&recs[i])
	}
	return an.Result()
}
