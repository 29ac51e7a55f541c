package infer

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/ratelab/ratelab/ratelimit"
	"github.com/ratelab/ratelab/record"
)

// TestBindingReservedTokens: a combined tokens limit in OpenAI's headers binds, and the answer
// says it reserves the prompt plus max_tokens at admission; the same figures in Anthropic's
// headers say nothing of a reservation.
func TestBindingReservedTokens(t *testing.T) {
	for _, tc := range []struct {
		name    string
		dialect ratelimit.Dialect
		out     int64
		want    string
	}{
		{"openai, short replies", ratelimit.DialectOpenAI, 100, "At 500 input and 100 output tokens per request, tokens bind first: the advertised 60,000 tokens/min allows 100 requests/min " +
			"(requests 500 requests/min would be allowed by the others). The tokens limit reserves the prompt plus max_tokens at admission (500 + 1,000 tokens a request), " +
			"as OpenAI's does, and settles to the output when the reply ends: with replies shorter than max_tokens, fewer requests are admitted at once than the sustained rate allows."},
		{"openai, full replies", ratelimit.DialectOpenAI, 1000, "At 500 input and 1,000 output tokens per request, tokens bind first: the advertised 60,000 tokens/min allows 40 requests/min " +
			"(requests 500 requests/min would be allowed by the others). The tokens limit reserves the prompt plus max_tokens at admission (500 + 1,000 tokens a request), " +
			"as OpenAI's does, and settles to the output when the reply ends."},
		{"anthropic", ratelimit.DialectAnthropic, 100, "At 500 input and 100 output tokens per request, tokens bind first: the advertised 60,000 tokens/min allows 100 requests/min " +
			"(requests 500 requests/min would be allowed by the others)."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := NewAnalyzer(nil)
			for i := range 10 {
				at := &record.Attempt{Run: "probe", Status: 200, Dialect: tc.dialect, InputTokens: 500, OutputTokens: tc.out, MaxTokens: 1000}
				at.Sent = time.Duration(i) * time.Second
				at.Limits[ratelimit.Requests] = ratelimit.State{Limit: 500, Remaining: 500, Flags: ratelimit.HasLimit | ratelimit.HasRemaining}
				at.Limits[ratelimit.Tokens] = ratelimit.State{Limit: 60000, Remaining: 60000, Flags: ratelimit.HasLimit | ratelimit.HasRemaining}
				a.Add(at)
			}
			b := a.Result().Binding
			if assert.NotNil(t, b) {
				assert.Equal(t, "tokens", b.Dimension)
				assert.Equal(t, tc.want, b.Explanation)
			}
		})
	}
}

// TestBindingSaysDailyQuota: a daily quota that refused the run binds before the per-minute
// answer, and the binding says so as a per-day figure.
func TestBindingSaysDailyQuota(t *testing.T) {
	a := NewAnalyzer(nil)
	for i := range 21 {
		at := &record.Attempt{Run: "probe", Status: 200, Dialect: ratelimit.DialectOpenAI, InputTokens: 10, OutputTokens: 10, MaxTokens: 10,
			Sent: time.Duration(i) * 100 * time.Millisecond}
		at.Limits[ratelimit.Requests] = ratelimit.State{Limit: 500, Remaining: 500 - int64(i), Flags: ratelimit.HasLimit | ratelimit.HasRemaining}
		if i == 20 {
			at.Status, at.Terminal = 429, ratelimit.TerminalDailyQuota
		}
		a.Add(at)
	}
	b := a.Result().Binding
	if assert.NotNil(t, b) {
		assert.Equal(t, "requests", b.Dimension)
		assert.True(t, strings.HasSuffix(b.Explanation, " A daily quota binds before it: it refused requests after 20 succeeded, a per-day limit that resets once a day."), b.Explanation)
	}
}
