package probe

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/ratelab/ratelab/engine"
	"github.com/ratelab/ratelab/ratelimit"
)

// ProgressInterval is how often the progress line is redrawn.
const ProgressInterval = 250 * time.Millisecond

// shortName names a dimension in the progress line.
func shortName(d ratelimit.Dimension) string {
	switch d {
	case ratelimit.Requests:
		return "req"
	case ratelimit.Tokens:
		return "tok"
	case ratelimit.InputTokens:
		return "in"
	case ratelimit.OutputTokens:
		return "out"
	}
	return d.String()
}

// ProgressLine formats one progress line: elapsed/planned, attempts sent, 2xx, 429, 5xx,
// transport errors, the current rate, and the last remaining quota of each dimension seen.
// planned ≤ 0 means unknown.
func ProgressLine(s engine.Stats, planned time.Duration, rate float64) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%5.1fs", s.Elapsed.Seconds())
	if planned > 0 {
		fmt.Fprintf(&b, "/%.0fs", planned.Seconds())
	}
	fmt.Fprintf(&b, "  sent %d  2xx %d  429 %d  5xx %d", s.Attempts, s.OK, s.RateLimited, s.ServerErrors)
	if s.TransportErrors > 0 {
		fmt.Fprintf(&b, "  err %d", s.TransportErrors)
	}
	fmt.Fprintf(&b, "  %.1f/s", rate)
	first := true
	for d, st := range s.Limits {
		if !st.Has(ratelimit.HasRemaining) {
			continue
		}
		if first {
			b.WriteString("  remaining")
			first = false
		}
		fmt.Fprintf(&b, " %s %d", shortName(ratelimit.Dimension(d)), st.Remaining)
	}
	if s.Dropped > 0 || s.Late > 0 {
		fmt.Fprintf(&b, "  BEHIND: dropped %d late %d", s.Dropped, s.Late)
	}
	return b.String()
}

// Progress redraws the progress line on w (a terminal) every ProgressInterval until the
// returned stop is called, which draws the last line and ends it with a newline. The rate is
// the attempts finished over the last interval.
func (e *Engine) Progress(w io.Writer, planned time.Duration) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	draw := func(last *int64, lastAt *time.Duration) {
		s := e.Stats()
		rate := 0.0
		if dt := s.Elapsed - *lastAt; dt > 0 {
			rate = float64(s.Attempts-*last) / dt.Seconds()
		}
		*last, *lastAt = s.Attempts, s.Elapsed
		// \r returns to the line start, ESC[K clears what the previous line left behind.
		fmt.Fprintf(w, "\r%s\x1b[K", ProgressLine(s, planned, rate))
	}
	wg.Go(func() {
		var last int64
		var lastAt time.Duration
		t := time.NewTicker(ProgressInterval)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				draw(&last, &lastAt)
			case <-done:
				draw(&last, &lastAt)
				fmt.Fprintln(w)
				return
			}
		}
	})
	var once sync.Once
	return func() { once.Do(func() { close(done); wg.Wait() }) }
}
