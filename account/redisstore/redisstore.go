// Package redisstore puts an account.Ledger's limiters in Redis: it implements account.Store
// over limiter/redislimit, so that mock replicas sharing one Redis enforce one budget per API
// key. Each account limit lives under redislimit.Key(API key, limit name), e.g.
// "ratelab:{3f2a…}:requests" (the key hashed; names may gain qualifiers such as a model class
// without clashing), and a call's limits are decided in one script call, at Redis's clock.
package redisstore

import (
	"context"
	"sync"

	"github.com/ratelab/ratelab/account"
	"github.com/ratelab/ratelab/limiter"
	"github.com/ratelab/ratelab/limiter/redislimit"
)

// Store is an account.Store over a redislimit.Store. It is safe for concurrent use.
type Store struct {
	rs *redislimit.Store

	mu   sync.RWMutex
	lims map[limitID]*redislimit.Limiter
}

type limitID struct {
	account, limit string
	cfg            limiter.Config
}

// New returns the account store over rs (which the caller closes).
func New(rs *redislimit.Store) *Store {
	return &Store{rs: rs, lims: map[limitID]*redislimit.Limiter{}}
}

// Redis returns the underlying redislimit store.
func (s *Store) Redis() *redislimit.Store { return s.rs }

// Check reports whether Redis can run c (a window of whole microseconds, amounts within
// redislimit.MaxAmount).
func (s *Store) Check(c limiter.Config) error {
	_, err := s.rs.Limiter(redislimit.Key("check", "check"), c)
	return err
}

// limiter returns the Redis limiter of one account limit, made once.
func (s *Store) limiter(r *account.StoreRequest) (*redislimit.Limiter, error) {
	id := limitID{r.Account, r.Limit, r.Config}
	s.mu.RLock()
	l := s.lims[id]
	s.mu.RUnlock()
	if l != nil {
		return l, nil
	}
	l, err := s.rs.Limiter(redislimit.Key(r.Account, r.Limit), r.Config)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	if prev := s.lims[id]; prev != nil {
		l = prev
	} else {
		s.lims[id] = l
	}
	s.mu.Unlock()
	return l, nil
}

// Decide decides reqs in one round trip (redislimit.Store.AllowAll).
func (s *Store) Decide(ctx context.Context, reqs []account.StoreRequest) (account.StoreOutcome, error) {
	rr := make([]redislimit.Request, len(reqs))
	for i := range reqs {
		l, err := s.limiter(&reqs[i])
		if err != nil {
			return account.StoreOutcome{}, err
		}
		rr[i] = redislimit.Request{Limiter: l, Cost: reqs[i].Cost, Charge: reqs[i].Charge}
	}
	out, err := s.rs.AllowAll(ctx, rr)
	if err != nil {
		return account.StoreOutcome{}, err
	}
	return account.StoreOutcome{Admitted: out.Admitted, Refused: out.Refused, Decisions: out.Decisions, States: out.States}, nil
}
