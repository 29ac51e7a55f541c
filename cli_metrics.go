package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/ratelab/ratelab/metrics"
)

// serveRunMetrics serves a run's live counters at http://ADDR/metrics while the run lasts and
// returns them (nil when addr is empty); stop shuts the server down.
func serveRunMetrics(env *cliEnv, addr string) (m *metrics.Run, stop func(), err error) {
	if addr == "" {
		return nil, func() {}, nil
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, nil, usageErrorf("--metrics-addr %s: %v", addr, err)
	}
	m = metrics.NewRun()
	mux := http.NewServeMux()
	mux.Handle(metrics.Path, m.Handler())
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			fmt.Fprintf(env.stderr, "ratelab: --metrics-addr: %v\n", err)
		}
	}()
	fmt.Fprintf(env.stderr, "ratelab: live metrics at http://%s%s\n", ln.Addr(), metrics.Path)
	stop = func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
		<-done
	}
	return m, stop, nil
}
