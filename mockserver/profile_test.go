//go:build mockprof

package mockserver

import (
	"context"
	"os"
	"runtime"
	"testing"
	"time"
)

// TestServeForProfile serves the contract check's mock-speed configuration on $MOCKPROF_ADDR for
// $MOCKPROF_DURATION (default 10s) so that an external load generator can drive it while
// `go test -cpuprofile` records the process: the mock's CPU profile under real HTTP load, without
// profiling endpoints in the shipped server. It holds the same 64 MB GC ballast as `ratelab mock`. See
// bench/mock/README.md.
func TestServeForProfile(t *testing.T) {
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
	ballast := make([]byte, 64<<20)
	defer runtime.KeepAlive(ballast)
	m, err := New(benchConfig(), 1)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	srv, err := m.Start(ctx, addr)
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Wait(); err != nil {
		t.Fatal(err)
	}
}
