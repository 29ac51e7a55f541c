//go:build accuracy

package discover_test

import (
	"context"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ratelab/ratelab/discover/accuracy"
)

// TestAccuracy runs the whole accuracy matrix, the real-world variants included, in virtual
// time with seed 1 (the first seed of `go run ./bench/infer -seeds 5`) and checks issue 13's
// targets: the reported interval holds the enforced rate, and the effective rate is within
// ±3% with headers and ±5% without, each in at least 95% of the cases; every advertised figure
// is within 1% of its limit header. It writes the Markdown table to the file named by
// RATELAB_ACCURACY_TABLE when set:
//
//	go test -tags accuracy -run TestAccuracy -timeout 60m ./discover/
func TestAccuracy(t *testing.T) {
	cases := accuracy.Matrix()
	outs := make([]accuracy.Outcome, len(cases))
	var wg sync.WaitGroup
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	errs := make([]error, len(cases))
	for i, c := range cases {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			outs[i], errs[i] = accuracy.Run(context.Background(), c, 1)
		})
	}
	wg.Wait()
	for i, err := range errs {
		require.NoError(t, err, cases[i].Name)
	}
	var b strings.Builder
	accuracy.Markdown(&b, outs)
	t.Log("\n" + b.String())
	if p := os.Getenv("RATELAB_ACCURACY_TABLE"); p != "" {
		require.NoError(t, os.WriteFile(p, []byte(b.String()), 0o644))
	}
	var covered, rateOK int
	for _, o := range outs {
		if o.Covered {
			covered++
		}
		if o.RateOK {
			rateOK++
		}
		assert.True(t, o.AdvertisedOK, "%s: %s", o.Case.Name, strings.Join(o.AdvertisedWhy, "; "))
	}
	n := float64(len(outs))
	assert.GreaterOrEqual(t, float64(covered)/n, 0.95, "intervals holding the enforced rate: %d of %d", covered, len(outs))
	assert.GreaterOrEqual(t, float64(rateOK)/n, 0.95, "effective rates within tolerance: %d of %d", rateOK, len(outs))
}
