package discover

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/ratelab/ratelab/record"
)

func TestRetryExpectation(t *testing.T) {
	sent := 10 * time.Second
	tests := []struct {
		name         string
		a            record.Attempt
		ok           bool
		pred, margin float64
	}{
		{"none", record.Attempt{Sent: sent, Status: 429}, false, 0, 0},
		{"Retry-After 3 s: the second before", record.Attempt{Sent: sent, Status: 429, HasRetryAfter: true, RetryAfter: 3 * time.Second}, true, 12.5, 0.5},
		{"Retry-After 1 s: the half second before", record.Attempt{Sent: sent, Status: 429, HasRetryAfter: true, RetryAfter: time.Second}, true, 10.75, 0.25},
		{"retry-after-ms 1,250: at it", record.Attempt{Sent: sent, Status: 429, HasRetryAfter: true, RetryAfter: 1250 * time.Millisecond}, true, 11.25, 0.0625},
		{"Gemini retryDelay 34s in the body", record.Attempt{Sent: sent, Status: 429, HasRetryHint: true, RetryHint: 34 * time.Second}, true, 43.5, 0.5},
		{"OpenAI try again in 128ms in the body", record.Attempt{Sent: sent, Status: 429, HasRetryHint: true, RetryHint: 128 * time.Millisecond}, true, 10.128, 0.01},
		{"the header before the body", record.Attempt{Sent: sent, Status: 429, HasRetryAfter: true, RetryAfter: 3 * time.Second,
			HasRetryHint: true, RetryHint: 128 * time.Millisecond}, true, 12.5, 0.5},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, _, ok := retryWait(&tc.a)
			assert.Equal(t, tc.ok, ok)
			if !ok {
				return
			}
			pred, margin, _ := retryExpectation(&tc.a)
			assert.InDelta(t, tc.pred, pred, 1e-9)
			assert.InDelta(t, tc.margin, margin, 1e-9)
		})
	}
}
