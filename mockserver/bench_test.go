package mockserver

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/ratelab/ratelab/account"
	"github.com/ratelab/ratelab/ratelimit"
)

const benchBody = `{"model":"claude-haiku-4-5","max_tokens":16,"messages":[{"role":"user","content":"hello there"}]}`

// benchConfig is the contract check's mock-speed configuration: limits far above what a benchmark
// can reach, so every request is admitted.
func benchConfig() account.Config {
	cfg := account.DefaultConfig()
	cfg.Limits.Requests.PerMinute = 100_000_000
	cfg.Limits.InputTokens.PerMinute = 100_000_000_000
	cfg.Limits.OutputTokens.PerMinute = 100_000_000_000
	return cfg
}

// nopWriter is a ResponseWriter that keeps headers and discards the body, cheaper than
// httptest.ResponseRecorder so the benchmark measures the handler.
type nopWriter struct {
	h      http.Header
	status int
}

func (w *nopWriter) Header() http.Header         { return w.h }
func (w *nopWriter) Write(b []byte) (int, error) { return len(b), nil }
func (w *nopWriter) WriteHeader(s int)           { w.status = s }
func (w *nopWriter) code() int                   { return w.status }

func benchRequest(path, body string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, path, nil)
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("x-api-key", "bench")
	r.Header.Set("anthropic-version", "2023-06-01")
	return r
}

// BenchmarkHandlerMessages measures one POST /v1/messages through the handler, without sockets.
func BenchmarkHandlerMessages(b *testing.B) {
	m, err := New(benchConfig(), 1)
	if err != nil {
		b.Fatal(err)
	}
	serveLoop(b, m.Handler(), &nopWriter{h: http.Header{}}, "/v1/messages", benchBody)
}

// serveLoop sends body to path through h until the benchmark ends, every answer a 200.
func serveLoop(b *testing.B, h http.Handler, w interface {
	http.ResponseWriter
	code() int
}, path, bodyText string) {
	r := benchRequest(path, bodyText)
	body := []byte(bodyText)
	rd := bytes.NewReader(body)
	b.ReportAllocs()
	for b.Loop() {
		rd.Reset(body)
		r.Body = readCloser{rd}
		r.ContentLength = int64(len(body))
		clear(w.Header())
		h.ServeHTTP(w, r)
		if w.code() != 200 {
			b.Fatalf("status %d", w.code())
		}
	}
}

type readCloser struct{ *bytes.Reader }

func (readCloser) Close() error { return nil }

// BenchmarkHandle measures the account model alone.
func BenchmarkHandle(b *testing.B) {
	m, err := New(benchConfig(), 1)
	if err != nil {
		b.Fatal(err)
	}
	now := time.Unix(1_700_000_000, 0)
	call := account.Call{Key: "bench", Endpoint: account.EndpointMessages, InputTokens: 3, MaxTokens: 16}
	b.ReportAllocs()
	for b.Loop() {
		now = now.Add(time.Microsecond)
		if r := m.Ledger().Handle(now, call); r.Status != 200 {
			b.Fatalf("status %d", r.Status)
		}
	}
}

func BenchmarkParseRequest(b *testing.B) {
	body := []byte(benchBody)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := parseRequest(body, account.EndpointMessages); err != nil {
			b.Fatal(err.msg)
		}
	}
}

// BenchmarkWriteHeaders measures the rate-limit headers of one Messages response (three
// dimensions, Anthropic dialect) written into a fresh header map, as net/http hands one out.
func BenchmarkWriteHeaders(b *testing.B) {
	m, err := New(benchConfig(), 1)
	if err != nil {
		b.Fatal(err)
	}
	now := time.Unix(1_700_000_000, 0)
	r := m.Ledger().Handle(now, account.Call{Key: "bench", Endpoint: account.EndpointMessages, InputTokens: 3, MaxTokens: 16})
	b.ReportAllocs()
	for b.Loop() {
		h := http.Header{}
		ratelimit.Write(h, r.Dialect, now, &r.Limits)
	}
}

// benchmarkHTTP sends POST /v1/messages to h over loopback through net/http's client, one
// request at a time: with BenchmarkHTTPBare, the side-by-side figure for the mock's HTTP
// overhead (the wrk comparison is bench/mock/run.sh).
func benchmarkHTTP(b *testing.B, h http.Handler) {
	ts := httptest.NewServer(h)
	defer ts.Close()
	client := ts.Client()
	body := []byte(benchBody)
	b.ReportAllocs()
	for b.Loop() {
		req, _ := http.NewRequest(http.MethodPost, ts.URL+"/v1/messages", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("x-api-key", "bench")
		res, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if res.StatusCode != 200 {
			b.Fatalf("status %d", res.StatusCode)
		}
	}
}

// BenchmarkHTTPMessages is the mock's /v1/messages over loopback HTTP.
func BenchmarkHTTPMessages(b *testing.B) {
	m, err := New(benchConfig(), 1)
	if err != nil {
		b.Fatal(err)
	}
	benchmarkHTTP(b, m.Handler())
}

// BenchmarkHTTPBare is the contract check's reference: a bare handler writing {"ok":true}.
func BenchmarkHTTPBare(b *testing.B) {
	ok := []byte(`{"ok":true}`)
	benchmarkHTTP(b, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(ok)
	}))
}
