package sim

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/ratelab/ratelab/api"
)

// TestHintCache: the cache gives what api.MessageHint gives, whatever the order of messages.
func TestHintCache(t *testing.T) {
	tests := []struct{ name, typ, msg string }{
		{"anthropic", "rate_limit_error", "This request would exceed the rate limit for your organization (org) of 50 requests per minute."},
		{"openai with a wait", "requests", "Rate limit reached for m in organization org on requests per min (RPM): Limit 3, Used 3, Requested 1. Please try again in 20s."},
		{"the same text, another type", "tokens", "Rate limit reached for m in organization org on requests per min (RPM): Limit 3, Used 3, Requested 1. Please try again in 20s."},
		{"a daily quota", "insufficient_quota", "You exceeded your current quota, please check your plan and billing details."},
		{"empty", "rate_limit_error", ""},
	}
	var c hintCache
	for range 2 { // each case after another, then again: hits and misses
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				assert.Equal(t, api.MessageHint(tt.typ, tt.msg), c.of(tt.typ, tt.msg))
				assert.Equal(t, api.MessageHint(tt.typ, tt.msg), c.of(tt.typ, tt.msg))
			})
		}
	}
}
