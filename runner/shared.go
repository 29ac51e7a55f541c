package runner

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/ratelab/ratelab/backoff"
	"github.com/ratelab/ratelab/limiter/redislimit"
	"github.com/ratelab/ratelab/record"
)

// sharedStores are the Redis stores a run's live client-limiter(store=…) phases draw from, one
// connection per URL, closed when the run ends.
type sharedStores struct {
	byURL map[string]*redislimit.Store
	log   io.Writer
}

// fleetFor returns the retry fleet of a phase running strategy s: a live
// client-limiter(store=…) draws from its bucket in Redis, shared with every client (of this
// run or of another process) naming the same key; simulated, it models the store in process.
func (r *runState) fleetFor(s *backoff.Strategy, seed int64, mode string) (backoff.Fleet, error) {
	if s == nil {
		return nil, nil
	}
	url := s.Store()
	if url == "" || mode != record.ModeLive {
		return s.NewFleet(seed), nil
	}
	if r.stores.byURL == nil {
		r.stores.byURL = map[string]*redislimit.Store{}
		r.stores.log = r.o.Stderr
	}
	rs := r.stores.byURL[url]
	if rs == nil {
		var err error
		rs, err = redislimit.Open(url, redislimit.Options{
			OnOutage: func(err error) {
				fmt.Fprintf(r.stores.log, "ratelab: %s: store unavailable (%v); clients send without it until it returns\n", s.Label(), err)
			},
			OnRecovery: func(d time.Duration) {
				fmt.Fprintf(r.stores.log, "ratelab: %s: store available again after %s\n", s.Label(), d.Round(time.Millisecond))
			},
		})
		if err != nil {
			return nil, &ConfigError{Field: "strategy", Value: s.Label(), Msg: err.Error()}
		}
		if err := rs.Ping(context.Background()); err != nil {
			rs.Close()
			return nil, &ConfigError{Field: "strategy", Value: s.Label(), Msg: fmt.Sprintf("store: %v (is redis-server running there?)", err)}
		}
		r.stores.byURL[url] = rs
	}
	l, err := rs.Limiter(redislimit.Key("client-limiter:"+s.SharedKey(), "requests"), s.SharedConfig())
	if err != nil {
		return nil, &ConfigError{Field: "strategy", Value: s.Label(), Msg: err.Error()}
	}
	return s.NewFleetWith(seed, backoff.FleetOptions{Shared: redisBucket{l}}), nil
}

// closeStores closes the run's store connections.
func (r *runState) closeStores() {
	for _, rs := range r.stores.byURL {
		rs.Close()
	}
	r.stores.byURL = nil
}

// redisBucket is a client-limiter's bucket in Redis, decided at Redis's clock.
type redisBucket struct{ l *redislimit.Limiter }

func (b redisBucket) Take(time.Time) (time.Duration, error) {
	d, err := b.l.Allow(context.Background(), 1)
	if err != nil {
		return 0, err
	}
	if d.Allowed {
		return 0, nil
	}
	return d.RetryAfter, nil
}
