package infer

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/ratelab/ratelab/ratelimit"
	"github.com/ratelab/ratelab/record"
)

func findingWith(fs []string, s string) string {
	for _, f := range fs {
		if strings.Contains(f, s) {
			return f
		}
	}
	return ""
}

// TestDailyQuotaSaidAsSuch: refusals a body named a daily quota stay out of the per-minute fits
// and are said as a per-day limit.
func TestDailyQuotaSaidAsSuch(t *testing.T) {
	a := NewAnalyzer(nil)
	for _, seg := range []string{"full-jitter/live/2", "retry-after/live/2"} {
		for i := range 5 {
			a.Add(&record.Attempt{Run: seg, Strategy: "x", Status: 200, Sent: time.Duration(i) * 10 * time.Millisecond})
		}
		for i := range 2 {
			a.Add(&record.Attempt{Run: seg, Strategy: "x", Status: 429, Sent: time.Duration(5+i) * 10 * time.Millisecond, Terminal: ratelimit.TerminalDailyQuota})
		}
	}
	res := a.Result()
	f := findingWith(res.Findings, "A daily quota")
	assert.Equal(t, "A daily quota refused requests after 5 succeeded in each of 2 segments: a per-day limit of about that many "+
		"requests (or their tokens), which resets once a day; it is not turned into a per-minute rate.", f)
	assert.Contains(t, findingWith(res.Findings, "terminal quota"), "4 daily quota exhausted")
	for _, l := range res.Limits {
		assert.Nil(t, l.EffectivePerMinute, "%s: no per-minute rate from a daily quota", l.Dimension)
	}
}

// TestAcceleration: 429s that still show most of every limit left, after the rate jumped from
// 6/min to 3/s, are named as such; the same refusals after steady traffic, or with a limit
// exhausted, are not.
func TestAcceleration(t *testing.T) {
	left := func(a *record.Attempt, remaining int64) {
		a.Dialect = ratelimit.DialectAnthropic
		a.Limits[ratelimit.Requests] = ratelimit.State{Limit: 1000, Remaining: remaining, Flags: ratelimit.HasLimit | ratelimit.HasRemaining}
	}
	run := func(steady bool, remaining int64) []string {
		a := NewAnalyzer(nil)
		for n := int64(0); ; n++ { // 6/min (or 3/s when steady)
			tm := time.Duration(n) * 10 * time.Second
			if steady {
				tm = time.Duration(n) * time.Second / 3
			}
			if tm >= time.Minute {
				break
			}
			at := &record.Attempt{Run: "probe", Status: 200, Sent: tm}
			left(at, 999)
			a.Add(at)
		}
		for i := range 30 { // then 3/s, refused with the budget left
			at := &record.Attempt{Run: "probe", Status: 200, Sent: time.Minute + time.Duration(i)*time.Second/3}
			if i >= 20 {
				at.Status = 429
			}
			left(at, remaining)
			a.Add(at)
		}
		return a.Result().Findings
	}
	f := findingWith(run(false, 900), "sharp increase")
	assert.Contains(t, f, "10 requests were refused below the known limit after a sharp increase (from 6/min to 180/min within 10s")
	assert.Empty(t, findingWith(run(true, 900), "sharp increase"), "steady traffic")
	assert.Empty(t, findingWith(run(false, 0), "sharp increase"), "a limit exhausted")
}

// TestBindingWithCacheReads: Anthropic's ITPM counts uncached input and cache writes, not
// reads; the binding answer says so in the workload's terms.
func TestBindingWithCacheReads(t *testing.T) {
	a := NewAnalyzer(nil)
	hdr := func(at *record.Attempt, d ratelimit.Dimension, limit int64) {
		at.Limits[d] = ratelimit.State{Limit: limit, Remaining: limit, Flags: ratelimit.HasLimit | ratelimit.HasRemaining}
	}
	for i := range 10 {
		at := &record.Attempt{Run: "probe", Status: 200, Sent: time.Duration(i) * time.Second, Dialect: ratelimit.DialectAnthropic,
			InputTokens: 20, CacheReadTokens: 80, OutputTokens: 20, MaxTokens: 20}
		hdr(at, ratelimit.Requests, 4000)
		hdr(at, ratelimit.InputTokens, 40000)
		hdr(at, ratelimit.OutputTokens, 8000)
		a.Add(at)
	}
	b := a.Result().Binding
	if assert.NotNil(t, b) {
		assert.Equal(t, "output_tokens", b.Dimension)
		assert.Equal(t, "With 80% cache reads (which do not count toward input tokens per minute where the provider says so), "+
			"requests allow 4,000 requests/min; input tokens allow 2,000 requests/min; output tokens bind at 400.", b.Explanation)
	}
}
