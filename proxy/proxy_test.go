package proxy

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ratelab/ratelab/internal/testcheck"
	"github.com/ratelab/ratelab/record"
)

// recorder collects the attempts a proxy records.
type recorder struct {
	mu sync.Mutex
	a  []record.Attempt
}

func (r *recorder) write(a *record.Attempt) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.a = append(r.a, *a)
	return nil
}

func (r *recorder) all() []record.Attempt {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]record.Attempt(nil), r.a...)
}

// start runs a proxy in front of upstream, on loopback; it stops with the test.
func start(t *testing.T, upstream http.Handler, cfg Config) (*Proxy, string, *recorder) {
	t.Helper()
	up := httptest.NewServer(upstream)
	t.Cleanup(up.Close)
	return startAt(t, up.URL, cfg)
}

// startAt runs a proxy in front of the upstream at url, on loopback; it stops with the test.
func startAt(t *testing.T, upstream string, cfg Config) (*Proxy, string, *recorder) {
	t.Helper()
	u, err := url.Parse(upstream)
	require.NoError(t, err)
	rec := &recorder{}
	cfg.Upstream, cfg.Record = u, rec.write
	p, err := New(cfg)
	require.NoError(t, err)
	front := httptest.NewUnstartedServer(p)
	front.Config = NewServer(p)
	front.Start()
	t.Cleanup(func() {
		front.Close()
		p.Close()
	})
	return p, front.URL, rec
}

const anthropicAnswer = `{"id":"msg_1","type":"message","role":"assistant","model":"claude-haiku-4-5","content":[{"type":"text","text":"hi"}],"stop_reason":"end_turn","usage":{"input_tokens":12,"output_tokens":7}}`

const anthropicStream = "event: message_start\n" +
	`data: {"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant","model":"claude-haiku-4-5","content":[],"usage":{"input_tokens":25,"output_tokens":1}}}` + "\n\n" +
	"event: content_block_delta\n" +
	`data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hello"}}` + "\n\n" +
	"event: message_delta\n" +
	`data: {"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":15}}` + "\n\n" +
	"event: message_stop\n" +
	`data: {"type":"message_stop"}` + "\n\n"

const openaiAnswer = `{"id":"chatcmpl-1","object":"chat.completion","model":"gpt-4o-mini","choices":[{"index":0,"message":{"role":"assistant","content":"hi"},"finish_reason":"stop"}],"usage":{"prompt_tokens":9,"completion_tokens":3,"total_tokens":12}}`

const openaiStream = `data: {"id":"c1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"Hel"}}]}` + "\n\n" +
	`data: {"id":"c1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"lo"},"finish_reason":"stop"}]}` + "\n\n" +
	`data: {"id":"c1","object":"chat.completion.chunk","choices":[],"usage":{"prompt_tokens":30,"completion_tokens":4,"total_tokens":34}}` + "\n\n" +
	"data: [DONE]\n\n"

// echoUpstream answers with body (after the header fields hdr), and echoes what it received
// in x-echo-* header fields so the test can compare both directions.
func echoUpstream(status int, hdr http.Header, body string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		got, _ := io.ReadAll(r.Body)
		for k, v := range hdr {
			w.Header()[k] = v
		}
		w.Header().Set("X-Echo-Method", r.Method)
		w.Header().Set("X-Echo-Uri", r.URL.RequestURI())
		w.Header().Set("X-Echo-Body", hex.EncodeToString(got))
		w.Header().Set("X-Echo-Key", r.Header.Get("X-Api-Key")+r.Header.Get("Authorization"))
		w.Header().Set("X-Echo-Custom", strings.Join(r.Header.Values("X-Custom"), "|"))
		w.WriteHeader(status)
		if f, ok := w.(http.Flusher); ok && hdr.Get("Content-Type") == "text/event-stream" {
			for _, ev := range strings.SplitAfter(body, "\n\n") {
				io.WriteString(w, ev)
				f.Flush()
			}
			return
		}
		io.WriteString(w, body)
	}
}

func TestTransparent(t *testing.T) {
	rl := http.Header{
		"Anthropic-Ratelimit-Requests-Limit":     {"50"},
		"Anthropic-Ratelimit-Requests-Remaining": {"49"},
		"Anthropic-Ratelimit-Requests-Reset":     {"2030-01-01T00:00:01Z"},
		"Request-Id":                             {"req_1"},
		"Set-Cookie":                             {"a=1", "b=2"},
	}
	oa := http.Header{"X-Ratelimit-Limit-Requests": {"500"}, "X-Ratelimit-Remaining-Requests": {"499"}, "X-Ratelimit-Reset-Requests": {"120ms"}}
	with := func(h http.Header, ct string) http.Header {
		h = h.Clone()
		if h == nil {
			h = http.Header{}
		}
		h.Set("Content-Type", ct)
		return h
	}
	tests := []struct {
		name, path, auth, body, answer string
		status                         int
		hdr                            http.Header
		in, out                        int64
		model                          string
	}{
		{"anthropic", "/v1/messages?beta=true", "x-api-key", `{"model":"claude-haiku-4-5","max_tokens":16,"messages":[]}`, anthropicAnswer, 200, with(rl, "application/json"), 12, 7, "claude-haiku-4-5"},
		{"anthropic stream", "/v1/messages", "x-api-key", `{"model":"claude-haiku-4-5","max_tokens":16,"stream":true}`, anthropicStream, 200, with(rl, "text/event-stream"), 25, 15, "claude-haiku-4-5"},
		{"anthropic 429", "/v1/messages", "x-api-key", `{"model":"m","max_tokens":16}`, `{"type":"error","error":{"type":"rate_limit_error","message":"slow"}}`, 429,
			with(http.Header{"Retry-After": {"7"}, "X-Should-Retry": {"true"}}, "application/json"), 0, 0, "m"},
		{"openai", "/v1/chat/completions", "bearer", `{"model":"gpt-4o-mini","max_completion_tokens":20}`, openaiAnswer, 200, with(oa, "application/json"), 9, 3, "gpt-4o-mini"},
		{"openai stream", "/v1/chat/completions", "bearer", `{"model":"gpt-4o-mini","stream":true,"stream_options":{"include_usage":true}}`, openaiStream, 200, with(oa, "text/event-stream"), 30, 4, "gpt-4o-mini"},
		{"generic", "/anything/else?q=1", "", "raw \x00 bytes", "not json", 503, with(nil, "text/plain"), 0, 0, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, base, rec := start(t, echoUpstream(tc.status, tc.hdr, tc.answer), Config{})
			req, err := http.NewRequest(http.MethodPost, base+tc.path, strings.NewReader(tc.body))
			require.NoError(t, err)
			switch tc.auth {
			case "x-api-key":
				req.Header.Set("X-Api-Key", "fake-secret-1")
			case "bearer":
				req.Header.Set("Authorization", "Bearer fake-secret-2")
			}
			req.Header.Add("X-Custom", "one")
			req.Header.Add("X-Custom", "two")
			resp := testcheck.Do(t, req)

			assert.Equal(t, tc.status, resp.Status)
			assert.Equal(t, tc.answer, resp.Body, "answer byte for byte")
			for k, v := range tc.hdr {
				assert.Equal(t, v, resp.Header[k], "answer header %s", k)
			}
			assert.Equal(t, http.MethodPost, resp.Header.Get("X-Echo-Method"))
			assert.Equal(t, tc.path, resp.Header.Get("X-Echo-Uri"))
			assert.Equal(t, hex.EncodeToString([]byte(tc.body)), resp.Header.Get("X-Echo-Body"), "request body byte for byte")
			assert.Equal(t, "one|two", resp.Header.Get("X-Echo-Custom"))
			assert.Equal(t, map[string]string{"x-api-key": "fake-secret-1", "bearer": "Bearer fake-secret-2"}[tc.auth], resp.Header.Get("X-Echo-Key"))

			require.Eventually(t, func() bool { return len(rec.all()) == 1 }, 2*time.Second, 5*time.Millisecond)
			a := rec.all()[0]
			assert.True(t, a.Observed)
			assert.Equal(t, tc.status, a.Status)
			assert.Empty(t, a.Error)
			assert.Equal(t, tc.in, a.InputTokens, "input tokens")
			assert.Equal(t, tc.out, a.OutputTokens, "output tokens")
			assert.Equal(t, tc.model, a.Model)
			assert.Len(t, a.ClientID, 16)
			line := string(a.AppendJSON(nil))
			assert.NotContains(t, line, "secret")
		})
	}
}

func TestStreamNotBuffered(t *testing.T) {
	release := make(chan struct{})
	up := func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		io.WriteString(w, "event: ping\ndata: {\"type\":\"ping\"}\n\n")
		w.(http.Flusher).Flush()
		<-release
		io.WriteString(w, "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n")
	}
	_, base, _ := start(t, http.HandlerFunc(up), Config{})
	resp, err := http.Post(base+"/v1/messages", "application/json", strings.NewReader(`{"stream":true}`))
	require.NoError(t, err)
	defer resp.Body.Close()
	buf := make([]byte, 100)
	n, err := io.ReadAtLeast(resp.Body, buf, len("event: ping\n"))
	require.NoError(t, err, "the first event arrives while the upstream still holds the stream open")
	assert.True(t, bytes.HasPrefix(buf[:n], []byte("event: ping\n")))
	close(release)
	rest, err := io.ReadAll(resp.Body)
	require.NoError(t, err, "%v", err)
	assert.Contains(t, string(buf[:n])+string(rest), "message_stop")
}

func TestSDKRetriesLinked(t *testing.T) {
	_, base, rec := start(t, echoUpstream(429, http.Header{"Retry-After": {"1"}}, `{}`), Config{})
	send := func(retry, key string) {
		req, err := http.NewRequest(http.MethodPost, base+"/v1/messages", strings.NewReader(`{"model":"m"}`))
		require.NoError(t, err)
		req.Header.Set("X-Api-Key", key)
		req.Header.Set("X-Stainless-Retry-Count", retry)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	send("0", "a")
	send("0", "b")
	send("1", "a")
	send("2", "a")
	send("1", "b")
	require.Eventually(t, func() bool { return len(rec.all()) == 5 }, 2*time.Second, 5*time.Millisecond)
	got := map[string][]string{}
	for _, a := range rec.all() {
		got[a.ClientID] = append(got[a.ClientID], fmt.Sprintf("%d#%d", a.Request, a.Number))
	}
	id := func(key string) string {
		r := httptest.NewRequest(http.MethodPost, "/", nil)
		r.Header.Set("X-Api-Key", key)
		return identity(r, DefaultClientHeader)
	}
	assert.ElementsMatch(t, []string{"1#1", "1#2", "1#3"}, got[id("a")], "a retry counts as the next attempt of its client's last request")
	assert.ElementsMatch(t, []string{"2#1", "2#2"}, got[id("b")])
}
