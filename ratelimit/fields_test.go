package ratelimit

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseNameCase(t *testing.T) {
	want := Parse(headerBlock("anthropic-ratelimit-requests-limit: 50\nRetry-After: 3"), received)
	require.Equal(t, DialectAnthropic, want.Dialect)
	for _, block := range []string{
		"anthropic-ratelimit-requests-limit: 50\nretry-after: 3",
		"ANTHROPIC-RATELIMIT-REQUESTS-LIMIT: 50\nRETRY-AFTER: 3",
		"Anthropic-RateLimit-Requests-Limit: 50\nRetry-after: 3",
	} {
		assert.Equal(t, want, Parse(rawHeaderBlock(block), received), block)
	}

	// The same field under two spellings (only a hand-built map can do this): the lexically
	// smaller key wins, whatever the map's iteration order.
	h := http.Header{"retry-after": {"1"}, "Retry-After": {"2"}, "RETRY-AFTER": {"3"}}
	for range 50 {
		got := Parse(h, received)
		assert.Equal(t, 3*time.Second, got.RetryAfter)
	}
}

func TestExactSlotsAgreeWithClassify(t *testing.T) {
	seen := map[int]bool{}
	for k, id := range exactSlots {
		require.GreaterOrEqual(t, id, 0, k)
		assert.Equal(t, classify(k), id, k)
		seen[id] = true
	}
	assert.Len(t, seen, numSlots, "every slot has a fast-path spelling")
}
