package backoff

import (
	"math"
	"net/url"
	"sync"
	"time"

	"github.com/ratelab/ratelab/limiter"
)

// SharedBucket is the token bucket of a client-limiter(store=…): its state lives in a store
// (Redis) that every client naming the same key shares, in this process and in others.
type SharedBucket interface {
	// Take takes one token when there is one and returns 0, else returns how long until there
	// will be one (taking nothing). An error means the store could not decide.
	Take(now time.Time) (wait time.Duration, err error)
}

// FleetOptions carries what a fleet needs from the run: the shared bucket of a live
// client-limiter(store=…), opened by the runner.
type FleetOptions struct {
	Shared SharedBucket
}

// Store returns the strategy's store parameter (client-limiter's store=…), "" when none.
func (s *Strategy) Store() string {
	if v, ok := s.values["store"].(string); ok {
		return v
	}
	return ""
}

// SharedKey returns the name of a client-limiter(store=…)'s shared bucket (its key=…).
func (s *Strategy) SharedKey() string {
	if v, ok := s.values["key"].(string); ok {
		return v
	}
	return ""
}

// SharedConfig returns the limiter a client-limiter(store=…) shares: a token bucket of burst
// tokens refilling at rpm, as a whole number of tokens per hour (rpm to 1/60 of a request).
func (s *Strategy) SharedConfig() limiter.Config {
	return sharedConfig(s.values)
}

func sharedConfig(v values) limiter.Config {
	return limiter.Config{
		Algorithm: limiter.TokenBucket,
		Limit:     max(1, int64(math.Round(v.float("rpm")*60))),
		Window:    time.Hour,
		Burst:     int64(v.int("burst")),
	}
}

// NewFleetWith is NewFleet with the run's resources: a client-limiter(store=…) given a shared
// bucket draws from it; without one (a simulation) it models the store in process, each
// decision a round trip of rtt.
func (s *Strategy) NewFleetWith(seed int64, o FleetOptions) Fleet {
	if o.Shared != nil && s.Store() != "" {
		return newSharedLimiter(seed, s.values, o.Shared)
	}
	return s.NewFleet(seed)
}

// redactStore hides a store URL's password, for summary.json.
func redactStore(raw string) string {
	if u, err := url.Parse(raw); err == nil {
		return u.Redacted()
	}
	return raw
}

// sharedFleet is a client-limiter whose bucket is shared beyond the run. With a store bucket
// (live) each Before asks the store; modelled (simulation), the bucket is a limiter in process
// decided half a round trip after the ask, its answer known a whole round trip after.
type sharedFleet struct {
	seed        int64
	l           limits
	base, limit time.Duration
	bucket      SharedBucket
	rtt         time.Duration // modelled round trip; 0 live
}

func newSharedLimiter(seed int64, v values, b SharedBucket) Fleet {
	f := &sharedFleet{seed: seed, l: v.limits(), base: v.dur("base"), limit: v.dur("cap"), bucket: b}
	if b == nil {
		lim, err := limiter.New(sharedConfig(v))
		if err != nil {
			panic("backoff: client-limiter's bucket: " + err.Error()) // rpm ≥ 1e-6 and burst ≥ 1 always build
		}
		f.bucket, f.rtt = &localBucket{lim: lim}, v.dur("rtt")
	}
	return f
}

// Client returns client i's policy; all of them draw from the shared bucket.
func (f *sharedFleet) Client(i int) Policy {
	return &sharedClient{fleet: f, retrier: retrier{limits: f.l, delay: retryDelay(ClientRand(f.seed, i), f.base, f.limit)}}
}

// sharedClient asks the bucket before every attempt and, refused, comes back when the bucket
// said a token would be there. A store that cannot decide lets the attempt go (fail open).
type sharedClient struct {
	retrier
	fleet *sharedFleet
	// asked is set while a modelled round trip is under way; wait is its answer.
	asked bool
	wait  time.Duration
}

// Before takes a token for the attempt, or says how long until one.
func (c *sharedClient) Before(now time.Time, _ int) Gate {
	f := c.fleet
	if f.rtt <= 0 {
		w, err := f.bucket.Take(now)
		if err != nil || w <= 0 {
			return Gate{}
		}
		return Gate{Wait: w}
	}
	if !c.asked {
		c.asked = true
		c.wait, _ = f.bucket.Take(now.Add(f.rtt / 2))
		return Gate{Wait: f.rtt}
	}
	c.asked = false
	if c.wait <= 0 {
		return Gate{}
	}
	// The token is there wait after the store decided, half a round trip ago: ask again so
	// that the next ask reaches the store then.
	return Gate{Wait: max(c.wait-f.rtt, time.Nanosecond)}
}

// localBucket is a SharedBucket in process: the simulator's model of the store.
type localBucket struct {
	mu  sync.Mutex
	lim limiter.Limiter
}

func (b *localBucket) Take(now time.Time) (time.Duration, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	d := b.lim.Allow(now, 1)
	if d.Allowed {
		return 0, nil
	}
	return d.RetryAfter, nil
}

// Label is the spec as String writes it, with a store URL shortened to its host and port (a
// label names runs and files: no slashes, no password), e.g.
// client-limiter(rpm=600,store=127.0.0.1:6379).
func (s Spec) Label() string {
	out := Spec{Name: s.Name, Args: make([]Arg, len(s.Args))}
	for i, a := range s.Args {
		if a.Name == "store" {
			if u, err := url.Parse(a.Value); err == nil && u.Host != "" {
				a.Value = u.Host
			}
		}
		out.Args[i] = a
	}
	return out.String()
}
