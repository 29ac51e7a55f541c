//go:build mockprof

package mockserver

import (
	"context"
	"os"
	"runtime"
	"testing"
	"time"

	"github.com/ratelab/ratelab/account"
)

// TestServeForProfile serves the contract check's mock-speed configuration on $MOCKPROF_ADDR for
// $MOCKPROF_DURATION (default 10s) so that an external load generator can drive it while
// `go test -cpuprofile` records the process: the mock's CPU profile under real HTTP load, without
// profiling endpoints in the shipped server. It holds the same 64 MB GC ballast as `ratelab mock`. See
// bench/mock/README.md.
func TestServeForProfile(t *testing.T) {
	ballast := make([]byte, 64<<20)
	defer runtime.KeepAlive(ballast)
	serveFor(t, benchConfig(), nil)
}

// TestMemWatch serves the same configuration with 50 tokens/s replies and logs, every 5 s after
// a forced collection, the live heap, the stacks and the memory taken from the OS: whether memory
// under a long streaming load (go run ./bench/stream -load URL -n 2000) stays flat, apart from
// the garbage between collections that RSS also counts. See BENCHMARKS.md (Streams).
func TestMemWatch(t *testing.T) {
	cfg := benchConfig()
	cfg.OutputTPS = 50
	serveFor(t, cfg, func(ctx context.Context) {
		for ctx.Err() == nil {
			time.Sleep(5 * time.Second)
			runtime.GC()
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			t.Logf("live heap %.1f MB, stacks %.1f MB, from the OS %.1f MB, goroutines %d",
				float64(ms.HeapAlloc)/1e6, float64(ms.StackInuse)/1e6, float64(ms.Sys)/1e6, runtime.NumGoroutine())
		}
	})
}

// serveFor serves cfg on $MOCKPROF_ADDR for $MOCKPROF_DURATION (default 10s), running watch
// beside it when given.
func serveFor(t *testing.T, cfg account.Config, watch func(context.Context)) {
	addr := os.Getenv("MOCKPROF_ADDR")
	if addr == "" {
		t.Skip("MOCKPROF_ADDR not set")
	}
	d := 10 * time.Second
	if s := os.Getenv("MOCKPROF_DURATION"); s != "" {
		var err error
		if d, err = time.ParseDuration(s); err != nil {
			t.Fatalf("MOCKPROF_DURATION %q: want a Go duration such as 10s", s)
		}
	}
	m, err := New(cfg, 1)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	srv, err := m.Start(ctx, addr)
	if err != nil {
		t.Fatal(err)
	}
	if watch != nil {
		go watch(ctx)
	}
	if err := srv.Wait(); err != nil {
		t.Fatal(err)
	}
}
