package probe

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/ratelab/ratelab/api"
	"github.com/ratelab/ratelab/engine"
	"github.com/ratelab/ratelab/ratelimit"
	"github.com/ratelab/ratelab/record"
)

// The hot paths of one attempt: building its body and request, pacing, reading usage, and
// encoding its record. Run: go test -run x -bench . -benchmem -count 5 ./probe/

func benchTarget(b *testing.B, spread float64) *Target {
	b.Helper()
	t, err := NewTarget(TargetConfig{API: api.Anthropic, URL: "http://127.0.0.1:1", Key: "k", Model: "claude-test",
		MaxTokens: 16, PromptTokens: 32, PromptSpread: spread, Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	return t
}

func BenchmarkAppendBody(b *testing.B) {
	for _, spread := range []float64{0, 0.2} {
		b.Run(map[float64]string{0: "fixed", 0.2: "spread"}[spread], func(b *testing.B) {
			t := benchTarget(b, spread)
			var buf []byte
			var id int64
			b.ReportAllocs()
			for b.Loop() {
				buf = t.AppendBody(buf[:0], id)
				id++
			}
		})
	}
}

func BenchmarkNewRequest(b *testing.B) {
	t := benchTarget(b, 0)
	body := t.AppendBody(nil, 0)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		_ = t.NewRequest(ctx, body)
	}
}

func BenchmarkUsage(b *testing.B) {
	t := benchTarget(b, 0)
	body := []byte(`{"id":"msg_1","type":"message","role":"assistant","model":"claude-test","content":[{"type":"text","text":"This is the ratelab mock. It answers every"}],"stop_reason":"max_tokens","usage":{"input_tokens":32,"output_tokens":16}}`)
	b.ReportAllocs()
	for b.Loop() {
		if in, _ := t.Usage(body); in != 32 {
			b.Fatal(in)
		}
	}
}

// BenchmarkRecordEncode encodes a typical attempt with three dimensions of anthropic limits,
// as the recorder does for every attempt.
func BenchmarkRecordEncode(b *testing.B) {
	a := record.Attempt{Run: "probe", Mode: record.ModeLive, Phase: "constant", Request: 123456, Number: 1,
		Scheduled: 12345678900, Sent: 12346123400, Latency: 1234 * time.Microsecond, Status: 200, InputTokens: 32, OutputTokens: 16,
		MaxTokens: 16, Final: true, Dialect: ratelimit.DialectAnthropic, ServerDate: time.Unix(1.7e9, 0), HasServerDate: true}
	for _, d := range []ratelimit.Dimension{ratelimit.Requests, ratelimit.InputTokens, ratelimit.OutputTokens} {
		a.Limits[d] = ratelimit.State{Limit: 1000, Remaining: 999, Reset: time.Second, ResetKind: ratelimit.ResetRFC3339,
			Flags: ratelimit.HasLimit | ratelimit.HasRemaining | ratelimit.HasReset}
	}
	var buf []byte
	b.ReportAllocs()
	for b.Loop() {
		buf = a.AppendJSON(buf[:0])
	}
	b.SetBytes(int64(len(buf)))
}

// BenchmarkLogicalRequest runs one logical request end to end (a closed phase of one client and
// one request) against a loopback server that answers like the bare reference server. Its
// allocations include the server's, which runs in the same process.
func BenchmarkLogicalRequest(b *testing.B) {
	body := []byte(`{"ok":true}`)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(body)
	}))
	defer srv.Close()
	t, err := NewTarget(TargetConfig{URL: srv.URL})
	if err != nil {
		b.Fatal(err)
	}
	e, err := NewEngine(Options{Target: t, Records: record.NewWriter(io.Discard)})
	if err != nil {
		b.Fatal(err)
	}
	defer e.Close()
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := e.Closed(ctx, engine.ClosedPhase{Label: "b", Clients: 1, Requests: 1}); err != nil {
			b.Fatal(err)
		}
	}
}
