package redislimit

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ratelab/ratelab/mockserver/limiter"
)

// Exactness on a fake clock: the store, given the instants through the …At methods, must make
// the in-process limiter's decisions, header values included, decision for decision.

const (
	smallSequences = 8   // per algorithm
	largeSequences = 4   // per algorithm
	sequenceEvents = 150 // per sequence
)

func TestSameDecisionsAsInProcess(t *testing.T) {
	s, _ := startStore(t, Options{})
	ctx := context.Background()
	for ai, a := range limiter.Algorithms {
		t.Run(string(a), func(t *testing.T) {
			for i := range smallSequences + largeSequences {
				large := i >= smallSequences
				rng := rand.New(rand.NewPCG(uint64(ai), uint64(i)))
				l, in := newPair(t, s, rng, a, large, fmt.Sprintf("exact:%s:%d", a, i))
				seq := randomSequence(rng, in.Config(), sequenceEvents, true)
				for j, e := range seq {
					var got limiter.Decision
					var err error
					switch e.op {
					case opAllow:
						got, err = l.AllowAt(ctx, e.at, e.cost)
					case opCharge:
						got, err = l.ChargeAt(ctx, e.at, e.cost)
					default:
						got, err = l.PeekAt(ctx, e.at)
					}
					require.NoError(t, err)
					want := apply(in, e)
					if !assert.Equal(t, want, got, "sequence %d (%+v), event %d: %s", i, in.Config(), j, e) {
						return
					}
				}
			}
		})
	}
}

// newPair returns a store limiter and an in-process one of the same random config, redrawing
// configs that either side cannot represent (the in-process limiter's 292-year refill bound,
// or MaxAmount here).
func newPair(t *testing.T, s *Store, rng *rand.Rand, a limiter.Algorithm, large bool, key string) (*Limiter, limiter.Limiter) {
	t.Helper()
	for range 100 {
		c := randomConfig(rng, a, large)
		in, err := limiter.New(c)
		if err != nil {
			continue
		}
		l, err := s.Limiter(key, c)
		if err != nil {
			require.Contains(t, err.Error(), "longer than the Redis store can represent", "config %+v", c)
			continue
		}
		return l, in
	}
	t.Fatal("no representable config in 100 draws")
	return nil, nil
}

// TestAllowAllAsTheAccount checks AllowAll against what the mock's account does in process:
// each limiter in order takes its cost; on a refusal, those that took it get it back (Charge
// with a negative cost) and those after it are asked whether they would admit.
func TestAllowAllAsTheAccount(t *testing.T) {
	s, _ := startStore(t, Options{})
	ctx := context.Background()
	for seed := range 12 {
		rng := rand.New(rand.NewPCG(99, uint64(seed)))
		n := 2 + rng.IntN(3)
		ls := make([]*Limiter, n)
		ins := make([]limiter.Limiter, n)
		for i := range n {
			a := limiter.Algorithms[rng.IntN(len(limiter.Algorithms))]
			ls[i], ins[i] = newPair(t, s, rng, a, false, Key(fmt.Sprintf("account-%d", seed), fmt.Sprint("dim", i)))
		}
		seq := randomSequence(rng, ins[0].Config(), sequenceEvents, false)
		for j, e := range seq {
			reqs := make([]Request, n)
			for i := range n {
				// The last limiter is now and then a shadow that is only charged.
				reqs[i] = Request{Limiter: ls[i], Cost: e.cost * int64(i+1), Charge: i == n-1 && j%3 == 0}
			}
			got, err := s.AllowAllAt(ctx, e.at, reqs)
			require.NoError(t, err)
			want := accountAdmit(ins, e.at, reqs)
			if !assert.Equal(t, want, got, "seed %d, event %d: %s", seed, j, e) {
				return
			}
		}
	}
}

// accountAdmit is AllowAll in process, as the mock's account admits a request: the limiters
// asked in order, and on a refusal those that took their cost given it back and those after it
// only asked; the shadows charged once the request is admitted.
func accountAdmit(ins []limiter.Limiter, now time.Time, reqs []Request) Outcome {
	out := Outcome{Admitted: true, Refused: -1, Decisions: make([]limiter.Decision, len(ins)), States: make([]limiter.Decision, len(ins))}
	for i, in := range ins {
		if reqs[i].Charge {
			continue
		}
		d := in.Allow(now, reqs[i].Cost)
		out.Decisions[i] = d
		switch {
		case !out.Admitted && d.Allowed:
			in.Charge(now, -reqs[i].Cost) // only asked, after the refusal
		case out.Admitted && !d.Allowed:
			out.Admitted, out.Refused = false, i
			for k := range i {
				if !reqs[k].Charge {
					ins[k].Charge(now, -reqs[k].Cost)
				}
			}
		}
	}
	for i, in := range ins {
		if reqs[i].Charge {
			if out.Admitted {
				in.Charge(now, reqs[i].Cost)
			}
			out.Decisions[i] = in.Peek(now)
		}
		out.States[i] = in.Peek(now)
	}
	return out
}
