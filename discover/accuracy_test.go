//go:build accuracy

package discover_test

import (
	"context"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ratelab/ratelab/discover/accuracy"
)

// knownMisses are the cases the suite does not pass yet, with what goes wrong; a case listed
// here that passes, or a case not listed that fails, fails the test.
var knownMisses = map[string]string{
	"sliding-window/anthropic/600-per-min/1m0s": "the counter's good fits are a thin band in (length, boundary position): a 0.05 s shift of the boundary mispredicts tens of the 1,400 attempts, and the search (20 positions per length, then steps of w/200) misses the band; the best found puts the rate 8% high with an interval that excludes the truth",
}

// TestAccuracy runs the whole accuracy matrix in virtual time (about two minutes on two cores) and
// writes its Markdown table to the file named by RATELAB_ACCURACY_TABLE when set:
//
//	go test -tags accuracy -run TestAccuracy ./discover/
func TestAccuracy(t *testing.T) {
	cases := accuracy.Matrix()
	outs := make([]accuracy.Outcome, len(cases))
	var wg sync.WaitGroup
	sem := make(chan struct{}, 2)
	errs := make([]error, len(cases))
	for i, c := range cases {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			outs[i], errs[i] = accuracy.Run(context.Background(), c, 3)
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
	for _, o := range outs {
		why, known := knownMisses[o.Case.Name]
		switch {
		case o.Pass && known:
			t.Errorf("%s passes now: remove it from knownMisses (%s)", o.Case.Name, why)
		case !o.Pass && !known:
			t.Errorf("%s: %s", o.Case.Name, strings.Join(o.Why, "; "))
		}
	}
	assert.NotEmpty(t, outs)
}
