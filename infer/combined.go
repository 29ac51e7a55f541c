package infer

import "github.com/ratelab/ratelab/ratelimit"

// derivedTokens reports whether the tokens headers only restate the input and output ones: on
// every reading that carries all three, tokens' limit and remaining are input's plus output's
// (as Anthropic sends its tokens-* headers without a combined limit, and the mock's Anthropic
// preset does) or equal one of the two (the most restrictive limit in effect). Such a
// remaining is the sum of two budgets, not a budget that refills at a rate of its own.
func derivedTokens(tl *timeline) bool {
	n := 0
	for i := range tl.events {
		h := &tl.events[i].hdr
		t, in, out := h[ratelimit.Tokens], h[ratelimit.InputTokens], h[ratelimit.OutputTokens]
		const both = ratelimit.HasLimit | ratelimit.HasRemaining
		if t.flags&both != both || in.flags&both != both || out.flags&both != both {
			continue
		}
		// Remaining rounded to thousands (Anthropic's tokens) is rounded after the sum.
		var slack int64
		if t.rem%1000 == 0 && in.rem%1000 == 0 && out.rem%1000 == 0 {
			slack = 2000
		}
		near := func(a, b int64) bool { return a-b <= slack && b-a <= slack }
		sum := t.limit == in.limit+out.limit && near(t.rem, in.rem+out.rem)
		isIn := t.limit == in.limit && near(t.rem, in.rem)
		isOut := t.limit == out.limit && near(t.rem, out.rem)
		if !sum && !isIn && !isOut {
			return false
		}
		n++
	}
	return n >= 3
}
