package mockserver

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ratelab/ratelab/account"
	"github.com/ratelab/ratelab/internal/strictyaml"
	"go.yaml.in/yaml/v3"
)

// Fuzz targets of the mock's two parsers that TestParseRequest's FuzzParseRequest does not
// reach: the configuration file (--config) and the HTTP front end as a whole (method, path,
// key headers, content type and body). Run one with
//
//	go test ./mockserver -run '^$' -fuzz '^FuzzLoadConfig$' -fuzztime 60s

// configSeeds are real configuration files: the documented example, every field set, and the
// mock: sections of the bundled scenarios.
func configSeeds(f *testing.F) []string {
	seeds := []string{
		"",
		"algorithm: token-bucket\nwindow: 1m\nlimits:\n  requests: {per_minute: 60, window: 1s, burst: 1, advertise: {per_minute: 60}}\n  input_tokens: {per_minute: 30000}\n  output_tokens: {per_minute: 8000}\ncount_rejected: true\noutput_accounting: max_tokens\n",
		"# a mock that advertises 60 RPM and enforces 1 per second\nalgorithm: gcra\nwindow: 30s\nlimits:\n  requests:\n    per_minute: 60\n    window: 1s\n    burst: 1\n    advertise: {per_minute: 60, window: 1m}\n  tokens: {per_minute: 90000}\n  output_tokens: {per_minute: 0}\ndialect: openai\nlatency: 250ms\nlatency_jitter: 50ms\nerror_rate: 0.01\noverload_rate: 0.02\ncount_rejected: true\noutput_accounting: max_tokens\noutput_tokens: 12\nrequire_key: true\nmax_accounts: 3\n",
		"limits:\n  requests: {per_minute: 50, algorithm: leaky-bucket, nodelay: true}\n  count_tokens: {per_minute: 100, algorithm: sliding-log, window: 10s}\n",
		"algorithm: fixed-window\nwindow: 5s\nlimits: {requests: {per_minute: 600}}\ndialect: none\n",
		"algorithm: sliding-window\nlimits: {requests: {per_minute: 1, window: 1h, burst: 9223372036854775807}}\n",
		"limits:\n  requests: &r {per_minute: 5}\n  tokens: *r\n",
		"window: 1s\n", "- 1\n", "limits: 5\n", "latency: 5 seconds\n", "dialect: [openai]\n",
	}
	files, _ := filepath.Glob("../scenarios/*.yaml")
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		var doc struct {
			Mock yaml.Node `yaml:"mock"`
		}
		if yaml.Unmarshal(b, &doc) == nil && doc.Mock.Kind != 0 {
			out, err := yaml.Marshal(&doc.Mock)
			if err != nil {
				f.Fatal(err)
			}
			seeds = append(seeds, string(out))
		}
	}
	return seeds
}

// FuzzLoadConfig: whatever the file, account.LoadConfig never panics; it returns either a valid
// configuration that builds a mock and reads back from its own String unchanged, or a
// *strictyaml.Error whose every problem names the file.
func FuzzLoadConfig(f *testing.F) {
	for _, s := range configSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, file string) {
		cfg, err := account.LoadConfig(strings.NewReader(file), "m.yaml")
		if err != nil {
			var se *strictyaml.Error
			if !errors.As(err, &se) || len(se.Problems) == 0 {
				t.Fatalf("error is not a list of problems: %#v", err)
			}
			for _, p := range se.Problems {
				if p.File != "m.yaml" || p.Msg == "" || p.Line < 0 {
					t.Fatalf("problem without a place: %#v", p)
				}
			}
			return
		}
		if err := cfg.Validate(); err != nil {
			t.Fatalf("loaded an invalid configuration: %v", err)
		}
		if _, err := New(cfg, 1); err != nil {
			t.Fatalf("a configuration that loads does not build a mock: %v\n%s", err, file)
		}
		again, err := account.LoadConfig(strings.NewReader(cfg.String()), "again.yaml")
		if err != nil {
			t.Fatalf("String() does not load back: %v\n%s", err, cfg.String())
		}
		if cfg.String() != again.String() {
			t.Fatalf("round trip changed the configuration:\n%s\n---\n%s", cfg.String(), again.String())
		}
	})
}

// fuzzMethods are the methods FuzzHandler picks from.
var fuzzMethods = []string{http.MethodPost, http.MethodGet, http.MethodHead, http.MethodPut, http.MethodOptions}

// mockStatuses are the statuses the mock may answer without injected faults.
var mockStatuses = map[int]bool{200: true, 400: true, 401: true, 403: true, 405: true, 413: true, 429: true}

// FuzzHandler drives the HTTP front end with any method, path, key, content type and body. With
// no faults configured it must never answer 500 (the handler turns a panic into a 500), every
// JSON body it sends must be valid JSON, a long key never comes back whole, and the account
// table never grows past max_accounts.
func FuzzHandler(f *testing.F) {
	body := `{"model":"claude-sonnet-4-5","max_tokens":16,"messages":[{"role":"user","content":"hello there"}]}`
	chat := `{"model":"gpt-4o-mini","max_completion_tokens":7,"messages":[{"role":"system","content":"abcd"},{"role":"user","content":"hi"}]}`
	for _, s := range []struct {
		method              uint8
		path, key, auth, ct string
		body                string
	}{
		{0, "/v1/messages", "fake-fuzz-0123456789", "", "application/json", body},
		{0, "/v1/messages/count_tokens", "k1", "", "application/json; charset=utf-8", body},
		{0, "/v1/chat/completions", "", "Bearer sk-fuzz-0123456789abcdef", "application/json", chat},
		{0, "/v1/chat/completions", "", "bearer   ", "text/plain", chat},
		{1, "/v1/messages", "k", "", "", ""},
		{0, "/v1/messages", "k", "", "application/vnd.api+json", `{"model":"m","max_tokens":1e2,"messages":[{"role":"user","content":[{"type":"text","text":"x"}]}]}`},
		{1, "/anything/else", "k2", "", "", ""},
		{1, "/_ratelab/stats", "", "", "", ""},
		{3, "/_ratelab/stats", "", "", "", ""},
		{1, "/healthz", "", "", "", ""},
		{0, "/v1/messages", "k3", "", "application/json", `{"model":"m","max_tokens":5,"messages":[{"role":"user","content":"\ud800"}]}`},
		{0, "/v1/messages", "k4", "", "application/json", `{"model":"m\"\u00e9","max_tokens":40,"stream":true,"messages":[{"role":"user","content":"x"}]}`},
		{0, "/v1/chat/completions", "k4", "", "application/json", `{"model":"g","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"x"}]}`},
	} {
		f.Add(s.method, s.path, s.key, s.auth, s.ct, []byte(s.body))
	}
	cfg := account.DefaultConfig()
	cfg.MaxAccounts = 4
	m, err := New(cfg, 1)
	if err != nil {
		f.Fatal(err)
	}
	h := m.Handler()
	f.Fuzz(func(t *testing.T, method uint8, path, key, auth, ct string, body []byte) {
		r := &http.Request{
			Method: fuzzMethods[int(method)%len(fuzzMethods)], URL: &url.URL{Path: path},
			Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1, Header: http.Header{},
			Body: http.NoBody, Host: "127.0.0.1",
		}
		if len(body) > 0 {
			r.Body, r.ContentLength = httpBody(body), int64(len(body))
		}
		for k, v := range map[string]string{"X-Api-Key": key, "Authorization": auth, "Content-Type": ct} {
			if v != "" {
				r.Header.Set(k, v)
			}
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		res := w.Result()
		if !mockStatuses[res.StatusCode] {
			t.Fatalf("%s %q: status %d (a 500 is a recovered panic)\n%s", r.Method, path, res.StatusCode, w.Body.String())
		}
		out := w.Body.Bytes()
		if ctype := res.Header.Get("Content-Type"); strings.Contains(ctype, "json") && r.Method != http.MethodHead && !json.Valid(out) {
			t.Fatalf("%s %q: %s body is not JSON: %q", r.Method, path, ctype, out)
		}
		if strings.HasPrefix(res.Header.Get("Content-Type"), "text/event-stream") {
			// every event's data is JSON (or chat's [DONE]), every event ends with a blank line
			if !bytes.HasSuffix(out, []byte("\n\n")) {
				t.Fatalf("%s %q: stream does not end with a blank line: %q", r.Method, path, out)
			}
			for line := range strings.Lines(string(out)) {
				if d, ok := strings.CutPrefix(line, "data: "); ok && strings.TrimSpace(d) != "[DONE]" && !json.Valid([]byte(d)) {
					t.Fatalf("%s %q: stream data is not JSON: %q", r.Method, path, d)
				}
			}
		}
		for name, vs := range res.Header {
			for _, v := range vs {
				if strings.ContainsAny(v, "\r\n") {
					t.Fatalf("header %s carries a line break: %q", name, v)
				}
			}
		}
		bearer := ""
		if len(auth) > 7 && strings.EqualFold(auth[:7], "bearer ") {
			bearer = strings.TrimSpace(auth[7:])
		}
		for _, k := range []string{key, bearer} {
			if len(k) >= 16 && bytes.Contains(out, []byte(k)) && !bytes.Contains(body, []byte(k)) &&
				!strings.Contains(path, k) && !strings.Contains(ct, k) {
				t.Fatalf("the key %q came back in the body: %s", k, out)
			}
		}
		if st := m.Stats(); len(st.Accounts) > cfg.MaxAccounts {
			t.Fatalf("%d accounts, max_accounts %d", len(st.Accounts), cfg.MaxAccounts)
		}
	})
}

// httpBody is a request body over b.
func httpBody(b []byte) *bodyCloser { return &bodyCloser{bytes.NewReader(b)} }

type bodyCloser struct{ *bytes.Reader }

func (bodyCloser) Close() error { return nil }
