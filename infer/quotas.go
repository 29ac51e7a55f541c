package infer

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/ratelab/ratelab/ratelimit"
	"github.com/ratelab/ratelab/record"
)

// quotas watches for refusals the per-minute fits must not read as a rate: the ones an error
// body named terminal (a daily quota, a spend cap), which are kept out of the timelines and
// said as what they are, and the ones that came with budget left on every header after a sharp
// increase of traffic (an acceleration limit).
type quotas struct {
	okByRun  map[string]int64 // successes per segment label
	daily    map[string]int64 // segment label → successes before its first daily-quota refusal
	causes   map[string]int64 // terminal cause → refusals
	sends    map[string]*sendHist
	accel    int64   // refusals below the known limit after a sharp increase
	accelMax float64 // the largest increase seen: recent rate / earlier rate
	accelTo  float64 // the recent rate (per minute) at that refusal
	accelFr  float64 // the earlier rate (per minute) at that refusal
}

// Acceleration: the rate over the last accelRecent seconds is at least accelFactor times the
// rate over the accelEarlier seconds before, with at least accelMinSends sends recently, and
// every rate-limit header of the refusal still shows at least accelLeft of its limit.
const (
	accelRecent   = 10.0
	accelEarlier  = 60.0
	accelFactor   = 3.0
	accelMinSends = 5
	accelLeft     = 0.25
)

// add looks at one attempt that reached the server; it reports whether the attempt is a
// terminal refusal, which the timelines must not see.
func (q *quotas) add(at *record.Attempt) (terminal bool) {
	if q.okByRun == nil {
		q.okByRun, q.daily, q.causes, q.sends = map[string]int64{}, map[string]int64{}, map[string]int64{}, map[string]*sendHist{}
	}
	h := q.sends[at.Run]
	if h == nil {
		h = &sendHist{}
		q.sends[at.Run] = h
	}
	h.add(at.Sent)
	switch {
	case at.Outcome() == record.OutcomeOK:
		q.okByRun[at.Run]++
	case at.Terminal != "" && ratelimit.RunWide(at.Terminal):
		q.causes[at.Terminal]++
		if _, seen := q.daily[at.Run]; !seen && at.Terminal == ratelimit.TerminalDailyQuota {
			q.daily[at.Run] = q.okByRun[at.Run]
		}
		return true
	case at.Status == 429 && budgetLeft(at):
		recent := float64(h.between(at.Sent-accelRecent*time.Second, at.Sent)) / accelRecent
		earlier := float64(h.between(at.Sent-(accelRecent+accelEarlier)*time.Second, at.Sent-accelRecent*time.Second)) / accelEarlier
		if recent*accelRecent >= accelMinSends && recent >= accelFactor*earlier {
			q.accel++
			f := math.Inf(1)
			if earlier > 0 {
				f = recent / earlier
			}
			if q.accel == 1 || f > q.accelMax {
				q.accelMax, q.accelTo, q.accelFr = f, recent*60, earlier*60
			}
		}
	}
	return false
}

// budgetLeft reports whether every rate-limit header of a refusal shows at least accelLeft of
// its limit remaining (and at least one does): refused below the known limit.
func budgetLeft(at *record.Attempt) bool {
	any := false
	for d := range ratelimit.NumDimensions {
		s := at.Limits[d]
		if !s.Has(ratelimit.HasLimit) || !s.Has(ratelimit.HasRemaining) || s.Limit <= 0 {
			continue
		}
		if float64(s.Remaining) < accelLeft*float64(s.Limit) {
			return false
		}
		any = true
	}
	return any
}

// findings says what the watch saw, in a capacity planner's words.
func (q *quotas) findings() []string {
	var out []string
	if n := len(q.daily); n > 0 {
		counts := make([]int64, 0, n)
		for _, v := range q.daily {
			counts = append(counts, v)
		}
		slices.Sort(counts)
		admitted := fmtNum(float64(counts[0]))
		if counts[0] != counts[n-1] {
			admitted += "–" + fmtNum(float64(counts[n-1]))
		}
		where := "in the run"
		if n > 1 {
			where = fmt.Sprintf("in each of %d segments", n)
		}
		out = append(out, fmt.Sprintf("A daily quota refused requests after %s succeeded %s: a per-day limit of about that many "+
			"requests (or their tokens), which resets once a day; it is not turned into a per-minute rate.", admitted, where))
	}
	var other []string
	for _, c := range []string{ratelimit.TerminalInsufficientQuota, ratelimit.TerminalSpendCap, ratelimit.TerminalDailyQuota} {
		if n := q.causes[c]; n > 0 {
			other = append(other, fmt.Sprintf("%s %s", fmtNum(float64(n)), ratelimit.TerminalWords(c)))
		}
	}
	if len(other) > 0 {
		out = append(out, fmt.Sprintf("Refusals that named a terminal quota (%s) are left out of the per-minute inference.", strings.Join(other, ", ")))
	}
	if q.accel > 0 {
		from := "none"
		if q.accelFr > 0 {
			from = fmtNum(math.Round(q.accelFr)) + "/min"
		}
		out = append(out, fmt.Sprintf("%s refused below the known limit after a sharp increase (from %s to %s/min within %gs, "+
			"with at least %.0f%% of every limit the headers state left): an acceleration limit, or the limit enforced over a "+
			"shorter period; ramp up gradually.", plural429(q.accel), from, fmtNum(math.Round(q.accelTo)), accelRecent, accelLeft*100))
	}
	return out
}

func plural429(n int64) string {
	if n == 1 {
		return "1 request was"
	}
	return fmtNum(float64(n)) + " requests were"
}

// sendHist counts sends per whole second over the last 80 seconds.
type sendHist struct {
	secs, counts []int64
}

func (h *sendHist) add(t time.Duration) {
	s := wholeSeconds(t)
	if n := len(h.secs); n > 0 && h.secs[n-1] >= s {
		// Log order is nearly send order; a late one counts in the newest second.
		h.counts[n-1]++
	} else {
		h.secs, h.counts = append(h.secs, s), append(h.counts, 1)
	}
	drop := 0
	for drop < len(h.secs) && h.secs[drop] < s-int64(accelRecent+accelEarlier)-10 {
		drop++
	}
	if drop > 0 {
		h.secs, h.counts = h.secs[drop:], h.counts[drop:]
	}
}

// between counts the sends in the whole seconds after lo's up to hi's: (⌊lo⌋, ⌊hi⌋].
func (h *sendHist) between(lo, hi time.Duration) int64 {
	var n int64
	l, u := wholeSeconds(lo), wholeSeconds(hi)
	for i, s := range h.secs {
		if s > l && s <= u {
			n += h.counts[i]
		}
	}
	return n
}

// wholeSeconds is ⌊t⌋ in seconds.
func wholeSeconds(t time.Duration) int64 {
	s := int64(t / time.Second)
	if t < 0 && t%time.Second != 0 {
		s--
	}
	return s
}
