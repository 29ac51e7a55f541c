//go:build memwatch

package mockserver

import (
	"context"
	"os"
	"runtime"
	"testing"
	"time"
)

// TestMemWatch serves the mock-speed configuration with 50 tokens/s streams on $MEMWATCH_ADDR
// for 100 s and logs, every 5 s after a forced collection, the live heap, the stacks and the
// memory taken from the OS: whether memory under a long streaming load (go run ./bench/stream
// -load URL) stays flat, apart from the garbage between collections that RSS also counts. See
// BENCHMARKS.md (streams).
func TestMemWatch(t *testing.T) {
	addr := os.Getenv("MEMWATCH_ADDR")
	if addr == "" {
		t.Skip("MEMWATCH_ADDR not set")
	}
	cfg := benchConfig()
	cfg.OutputTPS = 50
	m, err := New(cfg, 1)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Second)
	defer cancel()
	srv, err := m.Start(ctx, addr)
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		for ctx.Err() == nil {
			time.Sleep(5 * time.Second)
			runtime.GC()
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			t.Logf("live heap %.1f MB, stacks %.1f MB, from the OS %.1f MB, goroutines %d",
				float64(ms.HeapAlloc)/1e6, float64(ms.StackInuse)/1e6, float64(ms.Sys)/1e6, runtime.NumGoroutine())
		}
	}()
	if err := srv.Wait(); err != nil {
		t.Fatal(err)
	}
}
