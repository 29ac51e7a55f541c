package discover

import (
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/ratelab/ratelab/record"
)

func TestLogModelInterval(t *testing.T) {
	at := func(s float64, status int) record.Attempt {
		return record.Attempt{Sent: time.Duration(math.Round(s * 1e9)), Status: status}
	}
	// A log of 3 per 10 s: three admitted at 0, 0.1, 0.2, a refusal at 0.3.
	base := []record.Attempt{at(0, 200), at(0.1, 200), at(0.2, 200), at(0.3, 429)}
	tests := []struct {
		name   string
		more   []record.Attempt
		lo, hi float64
	}{
		{"refused at 9.9, admitted at 10.05: the first entry left between", []record.Attempt{at(9.9, 429), at(10.05, 200)}, 9.9, 10.05},
		{"then refused 0.04 later: the second had not left", []record.Attempt{at(9.9, 429), at(10.05, 200), at(10.09, 429)}, 9.99, 10.05},
		{"then admitted 0.08 later: the second had", []record.Attempt{at(9.9, 429), at(10.05, 200), at(10.13, 200)}, 9.9, 10.03},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			lm := &logModel{q: 3, recs: append(append([]record.Attempt{}, base...), tc.more...)}
			lo, hi, m, ok := lm.interval(10)
			assert.True(t, ok)
			assert.Zero(t, m)
			assert.InDelta(t, tc.lo, lo, 1e-9)
			assert.InDelta(t, tc.hi, hi, 1e-9)
		})
	}
}
