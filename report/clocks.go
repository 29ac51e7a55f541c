package report

import (
	"fmt"
	"math"

	"github.com/ratelab/ratelab/probe/record"
)

// A run's record times lie on one timeline on which live phases take wall-clock time and
// simulated ones virtual time, end to end (runner). Neither is the run's duration: a run that
// simulated five hours may have taken six seconds. These helpers tell the clocks apart.

// wallSeconds is how long the run took by the wall clock: run.json's ended − started. It is
// unknown (false) when either is missing, as in hand-written or truncated run.json files.
func wallSeconds(run *record.Run) (float64, bool) {
	if run.Started.IsZero() || run.Ended.IsZero() || run.Ended.Before(run.Started) {
		return 0, false
	}
	return run.Ended.Sub(run.Started).Seconds(), true
}

// simulated reports whether a segment ran in virtual time.
func simulated(sg *record.Segment) bool { return sg.Mode == record.ModeSim }

// virtualSeconds is the virtual time the run's simulated segments covered, and how many there
// were (0 when none ran).
func virtualSeconds(run *record.Run) (float64, int) {
	total, n := 0.0, 0
	for i := range run.Segments {
		sg := &run.Segments[i]
		if simulated(sg) && sg.EndS > sg.StartS {
			total += sg.EndS - sg.StartS
			n++
		}
	}
	return total, n
}

// clockTime formats a duration for the Run table: seconds, with minutes or hours beside a long
// one ("41.2 s", "18,312 s (5 h 5 min)").
func clockTime(sec float64) string {
	s := seconds(sec)
	switch {
	case sec >= 3600:
		h := math.Floor(sec / 3600)
		return fmt.Sprintf("%s (%s h %s min)", s, human(h), human(math.Floor((sec-3600*h)/60)))
	case sec >= 120:
		m := math.Floor(sec / 60)
		return fmt.Sprintf("%s (%s min %s s)", s, human(m), human(math.Floor(sec-60*m)))
	}
	return s
}

// durationFacts are the Run table's rows about time: Duration is always the wall-clock time,
// and a run that simulated says how much virtual time it covered, on its own row.
func durationFacts(run *record.Run) [][2]string {
	var rows [][2]string
	if w, ok := wallSeconds(run); ok {
		rows = append(rows, [2]string{"Duration", clockTime(w) + " of wall-clock time"})
	} else {
		rows = append(rows, [2]string{"Duration", "unknown: run.json records no end time (wall-clock time not measured)"})
	}
	if v, n := virtualSeconds(run); n > 0 {
		rows = append(rows, [2]string{"Simulated time", fmt.Sprintf("%s of virtual time in %s simulated segment%s (not wall-clock time)",
			clockTime(v), count(int64(n)), plural(int64(n)))})
	}
	return rows
}
