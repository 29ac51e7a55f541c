package mockserver

import (
	"context"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ratelab/ratelab/account"
	"github.com/ratelab/ratelab/account/redisstore"
	"github.com/ratelab/ratelab/internal/redistest"
	"github.com/ratelab/ratelab/limiter/redislimit"
)

// BenchmarkReplicas measures the mock's decisions per second and per-request latency over HTTP
// (keep-alive connections, 16 concurrent senders, one key, limits high enough that every request
// is admitted) with the limiters in process (one mock) and in Redis (two replicas, requests
// alternating between them). The difference of the p99s is what the shared store adds to a
// request. A measurement, never pass/fail: BENCHMARKS.md has the figures.
func BenchmarkReplicas(b *testing.B) {
	set := func(c *account.Config) {
		c.Limits.Requests.PerMinute = 1 << 40
		c.Limits.InputTokens.PerMinute, c.Limits.OutputTokens.PerMinute = 1<<40, 1<<40
	}
	b.Run("in-process/1-replica", func(b *testing.B) {
		m := newMock(b, 1, set)
		srv := startBench(b, m)
		drive(b, []string{srv.URL()})
	})
	b.Run("redis/2-replicas", func(b *testing.B) {
		rsrv := redistest.Start(b)
		var urls []string
		for range 2 {
			m := newMock(b, 1, set)
			rs, err := redislimit.Open(rsrv.URL, redislimit.Options{})
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { rs.Close() })
			if err := m.Ledger().UseStore(redisstore.New(rs), account.StoreOptions{}); err != nil {
				b.Fatal(err)
			}
			urls = append(urls, startBench(b, m).URL())
		}
		drive(b, urls)
	})
}

func startBench(b *testing.B, m *Mock) *Server {
	srv := m.NewServer()
	ctx, cancel := context.WithCancel(context.Background())
	if err := srv.Start(ctx, "127.0.0.1:0"); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { cancel(); srv.Wait() })
	return srv
}

// drive sends b.N requests from 16 goroutines, request i to urls[i mod len(urls)], and reports
// requests per second and the p50 and p99 latency.
func drive(b *testing.B, urls []string) {
	tr := &http.Transport{MaxIdleConnsPerHost: 64}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr}
	var next atomic.Int64
	var mu sync.Mutex
	var lat []time.Duration
	var failed atomic.Int64
	b.ResetTimer()
	start := time.Now()
	b.SetParallelism(8) // 16 senders on 2 cores
	b.RunParallel(func(pb *testing.PB) {
		mine := make([]time.Duration, 0, 4096)
		for pb.Next() {
			u := urls[next.Add(1)%int64(len(urls))]
			req, _ := http.NewRequest(http.MethodPost, u+"/v1/messages", strings.NewReader(hello))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("x-api-key", "bench")
			t0 := time.Now()
			res, err := client.Do(req)
			if err != nil {
				failed.Add(1)
				continue
			}
			io.Copy(io.Discard, res.Body)
			res.Body.Close()
			if res.StatusCode != 200 {
				failed.Add(1)
			}
			mine = append(mine, time.Since(t0))
		}
		mu.Lock()
		lat = append(lat, mine...)
		mu.Unlock()
	})
	el := time.Since(start)
	if n := failed.Load(); n > 0 {
		b.Fatalf("%d requests failed or were refused", n)
	}
	slices.Sort(lat)
	if len(lat) == 0 {
		return
	}
	at := func(q float64) float64 { return float64(lat[int(q*float64(len(lat)-1))].Microseconds()) }
	b.ReportMetric(float64(b.N)/el.Seconds(), "req/s")
	b.ReportMetric(at(0.50), "p50-µs")
	b.ReportMetric(at(0.99), "p99-µs")
}
