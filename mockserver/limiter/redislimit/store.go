// Package redislimit keeps rate limiters' state in Redis, so that any number of processes (mock
// replicas behind a load balancer, the clients of a fleet) enforce one budget per key. It runs
// the algorithms of package limiter with the same decisions and header values; each decision
// is one round trip, a Lua script that reads Redis's clock (TIME, the one clock of every
// process sharing a key), decides, and writes the state back with a TTL so that idle keys
// expire. Several limiters can be decided at once, all admitting or none (AllowAll).
//
// Redis's clock has microsecond resolution, so windows must be whole microseconds; Lua's
// numbers are doubles, so limits, bursts and costs are bounded by MaxAmount. When Redis cannot
// be reached, calls return an *UnavailableError, and the store reconnects by itself when Redis
// returns.
package redislimit

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// DefaultTimeout bounds one decision's round trip, connecting included, when Options.Timeout is
// zero: long enough for a loaded Redis, short enough that a request does not hang on a dead one.
const DefaultTimeout = 250 * time.Millisecond

// DefaultExpiryMargin is how long after its limiter is back to a fresh state (a full bucket, an
// empty window) a key stays in Redis, when Options.ExpiryMargin is zero.
const DefaultExpiryMargin = time.Minute

// Options configures a Store. The zero value is usable.
type Options struct {
	// Timeout bounds each call's round trip (default DefaultTimeout). A call that times out
	// returns an *UnavailableError.
	Timeout time.Duration
	// ExpiryMargin is added to every key's TTL beyond the time its limiter needs to be as good
	// as fresh (default DefaultExpiryMargin); it covers clock differences between the
	// instants callers pass to the …At methods and Redis's own clock.
	ExpiryMargin time.Duration
	// OnOutage, if set, is called once when a call finds Redis unavailable after it was
	// available (or at the first call), with that call's error, so that the caller logs once
	// per outage. It runs in the calling goroutine.
	OnOutage func(err error)
	// OnRecovery, if set, is called once when a call succeeds after an outage, with the time
	// since the outage was noticed. It runs in the calling goroutine.
	OnRecovery func(outage time.Duration)
}

// Store decides requests on limiters whose state lives in one Redis database. It is safe for
// concurrent use.
type Store struct {
	rdb    redis.Scripter
	closer func() error // nil when the caller owns the client
	addr   string
	opts   Options
	// downSince is when the current outage was noticed (Unix ns), 0 while Redis is available.
	downSince atomic.Int64
}

// Open connects to the Redis at rawURL (redis://[user:password@]host:port/db, or rediss:// for
// TLS) and returns a store that owns the connection; Close releases it. Nothing is sent until
// the first call (Ping checks the connection). Commands are never resent after a network
// error, as a resent script could take a cost twice, and a refused connection is not redialled
// within a call. After a burst of failed dials the client stops dialling (calls then fail at
// once) and probes Redis every second in the background until it answers; so the store
// recovers within about a second of Redis's return.
func Open(rawURL string, o Options) (*Store, error) {
	opt, err := redis.ParseURL(rawURL)
	if err != nil {
		return nil, fmt.Errorf("redislimit: store URL %q: %v (want redis://host:port/db, e.g. redis://127.0.0.1:6379/0)", redact(rawURL), err)
	}
	o = o.withDefaults()
	opt.MaxRetries, opt.DialerRetries = -1, 1
	opt.DialTimeout, opt.ReadTimeout, opt.WriteTimeout = o.Timeout, o.Timeout, o.Timeout
	opt.ContextTimeoutEnabled = true
	c := redis.NewClient(opt)
	s := newStore(c, opt.Addr, o)
	s.closer = c.Close
	return s, nil
}

// New returns a store over a client the caller owns and configures (a *redis.Client,
// *redis.ClusterClient or *redis.Ring); Close leaves it open. With Redis Cluster, the keys
// decided together by AllowAll must share a hash tag, as Key's do. Leave the client's
// MaxRetries at -1: a script resent after a network error could take a cost twice.
func New(rdb redis.UniversalClient, o Options) *Store {
	addr := "redis"
	if c, ok := rdb.(*redis.Client); ok {
		addr = c.Options().Addr
	}
	return newStore(rdb, addr, o.withDefaults())
}

func newStore(rdb redis.Scripter, addr string, o Options) *Store {
	return &Store{rdb: rdb, addr: addr, opts: o}
}

func (o Options) withDefaults() Options {
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.ExpiryMargin <= 0 {
		o.ExpiryMargin = DefaultExpiryMargin
	}
	return o
}

// Close closes the connection when Open made it.
func (s *Store) Close() error {
	if s.closer == nil {
		return nil
	}
	return s.closer()
}

// Ping checks that Redis answers and loads the decision script (so the first decision is not
// the one that sends it).
func (s *Store) Ping(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, s.opts.Timeout)
	defer cancel()
	err := decideScript.Load(ctx, s.rdb).Err()
	return s.observe(ctx, err)
}

// KeyPrefix starts every key Key makes.
const KeyPrefix = "ratelab"

// Key returns the Redis key of one account's limiter on one dimension:
// "ratelab:{H}:dimension", where H is the first 16 hex digits of the account's SHA-256, so
// that an API key never reaches Redis in clear. The braces are a Redis Cluster hash tag: all of
// an account's dimensions live on one node and AllowAll can decide them together.
func Key(account, dimension string) string {
	h := sha256.Sum256([]byte(account))
	return KeyPrefix + ":{" + hex.EncodeToString(h[:8]) + "}:" + dimension
}

// ErrUnavailable is matched (errors.Is) by every error that means Redis could not be reached
// or could not serve: a refused or dropped connection, a timeout, a server still loading or
// failing over.
var ErrUnavailable = errors.New("redis store unavailable")

// UnavailableError is returned when Redis could not be reached or could not serve the call:
// the caller answers 503 or fails open. The store reconnects by itself on a later call. A call
// that timed out may still have been applied by Redis (a hung server runs it when it resumes).
type UnavailableError struct {
	Addr string // the Redis address
	Err  error  // what the client reported
}

func (e *UnavailableError) Error() string {
	return fmt.Sprintf("redislimit: redis at %s unavailable: %v", e.Addr, e.Err)
}

// Unwrap returns the client's error.
func (e *UnavailableError) Unwrap() error { return e.Err }

// Is matches ErrUnavailable.
func (e *UnavailableError) Is(target error) bool { return target == ErrUnavailable }

// unavailableReplies are the error replies of a Redis that is up but cannot serve now.
var unavailableReplies = []string{"LOADING", "READONLY", "MASTERDOWN", "CLUSTERDOWN", "TRYAGAIN", "BUSY", "NOREPLICAS"}

// observe classifies a call's error (nil stays nil), and tracks outages for the callbacks.
// ctx is the call's own context: when it was cancelled by the caller, the error is the
// caller's, not an outage.
func (s *Store) observe(ctx context.Context, err error) error {
	if err == nil {
		if since := s.downSince.Load(); since != 0 && s.downSince.CompareAndSwap(since, 0) && s.opts.OnRecovery != nil {
			s.opts.OnRecovery(time.Duration(time.Now().UnixNano() - since))
		}
		return nil
	}
	if !isUnavailable(err) || errors.Is(ctx.Err(), context.Canceled) {
		return fmt.Errorf("redislimit: %w", err)
	}
	err = &UnavailableError{Addr: s.addr, Err: err}
	if s.downSince.CompareAndSwap(0, time.Now().UnixNano()) && s.opts.OnOutage != nil {
		s.opts.OnOutage(err)
	}
	return err
}

// isUnavailable reports whether err means that Redis could not serve, rather than that the
// call was wrong (a script error) or the client closed.
func isUnavailable(err error) bool {
	if errors.Is(err, redis.ErrClosed) {
		return false
	}
	var re redis.Error
	if errors.As(err, &re) {
		msg := re.Error()
		for _, p := range unavailableReplies {
			if strings.HasPrefix(msg, p) {
				return true
			}
		}
		return false
	}
	return true // network errors, timeouts, pool exhaustion
}

// redact hides a URL's password.
func redact(raw string) string {
	if u, err := url.Parse(raw); err == nil {
		return u.Redacted()
	}
	return "(unparsable URL)"
}
