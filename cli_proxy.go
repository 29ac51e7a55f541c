package main

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"time"

	"github.com/ratelab/ratelab/api"
	"github.com/ratelab/ratelab/mockserver"
	"github.com/ratelab/ratelab/proxy"
	"github.com/ratelab/ratelab/record"
	"github.com/ratelab/ratelab/report"
	"github.com/ratelab/ratelab/runner"
	"github.com/ratelab/ratelab/scenario"
)

const proxyAbout = `Records the traffic an application already sends: point its base URL at the proxy
(ANTHROPIC_BASE_URL=http://127.0.0.1:8088) and every request goes to --upstream unchanged, every
answer comes back unchanged (streams event by event), and each exchange is written to
DIR/attempts.jsonl as an observed attempt: times, status, rate-limit headers, retry hints, usage
tokens, model and a client identity (a hash of the API key and the --client-header value; the key
itself is never written). Ctrl-C or --max-duration ends the recording and writes run.json and the
report, whose inference reads the limits from the traffic seen, at no extra cost.`

// proxyGrace is how long in-flight requests may finish once the recording ends.
const proxyGrace = 5 * time.Second

// runProxy serves the recording proxy until interrupted or --max-duration, then reports.
func runProxy(ctx context.Context, env *cliEnv, args []string) error {
	var upstream, listen, out, clientHeader, metricsAddr string
	var maxDuration, timeout time.Duration
	var public, quiet, limit bool
	fs := newFlagSet("proxy", "ratelab proxy --upstream URL [flags]", proxyAbout)
	fs.StringVar(&upstream, "upstream", "", "where every request goes, e.g. https://api.anthropic.com (required)")
	fs.StringVar(&listen, "listen", "127.0.0.1:8088", "address to listen on; port 0 picks a free one")
	fs.BoolVar(&public, "listen-public", false, "allow a listen address other than loopback (anyone who reaches it spends your upstream's quota)")
	fs.StringVar(&out, "out", "", "output directory (default out/proxy-<timestamp>)")
	fs.DurationVar(&maxDuration, "max-duration", 0, "end the recording after this long, e.g. 1h (0: until Ctrl-C)")
	fs.DurationVar(&timeout, "timeout", proxy.DefaultTimeout, "abandon a request when the upstream stays silent this long (before its answer or mid-stream)")
	fs.StringVar(&clientHeader, "client-header", proxy.DefaultClientHeader, "request header whose value, with the key's hash, tells clients apart")
	fs.BoolVar(&quiet, "quiet", false, "print nothing but errors")
	fs.StringVar(&metricsAddr, "metrics-addr", "", "serve the recording's live counters in Prometheus format at http://ADDR/metrics, e.g. 127.0.0.1:9464")
	fs.BoolVar(&limit, "limit", false, "put the mock's limiter in front of the upstream, set by the limit flags below (any of them implies --limit): admitted requests get the upstream's answer with the mock's rate-limit headers, refused ones the mock's 429")
	mf := addMockFlags(fs)
	for name, v := range map[string]string{"upstream": "URL", "listen": "HOST:PORT", "out": "DIR", "client-header": "NAME", "metrics-addr": "ADDR"} {
		fs.value(name, v)
	}
	fs.example("record an application's Anthropic traffic until Ctrl-C; run the application with ANTHROPIC_BASE_URL=http://127.0.0.1:8088",
		"ratelab proxy --upstream https://api.anthropic.com --out out/rec")
	fs.example("record traffic to a local mock for ten minutes",
		"ratelab proxy --upstream http://127.0.0.1:8080 --listen 127.0.0.1:8088 --max-duration 10m")
	fs.example("rehearse a lower tier with real answers: 50 requests a minute in front of the real API",
		"ratelab proxy --upstream https://api.anthropic.com --rpm 50 --burst 50")
	fs.group("Proxy", "upstream", "listen", "listen-public", "timeout", "client-header")
	fs.group("Recording", "out", "max-duration", "quiet", "metrics-addr")
	fs.group("Limiter in front (--limit)", "limit", "preset", "rpm", "tpm", "itpm", "otpm", "algorithm", "window", "burst", "count-rejected",
		"counter-rounding", "window-start", "config", "dialect", "reset-rounding", "remaining-rounding", "output-tokens", "output-accounting",
		"require-key", "max-accounts", "error-rate", "overload-rate", "rpd", "tpd", "terminal-after", "terminal-cause", "lenient", "acceleration")
	for _, name := range append([]string{"latency", "latency-jitter"}, genFlagNames...) {
		fs.MarkHidden(name) // the upstream answers: the mock's service and generation times do not apply
	}
	fs.note("Exit status: 0 when the recording ended (Ctrl-C or --max-duration) and its report was written, " +
		"1 when it could not be written, 2 for bad flags.")
	if err := parseFlagsNoArgs(env, fs, args); err != nil {
		return err
	}
	if upstream == "" {
		return usageErrorf("proxy: --upstream is required: the base URL requests go to, e.g. --upstream https://api.anthropic.com")
	}
	up, err := proxy.ParseUpstream(upstream)
	if err != nil {
		return usageErrorf("proxy: %v", err)
	}
	if !public && !proxy.Loopback(listen) {
		return usageErrorf("proxy: --listen %s is not a loopback address: anyone who reaches it would spend your upstream's quota; use 127.0.0.1:PORT, or add --listen-public", listen)
	}
	if maxDuration < 0 || timeout <= 0 {
		return usageErrorf("proxy: --max-duration and --timeout want positive durations such as 10m")
	}
	var gate proxy.Gate
	var mockCfg json.RawMessage // the limiter in front, for run.json
	if limit || anyChanged(fs, limitFlags...) {
		if gate, mockCfg, err = newLimitGate(mf); err != nil {
			return err
		}
	}
	now := time.Now()
	if out == "" {
		out = path.Join(scenario.DefaultOutRoot, "proxy-"+now.Format("20060102-150405"))
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return fmt.Errorf("proxy: create output directory: %w", err)
	}
	w, err := record.Create(out)
	if err != nil {
		return fmt.Errorf("proxy: %w", err)
	}
	m, stopMetrics, err := serveRunMetrics(env, metricsAddr)
	if err != nil {
		w.Close()
		return err
	}
	defer stopMetrics()
	rec := w.Write
	if m != nil {
		rec = func(a *record.Attempt) error {
			runner.ObserveMetrics(m, a)
			return w.Write(a)
		}
	}
	p, err := proxy.New(proxy.Config{Upstream: up, ClientHeader: clientHeader, Timeout: timeout, Start: now, Record: rec, Gate: gate})
	if err != nil {
		w.Close()
		return usageErrorf("proxy: --%v", err)
	}
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		w.Close()
		return fmt.Errorf("proxy: listen on %s: %w", listen, err)
	}
	ballast := heapBallast(env) // per-request garbage would otherwise collect hundreds of times a second
	defer runtime.KeepAlive(ballast)
	srv := proxy.NewServer(p)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	if !quiet {
		fmt.Fprintf(env.stdout, "ratelab proxy listening on http://%s, forwarding to %s\n", ln.Addr(), up.Redacted())
		fmt.Fprintf(env.stdout, "recording to %s; Ctrl-C ends the recording and writes the report\n", filepath.Join(out, record.AttemptsFile))
	}
	stop := "recording ended by a signal (Ctrl-C or SIGTERM)"
	var timer <-chan time.Time
	if maxDuration > 0 {
		t := time.NewTimer(maxDuration)
		defer t.Stop()
		timer = t.C
	}
	var serveErr error
	flush := time.NewTicker(time.Second) // a long recording shows on disk as it grows
	defer flush.Stop()
wait:
	for {
		select {
		case <-ctx.Done():
			break wait
		case <-timer:
			stop = fmt.Sprintf("--max-duration %s reached", maxDuration)
			break wait
		case serveErr = <-served:
			stop = "failed: " + serveErr.Error()
			break wait
		case <-flush.C:
			w.Flush()
		}
	}
	sctx, cancel := context.WithTimeout(context.Background(), proxyGrace)
	if err := srv.Shutdown(sctx); err != nil {
		srv.Close()
	}
	cancel()
	recErr := p.Close()
	if err := w.Close(); err != nil && recErr == nil {
		recErr = err
	}
	ended := time.Now()
	run := &record.Run{
		Command: "proxy", ToolVersion: Version, Started: now, Ended: ended,
		DurationS: ended.Sub(now).Seconds(), StopReason: stop,
		Target:   record.Target{API: cmp.Or(p.API(), string(api.Infer(up))), URL: up.Redacted(), Model: p.Model()},
		Segments: []record.Segment{{Label: "observed", Kind: "observed", StartS: 0, EndS: ended.Sub(now).Seconds()}},
		Workload: record.Workload{Stream: p.Streamed()},
		Mock:     mockCfg,
		Notes:    []string{fmt.Sprintf("recorded by ratelab proxy from %d client(s); no request was sent by ratelab itself", p.Clients())},
	}
	if err := record.WriteRun(out, run); err != nil {
		return fmt.Errorf("proxy: %w", err)
	}
	s, err := report.Generate(out, report.Options{})
	if err != nil {
		return fmt.Errorf("proxy: report: %w", err)
	}
	if !quiet {
		noun := "requests"
		if p.Requests() == 1 {
			noun = "request"
		}
		fmt.Fprintf(env.stdout, "recorded %d %s (%s)\n", p.Requests(), noun, stop)
		for _, f := range s.Findings {
			fmt.Fprintf(env.stdout, "- %s\n", f)
		}
		fmt.Fprintf(env.stdout, "Report: %s\n", filepath.Join(out, report.MarkdownFile))
	}
	switch {
	case recErr != nil:
		return fmt.Errorf("proxy: %w", recErr)
	case serveErr != nil && !errors.Is(serveErr, http.ErrServerClosed):
		return fmt.Errorf("proxy: serve: %w", serveErr)
	}
	return nil
}

// anyChanged reports whether the user gave any of the flags.
func anyChanged(fs *flagSet, names ...string) bool {
	for _, n := range names {
		if fs.Changed(n) {
			return true
		}
	}
	return false
}

// limitFlags are the mock flags that put its limiter in front of the upstream.
var limitFlags = []string{"rpm", "tpm", "itpm", "otpm", "algorithm", "window", "burst", "count-rejected",
	"counter-rounding", "window-start", "config", "error-rate", "overload-rate"}

// newLimitGate builds the mock's limiter from the mock flags, as a gate for the proxy, and
// returns its configuration as run.json records it.
func newLimitGate(mf *mockFlags) (proxy.Gate, json.RawMessage, error) {
	cfg, err := mf.config()
	if err != nil {
		return nil, nil, err
	}
	m, err := mockserver.New(cfg, DefaultSeed)
	if err != nil {
		return nil, nil, usageErrorf("proxy: %v", err)
	}
	raw, err := json.Marshal(cfg)
	if err != nil {
		return nil, nil, fmt.Errorf("proxy: encode the limiter's configuration: %w", err)
	}
	return m.Gate(), raw, nil
}
