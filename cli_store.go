package main

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ratelab/ratelab/account"
	"github.com/ratelab/ratelab/account/redisstore"
	"github.com/ratelab/ratelab/limiter/redislimit"
	"github.com/ratelab/ratelab/metrics"
	"github.com/ratelab/ratelab/mockserver"
)

// mockFleetFlags are ratelab mock's flags for running as one of several replicas: the shared
// store and the metrics endpoint.
type mockFleetFlags struct {
	store    string
	failOpen bool
	metrics  bool
}

func addMockFleetFlags(fs *flagSet) *mockFleetFlags {
	f := &mockFleetFlags{}
	fs.StringVar(&f.store, "store", "", "keep every API key's limiter state in Redis (redis://HOST:PORT/DB), so that any number of mock replicas enforce one budget per key (default: in memory)")
	fs.BoolVar(&f.failOpen, "store-fail-open", false, "while the --store Redis is unavailable, admit requests without rate-limit headers instead of answering 503")
	fs.BoolVar(&f.metrics, "metrics", false, "serve Prometheus metrics at GET /metrics (admissions and refusals per dimension and hashed key, tokens, remaining, latency)")
	fs.value("store", "URL")
	fs.group("Replicas", "store", "store-fail-open", "metrics")
	return f
}

// redisLogOnce silences go-redis's own logging (a line per failed dial, many per outage): the
// store's outage callbacks log once per outage instead. go-redis's logger is process-wide.
var redisLogOnce sync.Once

type quietRedisLog struct{}

func (quietRedisLog) Printf(context.Context, string, ...any) {}

// openRedisStore opens a redislimit store at url that logs to w once per outage and once on
// recovery, and checks that Redis answers.
func openRedisStore(ctx context.Context, w io.Writer, flag, url, meanwhile string) (*redislimit.Store, error) {
	redisLogOnce.Do(func() { redis.SetLogger(quietRedisLog{}) })
	var mu sync.Mutex
	logf := func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		fmt.Fprintf(w, "%s "+format+"\n", append([]any{time.Now().UTC().Format(time.RFC3339)}, args...)...)
	}
	rs, err := redislimit.Open(url, redislimit.Options{
		OnOutage: func(err error) {
			logf("ratelab: the %s Redis is unavailable (%v); %s until it returns", flag, err, meanwhile)
		},
		OnRecovery: func(d time.Duration) {
			logf("ratelab: the %s Redis is available again after an outage of %s", flag, d.Round(time.Millisecond))
		},
	})
	if err != nil {
		return nil, usageErrorf("%s: %v", flag, err)
	}
	if err := rs.Ping(ctx); err != nil {
		rs.Close()
		return nil, usageErrorf("%s %s: %v (is redis-server running there?)", flag, redactURL(url), err)
	}
	return rs, nil
}

// apply wires the store and the metrics into m; the returned function releases the store.
func (f *mockFleetFlags) apply(ctx context.Context, env *cliEnv, m *mockserver.Mock) (func(), error) {
	if f.metrics {
		m.SetMetrics(metrics.NewMock())
	}
	if f.store == "" {
		if f.failOpen {
			return nil, usageErrorf("--store-fail-open: needs --store")
		}
		return func() {}, nil
	}
	meanwhile := "answering 503"
	if f.failOpen {
		meanwhile = "admitting every request without limits"
	}
	rs, err := openRedisStore(ctx, env.stderr, "--store", f.store, meanwhile)
	if err != nil {
		return nil, err
	}
	if err := m.Ledger().UseStore(redisstore.New(rs), account.StoreOptions{FailOpen: f.failOpen}); err != nil {
		rs.Close()
		return nil, usageErrorf("--store: %v", err)
	}
	return func() { rs.Close() }, nil
}

// redactURL hides a URL's password.
func redactURL(raw string) string {
	if u, err := url.Parse(raw); err == nil {
		return u.Redacted()
	}
	return "(unparsable URL)"
}
