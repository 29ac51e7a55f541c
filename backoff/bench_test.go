package backoff

import (
	"testing"
	"time"
)

// The simulator calls policies once or more per virtual attempt; these measure one attempt's
// policy work (Before, then After) for a plain backoff and for the fleet-shared strategies.
func BenchmarkAttempt(b *testing.B) {
	for _, spec := range []string{"full-jitter", "anthropic-sdk", "header-pacing", "client-limiter(rpm=6000,burst=100)", "aimd", "sre-adaptive"} {
		b.Run(spec, func(b *testing.B) {
			s, err := Resolve(spec)
			if err != nil {
				b.Fatal(err)
			}
			ps := clients(s.NewFleet(1), 16)
			now := t0
			i := 0
			for b.Loop() {
				p := ps[i%len(ps)]
				now = now.Add(10 * time.Millisecond)
				if g := p.Before(now, 1); g.Wait > 0 {
					now = now.Add(g.Wait)
					p.Before(now, 1)
				}
				p.After(now, headerOutcome(1, 200+229*(i%5/4), now, 50, time.Second))
				i++
			}
		})
	}
}
