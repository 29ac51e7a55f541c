// Command samebytes answers every request with the bytes the mock sends for the contract
// check's POST /v1/messages (its eleven header fields, with values fixed in advance, and its
// 382-byte Message body), through a plain net/http handler with the mock's server timeouts and
// GOGC: the most a net/http server can do for that response without the mock's own work
// (parsing, limiters, formatting). bench/mock/run.sh measures it next to the bare server and
// the mock.
//
// Usage: samebytes HOST:PORT
package main

import (
	"log"
	"net/http"
	"os"
	"runtime"
	"time"
)

// fields are a mock response's header fields: those of `ratelab mock --rpm 100000000 --itpm
// 100000000000 --otpm 100000000000 --algorithm token-bucket --dialect anthropic`.
var fields = [][2]string{
	{"anthropic-ratelimit-input-tokens-limit", "100000000000"},
	{"anthropic-ratelimit-input-tokens-remaining", "100000000000"},
	{"anthropic-ratelimit-input-tokens-reset", "2026-11-26T20:22:03Z"},
	{"anthropic-ratelimit-output-tokens-limit", "100000000000"},
	{"anthropic-ratelimit-output-tokens-remaining", "100000000000"},
	{"anthropic-ratelimit-output-tokens-reset", "2026-11-26T20:22:03Z"},
	{"anthropic-ratelimit-requests-limit", "100000000"},
	{"anthropic-ratelimit-requests-remaining", "99999999"},
	{"anthropic-ratelimit-requests-reset", "2026-11-26T20:22:03Z"},
	{"request-id", "req_01Kdnklb3EHv000000000002"},
	{"Content-Type", "application/json"},
}

const body = `{"id":"msg_01Kdnklb3EHv000000000001","type":"message","role":"assistant","model":"claude-haiku-4-5","content":[{"type":"text","text":"This is the ratelab mock. It answers every request with filler t"}],"stop_reason":"max_tokens","stop_sequence":null,"usage":{"input_tokens":3,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"output_tokens":16,"service_tier":"standard"}}`

func main() {
	if len(os.Args) != 2 {
		log.Fatal("usage: samebytes HOST:PORT")
	}
	if os.Getenv("GOGC") == "" && os.Getenv("GOMEMLIMIT") == "" {
		ballast := make([]byte, 64<<20) // the GC ballast `ratelab mock` holds
		defer runtime.KeepAlive(ballast)
	}
	vals := make([][]string, len(fields))
	for i, f := range fields {
		vals[i] = []string{f[1]}
	}
	b := []byte(body)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hdr := w.Header()
		for i, f := range fields {
			hdr[f[0]] = vals[i]
		}
		w.Write(b)
	})
	srv := &http.Server{Addr: os.Args[1], Handler: h, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute}
	log.Fatal(srv.ListenAndServe())
}
