//go:build accuracy

package discover_test

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ratelab/ratelab/discover/accuracy"
)

// TestAccuracyPresets runs the accuracy rows of the provider presets alone (TestAccuracy runs
// them with the whole matrix) and holds each to the matrix's targets (the interval holds the
// enforced rate, the effective rate is within tolerance) and to the case's whole score: burst,
// algorithm and the expected sentences too.
//
//	go test -tags accuracy -run TestAccuracyPresets ./discover/
func TestAccuracyPresets(t *testing.T) {
	var outs []accuracy.Outcome
	for _, c := range accuracy.Presets() {
		t.Run(c.Name, func(t *testing.T) {
			o, err := accuracy.Run(context.Background(), c, 1)
			require.NoError(t, err)
			outs = append(outs, o)
			assert.True(t, o.RateOK, "effective rate %v, truth %v", o.Result, o.Truth.PerMinute)
			assert.True(t, o.Covered, "the interval holds the enforced rate")
			assert.True(t, o.AdvertisedOK, "%s", strings.Join(o.AdvertisedWhy, "; "))
			assert.True(t, o.Pass, "%s", strings.Join(o.Why, "; "))
		})
	}
	var b strings.Builder
	accuracy.Markdown(&b, outs)
	t.Log("\n" + b.String())
}
