package discover

import (
	"context"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/ratelab/ratelab/record"
	"github.com/ratelab/ratelab/summary"
)

// logModel replays sliding logs over discovery's attempts: q admissions in any window of w
// seconds, each entry leaving the log w after it was admitted (refusals are not logged). q is
// what the first burst admitted before its first refusal (from rest a log admits its quota).
type logModel struct {
	recs  []record.Attempt // 2xx and 429 only, in order of sending
	q     int
	slack float64
}

// logModel captures the attempts so far; ok is false before the first refusal.
func (f *finder) logModel() (*logModel, bool) {
	f.mu.Lock()
	all := slices.Clone(f.recs)
	f.mu.Unlock()
	sortBySent(all)
	lm := &logModel{slack: f.resolution()}
	refused := false
	for i := range all {
		if a := &all[i]; isOK(a) || a.Status == 429 {
			lm.recs = append(lm.recs, *a)
		}
	}
	settle(lm.recs)
	for i := range lm.recs {
		a := &lm.recs[i]
		switch {
		case refused:
		case a.Status == 429:
			refused = true
		default:
			lm.q++
		}
	}
	return lm, refused && lm.q > 0
}

// replay returns how many answers a log of window w does not predict, and the instant from
// which it admits the next attempt (run seconds, after the last attempt). An admission counts
// as predicted when the log had room within slack of its sending.
func (lm *logModel) replay(w float64) (m int, next float64) {
	var log []float64 // admitted instants, oldest first
	for i := range lm.recs {
		a := &lm.recs[i]
		sent := record.Seconds(a.Sent)
		room := len(log) < lm.q || sent-log[len(log)-lm.q] >= w-1e-9
		if isOK(a) {
			if !room && sent+math.Min(lm.slack, record.Seconds(a.Latency))-log[len(log)-lm.q] < w-1e-9 {
				m++
			}
			log = append(log, sent)
		} else if room {
			m++
		}
	}
	if len(log) < lm.q {
		return m, math.Inf(-1)
	}
	return m, log[len(log)-lm.q] + w
}

// interval returns the windows at which the log explains the attempts with the fewest
// mispredictions, and how many. Each attempt's gap (the time since the q-th most recent
// admission before it; refusals are not logged, so the gaps do not depend on w) decides it:
// the log has room iff gap ≥ w. So an admission is mispredicted for w above its gap (plus
// slack), a refusal for w at or below its gap, and sweeping w over the sorted gaps finds the
// best stretch exactly. Of several equally good stretches it returns the one nearest w0; ok
// is false when it is open on a side.
func (lm *logModel) interval(w0 float64) (lo, hi float64, m int, ok bool) {
	type edge struct {
		g   float64
		adm bool
	}
	var edges []edge
	var log []float64
	base := 0 // refusals the log mispredicts whatever w (it held fewer than q entries)
	for i := range lm.recs {
		a := &lm.recs[i]
		if len(log) < lm.q {
			if !isOK(a) {
				base++
			}
		} else {
			g := record.Seconds(a.Sent) - log[len(log)-lm.q]
			if isOK(a) {
				edges = append(edges, edge{g + math.Min(lm.slack, record.Seconds(a.Latency)), true})
			} else {
				edges = append(edges, edge{g, false})
			}
		}
		if isOK(a) {
			log = append(log, record.Seconds(a.Sent))
		}
	}
	slices.SortFunc(edges, func(a, b edge) int { return cmpFloat(a.g, b.g) })
	// Below every gap the refusals are all mispredicted; past an admission's gap it is, past
	// a refusal's it is not.
	cur := base
	for _, e := range edges {
		if !e.adm {
			cur++
		}
	}
	best, bestLo, bestHi := cur, math.Inf(-1), math.Inf(1)
	if len(edges) > 0 {
		bestHi = edges[0].g
	}
	for i, e := range edges {
		if e.adm {
			cur++
		} else {
			cur--
		}
		lo, hi := e.g, math.Inf(1)
		if i+1 < len(edges) {
			hi = edges[i+1].g
		}
		if hi <= lo {
			continue
		}
		near := func(l, h float64) float64 { return math.Max(0, math.Max(l-w0, w0-h)) }
		if cur < best || (cur == best && near(lo, hi) < near(bestLo, bestHi)) {
			best, bestLo, bestHi = cur, lo, hi
		}
	}
	ok = !math.IsInf(bestLo, -1) && !math.IsInf(bestHi, 1) && bestLo > 0
	return bestLo, bestHi, best, ok
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// bisectLog measures a limit that looks like a sliding log the way bisect does a bucket: the
// next admission comes when the oldest entry that matters leaves the log, w after it was
// admitted, so one attempt sent between the instants the window's interval predicts halves it.
// Once the window is known, attempts sent just after the log's entries leave it, where a log
// admits and a fixed window, a bucket or a counter of the same rate mostly refuse, tell it from
// them. It returns handled false, having sent nothing, when no log explains the attempts.
func (f *finder) bisectLog(ctx context.Context, w0 float64) (handled bool, err error) {
	for k := 0; ; k++ {
		lm, ok := f.logModel()
		if !ok {
			return k > 0, nil
		}
		lo, hi, m, bounded := lm.interval(w0)
		if m > f.tolerance() || !bounded {
			return k > 0, nil
		}
		if k > 0 {
			if l, ok := f.estimate(); ok && f.precise(l) && l.Algorithm != summary.AlgoUnknown {
				f.done = "the requests limit is known within the target precision"
				return true, nil
			}
		}
		if f.overBudget() {
			f.done = "discovery's request budget is spent"
			return true, nil
		}
		if k >= 12 {
			return true, nil // the analysis still hesitates: saturation decides
		}
		w0 = (lo + hi) / 2
		_, cLo := lm.replay(lo) // a shorter window reopens sooner
		_, cHi := lm.replay(hi)
		at := (cLo + cHi) / 2
		if at < f.r.Elapsed().Seconds() && cHi-cLo >= f.resolution() {
			// The instant has passed: the entries that would tell are older than the
			// attempts since, so no attempt from now on can place the window closer.
			return true, nil
		}
		if res := f.resolution(); cHi-cLo < res {
			// Known: by turns just before the log admits (a refusal, which a fixed window
			// or a faster limiter would not give) and just after (an admission).
			at = cHi + res
			if k%2 == 0 {
				at = cLo - res
			}
		}
		if f.o.Progress != nil {
			f.o.Progress(fmt.Sprintf("log %d: %d per %.4g s in [%.4g, %.4g]: next admission %.4f–%.4f s", k, lm.q, w0, lo, hi, cLo, cHi))
		}
		if ok, err := f.sleep(ctx, time.Duration((at-f.r.Elapsed().Seconds())*float64(time.Second))); err != nil || !ok {
			f.done = "discovery ran out of time"
			return true, err
		}
		if _, stopped, err := f.single(ctx, PhaseProbe); err != nil || stopped {
			return true, err
		}
	}
}
