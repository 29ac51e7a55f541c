// Command stream measures the mock's streamed replies against a bare net/http SSE handler
// writing the same bytes on the same schedule, side by side in one run with one load generator:
// N concurrent streams (each a closed loop of POST /v1/messages with "stream": true at
// --output-tps tokens per second), the content_block_delta events per second delivered, the p99
// of the inter-event jitter (|gap − 1/tps| between consecutive deltas of a stream, as the client
// reads them), their ratio; then the resident memory of the mock over a longer run.
//
// The bare server replays a stream recorded from the mock (its headers and event bytes): the
// first three events with the headers, delta k at (k−1)/tps, the closing events after the last.
// Both servers are separate processes (the mock is `ratelab mock`), so each RSS is its own.
//
// Usage (from the repository root): bench/stream/run.sh, or
//
//	go build -o /tmp/ratelab . && go run ./bench/stream -ratelab /tmp/ratelab -n 100,1000,2000
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

func main() {
	ratelab := flag.String("ratelab", "", "path of the ratelab binary (required)")
	ns := flag.String("n", "100,1000,2000", "concurrent streams, comma-separated")
	dur := flag.Duration("duration", 10*time.Second, "measured time per server and N (after -warmup)")
	warm := flag.Duration("warmup", 2*time.Second, "time before counting, per server and N")
	rounds := flag.Int("rounds", 1, "rounds of (bare, mock) per N")
	tps := flag.Float64("tps", 50, "output tokens per second of every stream")
	tokens := flag.Int("tokens", 250, "output tokens per stream (max_tokens)")
	rssDur := flag.Duration("rss", 60*time.Second, "RSS run of the mock at the largest N (0: none)")
	bareAddr := flag.String("serve-bare", "", "internal: serve the bare SSE replay on this address")
	rec := flag.String("recording", "", "internal: the recorded stream the bare server replays")
	target := flag.String("load", "", "only drive the streams of -n against this URL (a server started elsewhere) for -duration")
	flag.Parse()
	if *target != "" {
		n, _ := strconv.Atoi(*ns)
		body := fmt.Sprintf(`{"model":"claude-sonnet-4-5","max_tokens":%d,"stream":true,"messages":[{"role":"user","content":"hello there"}]}`, *tokens)
		res := load(*target, body, n, time.Duration(float64(time.Second) / *tps), 0, *dur)
		fmt.Printf("events/s %.0f, jitter p99 %v\n", res.eventsPerSec, res.p99)
		return
	}
	if *bareAddr != "" {
		log.Fatal(serveBare(*bareAddr, *rec, *tps))
	}
	if *ratelab == "" {
		log.Fatal("-ratelab is required: go build -o /tmp/ratelab . first")
	}
	var counts []int
	for _, s := range strings.Split(*ns, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 {
			log.Fatalf("-n %q: want positive counts such as 100,1000", *ns)
		}
		counts = append(counts, n)
	}
	tmp, err := os.MkdirTemp("", "streambench")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(tmp)

	mockURL, mockProc := startServer(*ratelab, "mock", "--rpm", "1000000000", "--itpm", "1000000000000", "--otpm", "1000000000000",
		"--output-tps", strconv.FormatFloat(*tps, 'f', -1, 64), "--addr")
	defer stop(mockProc)
	body := fmt.Sprintf(`{"model":"claude-sonnet-4-5","max_tokens":%d,"stream":true,"messages":[{"role":"user","content":"hello there"}]}`, *tokens)
	recPath := tmp + "/recording.json"
	if err := record(mockURL, body, recPath); err != nil {
		log.Fatal(err)
	}
	self, _ := os.Executable()
	bareURL, bareProc := startServer(self, "-recording", recPath, "-tps", strconv.FormatFloat(*tps, 'f', -1, 64), "-serve-bare")
	defer stop(bareProc)

	interval := time.Duration(float64(time.Second) / *tps)
	fmt.Printf("streams of %d tokens at %.0f tokens/s (a delta every %v); %v measured after %v warm-up; load average %s\n",
		*tokens, *tps, interval, *dur, *warm, loadavg())
	fmt.Printf("%6s %5s %-5s %12s %9s %13s %13s %9s\n", "N", "round", "server", "events/s", "of ideal", "jitter p50", "jitter p99", "RSS MB")
	type key struct {
		n      int
		server string
	}
	sums := map[key]result{}
	for _, n := range counts {
		for r := range *rounds {
			for _, s := range []struct {
				name string
				url  string
				proc *exec.Cmd
			}{{"bare", bareURL, bareProc}, {"mock", mockURL, mockProc}} {
				res := load(s.url, body, n, interval, *warm, *dur)
				res.rss = rssMB(s.proc.Process.Pid)
				ideal := float64(n) * *tps
				fmt.Printf("%6d %5d %-5s %12.0f %8.1f%% %13v %13v %9.1f\n", n, r+1, s.name, res.eventsPerSec, 100*res.eventsPerSec/ideal,
					res.p50.Round(10*time.Microsecond), res.p99.Round(10*time.Microsecond), res.rss)
				k := key{n, s.name}
				acc := sums[k]
				acc.eventsPerSec += res.eventsPerSec
				acc.p99 = max(acc.p99, res.p99)
				sums[k] = acc
			}
		}
	}
	fmt.Println("\nratios (sum over rounds): mock events/s ÷ bare events/s; worst p99 jitter of each")
	for _, n := range counts {
		b, m := sums[key{n, "bare"}], sums[key{n, "mock"}]
		fmt.Printf("N=%-5d %.3f   bare p99 %v, mock p99 %v\n", n, m.eventsPerSec/b.eventsPerSec, b.p99.Round(10*time.Microsecond), m.p99.Round(10*time.Microsecond))
	}
	if *rssDur > 0 {
		n := slices.Max(counts)
		fmt.Printf("\nmock RSS over %v at N=%d (MB, every %v):", *rssDur, n, *rssDur/12)
		done := make(chan result)
		go func() { done <- load(mockURL, body, n, interval, 0, *rssDur) }()
		for range 12 {
			time.Sleep(*rssDur / 12)
			fmt.Printf(" %.1f", rssMB(mockProc.Process.Pid))
		}
		res := <-done
		fmt.Printf("\n  events/s %.0f, jitter p99 %v; load average %s\n", res.eventsPerSec, res.p99.Round(10*time.Microsecond), loadavg())
	}
}

// startServer runs bin with args plus a free loopback address (the last flag names it) and
// waits until it listens.
func startServer(bin string, args ...string) (string, *exec.Cmd) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	cmd := exec.Command(bin, append(args, addr)...)
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		log.Fatal(err)
	}
	for range 100 {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return "http://" + addr + "/v1/messages", cmd
		}
		time.Sleep(50 * time.Millisecond)
	}
	log.Fatalf("%s does not listen on %s", bin, addr)
	return "", nil
}

func stop(cmd *exec.Cmd) {
	cmd.Process.Signal(os.Interrupt)
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		cmd.Process.Kill()
		<-done
	}
}

// recording is one stream as the mock wrote it.
type recording struct {
	Header http.Header
	Events []string // each with its "\n\n"
}

// record fetches one stream from the mock and saves its headers and events.
func record(url, body, path string) error {
	res, err := post(http.DefaultClient, url, body)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return err
	}
	rec := recording{Header: res.Header.Clone()}
	rec.Header.Del("Date")
	rec.Header.Del("Transfer-Encoding")
	for _, ev := range strings.SplitAfter(string(b), "\n\n") {
		if ev != "" {
			rec.Events = append(rec.Events, ev)
		}
	}
	if len(rec.Events) < 7 {
		return fmt.Errorf("recorded stream has %d events: %.200s", len(rec.Events), b)
	}
	out, _ := json.Marshal(rec)
	return os.WriteFile(path, out, 0o644)
}

func post(c *http.Client, url, body string) (*http.Response, error) {
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("x-api-key", "bench")
	res, err := c.Do(req)
	if err == nil && res.StatusCode != 200 {
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		return nil, fmt.Errorf("status %d: %s", res.StatusCode, b)
	}
	return res, err
}

// serveBare replays the recording: the three opening events with the headers, delta k at
// (k−1)·interval after them, then the closing events, flushing each, the request's goroutine
// sleeping on one timer as the mock's does.
func serveBare(addr, path string, tps float64) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var rec recording
	if err := json.Unmarshal(b, &rec); err != nil {
		return err
	}
	events := make([][]byte, len(rec.Events))
	for i, e := range rec.Events {
		events[i] = []byte(e)
	}
	open := bytes.Join(events[:3], nil)
	deltas := events[3 : len(events)-3]
	closing := bytes.Join(events[len(events)-3:], nil)
	interval := time.Duration(float64(time.Second) / tps)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		for k, v := range rec.Header {
			w.Header()[k] = v
		}
		w.WriteHeader(200)
		f := w.(http.Flusher)
		w.Write(open)
		f.Flush()
		start := time.Now()
		var t *time.Timer
		defer func() {
			if t != nil {
				t.Stop()
			}
		}()
		for k, d := range deltas {
			if wait := time.Until(start.Add(time.Duration(k) * interval)); wait > 0 {
				if t == nil {
					t = time.NewTimer(wait)
				} else {
					t.Reset(wait)
				}
				select {
				case <-t.C:
				case <-r.Context().Done():
					return
				}
			}
			if _, err := w.Write(d); err != nil {
				return
			}
			f.Flush()
		}
		w.Write(closing)
	})
	srv := &http.Server{Addr: addr, Handler: h, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute}
	return srv.ListenAndServe()
}

// result is one server's figures at one N.
type result struct {
	eventsPerSec float64
	p50, p99     time.Duration
	rss          float64
}

var deltaPrefix = []byte(`data: {"type":"content_block_delta"`)

// load runs n closed-loop streams against url for warm+dur and counts the deltas read during
// dur and the jitter of every gap between two deltas of a stream.
func load(url, body string, n int, interval, warm, dur time.Duration) result {
	tr := &http.Transport{MaxIdleConnsPerHost: n, DisableCompression: true}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr}
	begin := time.Now()
	from, until := begin.Add(warm), begin.Add(warm+dur)
	ctx, cancel := context.WithDeadline(context.Background(), until)
	defer cancel()
	var mu sync.Mutex
	var errOnce sync.Once
	var jitters []time.Duration
	var events int64
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			// spread the starts over one interval
			time.Sleep(time.Duration(i) * interval / time.Duration(n))
			var mine []time.Duration
			var count int64
			for ctx.Err() == nil {
				req, _ := http.NewRequestWithContext(ctx, http.MethodPost, url, strings.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("x-api-key", "bench")
				res, err := client.Do(req)
				if err != nil {
					if ctx.Err() == nil {
						errOnce.Do(func() { log.Printf("stream: %v (further errors not shown)", err) })
						time.Sleep(100 * time.Millisecond)
					}
					continue
				}
				br := bufio.NewReaderSize(res.Body, 4096)
				var last time.Time
				for {
					line, err := br.ReadSlice('\n')
					if err != nil {
						break
					}
					if !bytes.HasPrefix(line, deltaPrefix) {
						continue
					}
					now := time.Now()
					if now.After(from) && now.Before(until) {
						count++
						if !last.IsZero() {
							mine = append(mine, (now.Sub(last) - interval).Abs())
						}
					}
					last = now
				}
				res.Body.Close()
			}
			mu.Lock()
			jitters = append(jitters, mine...)
			events += count
			mu.Unlock()
		})
	}
	wg.Wait()
	slices.Sort(jitters)
	res := result{eventsPerSec: float64(events) / dur.Seconds()}
	if len(jitters) > 0 {
		res.p50 = jitters[len(jitters)/2]
		res.p99 = jitters[len(jitters)*99/100]
	}
	return res
}

// rssMB is a process's resident set in MB (VmRSS), 0 when unknown.
func rssMB(pid int) float64 {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
			return kb / 1024
		}
	}
	return 0
}

func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	return strings.Join(f[:3], " ")
}
