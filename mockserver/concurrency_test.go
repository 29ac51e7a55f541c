package mockserver

import (
	"context"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ratelab/ratelab/account"
	"github.com/ratelab/ratelab/limiter"
)

// TestConcurrentClientsNeverExceedTheBound sends 1,000 concurrent HTTP requests on one key and
// checks that exactly as many are admitted as the algorithm allows. The limits refill so slowly
// (one unit per minute, or quotas per hour) that, while the burst lasts, the bound is the burst:
// 120 for every algorithm (a leaky bucket with queue 119 admits 1 + 119). The window algorithms
// use 1-hour windows aligned to the epoch; should the test straddle a boundary, the bound is two
// windows.
func TestConcurrentClientsNeverExceedTheBound(t *testing.T) {
	const clients = 1000
	const quota = 120
	tests := []struct {
		alg   limiter.Algorithm
		limit account.Limit
	}{
		{limiter.TokenBucket, account.Limit{PerMinute: 1, Burst: ptr(int64(quota))}},
		{limiter.GCRA, account.Limit{PerMinute: 1, Burst: ptr(int64(quota))}},
		{limiter.LeakyBucket, account.Limit{PerMinute: 1, Burst: ptr(int64(quota - 1)), NoDelay: true}},
		{limiter.FixedWindow, account.Limit{PerMinute: quota / 60, Window: time.Hour}},
		{limiter.SlidingLog, account.Limit{PerMinute: quota / 60, Window: time.Hour}},
		{limiter.SlidingWindow, account.Limit{PerMinute: quota / 60, Window: time.Hour}},
	}
	for _, tc := range tests {
		if testing.Short() && tc.alg != limiter.TokenBucket {
			continue // -short: one algorithm is enough to show the HTTP path is serialized
		}
		t.Run(string(tc.alg), func(t *testing.T) {
			m, srv := startMock(t, func(c *account.Config) {
				tc.limit.Algorithm = tc.alg
				c.Limits.Requests = tc.limit
			})
			tr := &http.Transport{MaxIdleConnsPerHost: clients}
			defer tr.CloseIdleConnections()
			client := &http.Client{Transport: tr, Timeout: time.Minute}
			var got tally
			start := make(chan struct{})
			var wg sync.WaitGroup
			for range clients {
				wg.Go(func() {
					<-start
					got.send(client, srv.URL(), "shared")
				})
			}
			first := time.Now()
			close(start)
			wg.Wait()
			last := time.Now()
			require.Zero(t, got.other.Load(), "transport errors or unexpected statuses")
			assert.Equal(t, int64(clients), got.ok.Load()+got.limited.Load())
			require.Less(t, last.Sub(first), time.Minute, "the bound assumes no refill")
			st, _ := m.Ledger().AccountStats("shared")
			assert.Equal(t, got.ok.Load(), st.Status["200"], "the account saw what the clients saw")
			if tc.limit.Window == time.Hour && first.Truncate(time.Hour) != last.Truncate(time.Hour) {
				t.Logf("the burst straddled an hour boundary: the bound is two windows")
				assert.LessOrEqual(t, got.ok.Load(), int64(2*quota))
				assert.GreaterOrEqual(t, got.ok.Load(), int64(quota))
				return
			}
			assert.Equal(t, int64(quota), got.ok.Load())
		})
	}
}

// tally counts the answers to hello messages sent by several goroutines.
type tally struct{ ok, limited, other atomic.Int64 }

// send posts hello to base's /v1/messages with the API key and counts the answer: 200, 429, or
// anything else (a transport error included).
func (c *tally) send(client *http.Client, base, key string) {
	req, _ := http.NewRequestWithContext(context.Background(), http.MethodPost, base+"/v1/messages", strings.NewReader(hello))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("x-api-key", key)
	res, err := client.Do(req)
	if err != nil {
		c.other.Add(1)
		return
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	switch res.StatusCode {
	case 200:
		c.ok.Add(1)
	case 429:
		c.limited.Add(1)
	default:
		c.other.Add(1)
	}
}
