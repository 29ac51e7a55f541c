package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/ratelab/ratelab/metrics"
	"github.com/ratelab/ratelab/runner"
)

// serveRunMetrics serves a run's live counters at http://ADDR/metrics while the run lasts; the
// returned option hands them to the runner, and stop shuts the server down.
func serveRunMetrics(env *cliEnv, addr string) (opt func(*runner.Options), stop func(), err error) {
	if addr == "" {
		return func(*runner.Options) {}, func() {}, nil
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, nil, usageErrorf("--metrics-addr %s: %v", addr, err)
	}
	m := metrics.NewRun()
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
	return func(o *runner.Options) { o.Metrics = m }, stop, nil
}
