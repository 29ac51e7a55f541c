package planner

import (
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ratelab/ratelab/workload"
)

// TestFluidMiss: 300 requests a second apart against 10 a minute miss any delay bound for
// certain; at half the limit nothing is proved.
func TestFluidMiss(t *testing.T) {
	cfg := offConfig()
	cfg.Limits.Requests.PerMinute = 10
	slo, err := ParseSLO("p95-delay=2s")
	require.NoError(t, err)
	rep, err := workload.NewReplay(evenTrace(300, time.Second), 1, workload.ReplaySpec{})
	require.NoError(t, err)
	assert.Contains(t, fluidMiss(rep, &cfg, &slo), "p95-delay: the requests limit admits at most")
	rep, err = workload.NewReplay(evenTrace(300, 12*time.Second), 1, workload.ReplaySpec{})
	require.NoError(t, err)
	assert.Empty(t, fluidMiss(rep, &cfg, &slo))
	if p := os.Getenv("PLAN_DAY"); p != "" {
		tr, err := workload.ReadTrace(p)
		require.NoError(t, err)
		cfg.Limits.Requests.PerMinute = 2000
		for _, s := range []float64{2, 4, 8} {
			rep, err := workload.NewReplay(tr, s, workload.ReplaySpec{Seed: 1})
			require.NoError(t, err)
			t.Logf("scale %g: %q", s, fluidMiss(rep, &cfg, &slo))
		}
	}
}
