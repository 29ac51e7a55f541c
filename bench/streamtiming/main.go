// Command streamtiming measures the live engine's time-to-first-token error with many
// concurrent streams: a bare net/http SSE server on 127.0.0.1 stamps the instant it writes each
// stream's first content delta, the engine records when it read it (sent_s + ttft_ms), and the
// difference per stream is the engine's timing error (loopback delivery, scheduling and the
// engine's own reading). The engine takes the first delta's instant from the kernel's receive
// timestamp where it can; -read-instants times it when the read returned, as before. Streams arrive at -rate for -duration and each lasts TTFT plus -tokens
// at -tps, so about rate × (ttft + tokens/tps) are open at once.
//
//	go run ./bench/streamtiming -rate 1000/s -duration 2s -tokens 150 -tps 50
package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"runtime/pprof"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ratelab/ratelab/api"
	"github.com/ratelab/ratelab/engine"
	"github.com/ratelab/ratelab/probe"
	"github.com/ratelab/ratelab/record"
	"github.com/ratelab/ratelab/workload"
)

func main() {
	rateFlag := flag.String("rate", "1000/s", "stream arrival rate")
	duration := flag.Duration("duration", 2*time.Second, "how long streams arrive")
	ttft := flag.Duration("ttft", 200*time.Millisecond, "server's time to first token")
	tokens := flag.Int("tokens", 150, "deltas per stream")
	tps := flag.Float64("tps", 50, "deltas per second")
	readInstants := flag.Bool("read-instants", false, "time first deltas by when the read returned, without the kernel's receive timestamps (the reference)")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of the run (server and engine) to this file")
	flag.Parse()
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err == nil {
			err = pprof.StartCPUProfile(f)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "streamtiming:", err)
			os.Exit(1)
		}
		defer f.Close()
		defer pprof.StopCPUProfile()
	}
	if err := run(*rateFlag, *duration, *ttft, *tokens, *tps, *readInstants); err != nil {
		fmt.Fprintln(os.Stderr, "streamtiming:", err)
		pprof.StopCPUProfile()
		os.Exit(1)
	}
}

// server is a bare SSE server that records when it wrote each stream's first delta.
type server struct {
	ttft     time.Duration
	gap      time.Duration
	tokens   int
	mu       sync.Mutex
	first    map[int64]time.Time // X-Seq → first delta written (just before the write)
	flushed  map[int64]time.Time // X-Seq → first delta's flush returned
	open     atomic.Int64
	maxOpen  atomic.Int64
	received atomic.Int64
}

func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	seq, _ := strconv.ParseInt(r.Header.Get("X-Seq"), 10, 64)
	s.received.Add(1)
	n := s.open.Add(1)
	defer s.open.Add(-1)
	for m := s.maxOpen.Load(); n > m && !s.maxOpen.CompareAndSwap(m, n); m = s.maxOpen.Load() {
	}
	f := w.(http.Flusher)
	w.Header().Set("Content-Type", "text/event-stream")
	w.WriteHeader(http.StatusOK)
	fmt.Fprint(w, "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"usage\":{\"input_tokens\":32,\"output_tokens\":1}}}\n\n")
	f.Flush()
	start := time.Now()
	delta := []byte("event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"tok\"}}\n\n")
	for k := 0; k < s.tokens; k++ {
		if d := time.Until(start.Add(s.ttft + time.Duration(k)*s.gap)); d > 0 {
			time.Sleep(d)
		}
		if k == 0 {
			now := time.Now()
			s.mu.Lock()
			s.first[seq] = now
			s.mu.Unlock()
		}
		if _, err := w.Write(delta); err != nil {
			return
		}
		f.Flush()
		if k == 0 {
			now := time.Now()
			s.mu.Lock()
			s.flushed[seq] = now
			s.mu.Unlock()
		}
	}
	fmt.Fprintf(w, "event: message_delta\ndata: {\"type\":\"message_delta\",\"usage\":{\"output_tokens\":%d}}\n\nevent: message_stop\ndata: {\"type\":\"message_stop\"}\n\n", s.tokens)
}

// tagger numbers every request (X-Seq) and notes when the engine handed it over.
type tagger struct {
	next http.RoundTripper
	seq  atomic.Int64
	mu   sync.Mutex
	sent []sentAt
}

type sentAt struct {
	seq int64
	at  time.Time
}

func (t *tagger) RoundTrip(req *http.Request) (*http.Response, error) {
	n := t.seq.Add(1)
	at := time.Now()
	req = req.Clone(req.Context())
	req.Header.Set("X-Seq", strconv.FormatInt(n, 10))
	t.mu.Lock()
	t.sent = append(t.sent, sentAt{n, at})
	t.mu.Unlock()
	return t.next.RoundTrip(req)
}

func run(rateText string, duration, ttft time.Duration, tokens int, tps float64, readInstants bool) error {
	rate, err := workload.ParseRate(rateText)
	if err != nil {
		return err
	}
	srv := &server{ttft: ttft, gap: time.Duration(float64(time.Second) / tps), tokens: tokens, first: map[int64]time.Time{}, flushed: map[int64]time.Time{}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	hs := &http.Server{Handler: srv}
	go hs.Serve(ln)
	defer hs.Close()

	dir, err := os.MkdirTemp("", "streamtiming")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	out, err := record.Create(dir)
	if err != nil {
		return err
	}
	target, err := probe.NewTarget(probe.TargetConfig{API: api.Anthropic, URL: "http://" + ln.Addr().String(), Model: "m",
		MaxTokens: int64(tokens), PromptTokens: 32, Seed: 1, Stream: true})
	if err != nil {
		return err
	}
	tr := probe.NewTransport(engine.DefaultMaxInflight, target.Host())
	if readInstants { // plain TCP connections: no receive timestamps to read
		tr.DialContext = (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	}
	tg := &tagger{next: tr}
	start := time.Now()
	e, err := probe.NewEngine(probe.Options{Target: target, Records: out, Transport: tg, Start: start, Timeout: time.Minute})
	if err != nil {
		return err
	}
	if _, err := e.Open(context.Background(), engine.OpenPhase{Label: "streams", Pacer: workload.Constant(rate), Duration: duration}); err != nil {
		return err
	}
	clock := ""
	if segs := e.Segments(); len(segs) > 0 {
		clock = segs[0].TTFTClock
	}
	if err := e.Close(); err != nil {
		return err
	}
	if err := out.Close(); err != nil {
		return err
	}
	var recs []record.Attempt
	if err := record.ScanFile(dir, func(a *record.Attempt) error { recs = append(recs, *a); return nil }); err != nil {
		return err
	}
	// Pair records and tagged requests in send order; the pairing's worst gap says whether it
	// is sound (it should be microseconds against a millisecond between sends).
	slices.SortFunc(recs, record.CompareSent)
	slices.SortFunc(tg.sent, func(a, b sentAt) int { return a.at.Compare(b.at) })
	if len(recs) != len(tg.sent) {
		return fmt.Errorf("%d records for %d requests", len(recs), len(tg.sent))
	}
	var errs, flushes, outside []float64
	worstPair, failed := 0.0, 0
	for i, a := range recs {
		sent := start.Add(a.Sent)
		worstPair = max(worstPair, tg.sent[i].at.Sub(sent).Seconds()*1000)
		w, ok := srv.first[tg.sent[i].seq]
		if !ok || !a.HasTTFT || a.StreamError != "" {
			failed++
			continue
		}
		got, flushed := sent.Add(a.TTFT), srv.flushed[tg.sent[i].seq]
		errs = append(errs, got.Sub(w).Seconds()*1000)
		flushes = append(flushes, flushed.Sub(w).Seconds()*1000)
		// The bytes reached the engine's socket between the stamp and the flush's return (a
		// loopback write queues them at the receiver within the syscall); an instant in that
		// window cannot be told from the truth when the server was descheduled mid-write.
		beyond := 0.0
		if got.After(flushed) {
			beyond = got.Sub(flushed).Seconds() * 1000
		} else if got.Before(w) {
			beyond = got.Sub(w).Seconds() * 1000
		}
		outside = append(outside, beyond)
	}
	if len(errs) == 0 {
		return fmt.Errorf("no stream delivered content (%d failed)", failed)
	}
	slices.Sort(errs)
	slices.Sort(flushes)
	slices.Sort(outside)
	q := func(p float64) float64 { return errs[min(len(errs)-1, int(p*float64(len(errs))))] }
	qf := func(p float64) float64 { return flushes[min(len(flushes)-1, int(p*float64(len(flushes))))] }
	qo := func(p float64) float64 { return outside[min(len(outside)-1, int(p*float64(len(outside))))] }
	fmt.Printf("streams %d (failed %d), most open at once %d, arrival %s for %s, ttft %s, %d deltas at %g/s\n",
		len(recs), failed, srv.maxOpen.Load(), rateText, duration, ttft, tokens, tps)
	fmt.Printf("ttft clock %q; error (engine's first-delta instant − server's write), ms: p50 %.3f  p90 %.3f  p99 %.3f  max %.3f\n",
		clock, q(0.5), q(0.9), q(0.99), errs[len(errs)-1])
	fmt.Printf("server's own write of the first delta (flush returned − stamp), ms: p50 %.3f  p90 %.3f  p99 %.3f  max %.3f\n",
		qf(0.5), qf(0.9), qf(0.99), flushes[len(flushes)-1])
	fmt.Printf("error outside the server's write (0 between the stamp and the flush's return), ms: p50 %.3f  p90 %.3f  p99 %.3f  max %.3f\n",
		qo(0.5), qo(0.9), qo(0.99), outside[len(outside)-1])
	fmt.Printf("pairing: worst gap between the engine's send instant and the transport's %.3f ms\n", worstPair)
	return nil
}
