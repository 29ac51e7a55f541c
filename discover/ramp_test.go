package discover_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ratelab/ratelab/account"
	"github.com/ratelab/ratelab/discover"
	"github.com/ratelab/ratelab/discover/accuracy"
	"github.com/ratelab/ratelab/infer"
	"github.com/ratelab/ratelab/limiter"
	"github.com/ratelab/ratelab/ratelimit"
	"github.com/ratelab/ratelab/summary"
)

// TestRampUnderAcceleration discovers a 120-per-minute bucket behind the mock's acceleration
// model (a key may double its previous minute's requests, at least 60) in virtual time. Without
// a ramp the first burst trips the model: requests refused while the headers still show
// requests remaining, and the analysis says so. With discovery's ramp none is refused so, and
// the first burst admits the bucket's capacity, and the analysis measures the bucket (the
// minutes of warm-up keep it full: the capacity fit accounts for what it spilled).
func TestRampUnderAcceleration(t *testing.T) {
	base := accuracy.Case{Algorithm: limiter.TokenBucket, RPM: 120, Window: time.Minute, Dialect: "anthropic",
		Acceleration: &account.Acceleration{Factor: 2}, MaxDuration: 6 * time.Minute}
	for _, tc := range []struct {
		name string
		ramp *discover.Ramp
	}{
		{"no ramp", nil},
		{"ramp", &discover.Ramp{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := base
			c.Name, c.Ramp = "acceleration/"+tc.name, tc.ramp
			d, err := accuracy.Discover(context.Background(), c, 1)
			require.NoError(t, err)
			accel := 0
			for i := range d.Attempts {
				if s := d.Attempts[i].Limits[ratelimit.Requests]; d.Attempts[i].Status == 429 && s.Has(ratelimit.HasRemaining) && s.Remaining >= 1 {
					accel++ // refused with requests left: the acceleration model refused it
				}
			}
			an := infer.NewAnalyzer(d.Run)
			for i := range d.Attempts {
				an.Add(&d.Attempts[i])
			}
			res := an.Result()
			said := strings.Contains(strings.Join(res.Findings, "\n"), "sharp increase")
			if tc.ramp == nil {
				assert.Positive(t, accel, "the burst from rest trips the model")
				assert.True(t, said, "the analysis names the pattern: %q", res.Findings)
				return
			}
			assert.Zero(t, accel, "refusals by the acceleration model")
			assert.False(t, said, "%q", res.Findings)
			// The first burst, after the ramp, meets the bucket itself: its capacity admitted.
			burst := 0
			for i := range d.Attempts {
				if a := &d.Attempts[i]; a.Phase == discover.PhaseBurst {
					if a.Status == 429 {
						break
					}
					burst++
				}
			}
			assert.InDelta(t, 120, burst, 12, "admitted by the first burst")
			var req *summary.Limit
			for i := range res.Limits {
				if res.Limits[i].Dimension == ratelimit.Requests.String() {
					req = &res.Limits[i]
				}
			}
			require.NotNil(t, req, "%q", res.Findings)
			require.NotNil(t, req.EffectivePerMinute, "no rate: %s", req.Evidence)
			assert.InEpsilon(t, 120, *req.EffectivePerMinute, 0.03, req.Evidence)
			require.NotNil(t, req.EffectiveLow, req.Evidence)
			assert.LessOrEqual(t, *req.EffectiveLow, 120.0, req.Evidence)
			assert.GreaterOrEqual(t, *req.EffectiveHigh, 120.0, req.Evidence)
		})
	}
}
