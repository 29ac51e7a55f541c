package mockserver

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ratelab/ratelab/account"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ratelab/ratelab/internal/testcheck"
	"github.com/ratelab/ratelab/ratelimit"
)

// startMock serves a mock built from account.DefaultConfig changed by set on 127.0.0.1:0 until the test
// ends.
func startMock(t *testing.T, set func(*account.Config)) (*Mock, *Server) {
	t.Helper()
	m := newMock(t, 1, set)
	return m, testcheck.Serve(t, func(ctx context.Context) (*Server, error) { return m.Start(ctx, "127.0.0.1:0") })
}

type response struct {
	status int
	header http.Header
	body   string
}

// post sends body to srv's path with the given headers ("Name: value").
func post(t *testing.T, srv *Server, path, body string, headers ...string) response {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, srv.URL()+path, strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	for _, h := range headers {
		k, v, _ := strings.Cut(h, ":")
		req.Header.Set(k, strings.TrimSpace(v))
	}
	return do(t, req)
}

func do(t *testing.T, req *http.Request) response {
	t.Helper()
	r := testcheck.Do(t, req)
	return response{r.Status, r.Header, r.Body}
}

var idPattern = regexp.MustCompile(`(req|msg)_01[0-9A-Za-z]{22}|chatcmpl-01[0-9A-Za-z]{22}`)

// normalize replaces ids with their tag, so bodies compare exactly.
func normalize(s string) string {
	return idPattern.ReplaceAllStringFunc(s, func(id string) string {
		tag, _, _ := strings.Cut(id, "01")
		return tag + "ID"
	})
}

const hello = `{"model":"claude-haiku-4-5","max_tokens":16,"messages":[{"role":"user","content":"hello there"}]}`

func TestHTTPMessages(t *testing.T) {
	_, srv := startMock(t, func(c *account.Config) { c.Limits.Requests.PerMinute = 2 })
	before := time.Now()
	r := post(t, srv, "/v1/messages", hello, "x-api-key: k1", "anthropic-version: 2023-06-01")
	require.Equal(t, 200, r.status, r.body)
	assert.Equal(t, `{"id":"msg_ID","type":"message","role":"assistant","model":"claude-haiku-4-5",`+
		`"content":[{"type":"text","text":"This is the ratelab mock. It answers every request with filler t"}],`+
		`"stop_reason":"max_tokens","stop_sequence":null,`+
		`"usage":{"input_tokens":3,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"cache_creation":{"ephemeral_5m_input_tokens":0,"ephemeral_1h_input_tokens":0},"output_tokens":16,"service_tier":"standard"}}`,
		normalize(r.body))
	assert.Equal(t, "application/json", r.header.Get("Content-Type"))
	assert.Equal(t, strconv.Itoa(len(r.body)), r.header.Get("Content-Length"))
	assert.Regexp(t, `^req_01[0-9A-Za-z]{22}$`, r.header.Get("request-id"))
	assert.Equal(t, "2", r.header.Get("anthropic-ratelimit-requests-limit"))
	assert.Equal(t, "1", r.header.Get("anthropic-ratelimit-requests-remaining"))
	assert.Equal(t, "30000", r.header.Get("anthropic-ratelimit-input-tokens-limit"))
	assert.Equal(t, "30000", r.header.Get("anthropic-ratelimit-input-tokens-remaining"), "token remaining is rounded to thousands")
	assert.Equal(t, "8000", r.header.Get("anthropic-ratelimit-output-tokens-limit"))
	assert.Equal(t, "8000", r.header.Get("anthropic-ratelimit-output-tokens-remaining"))
	assert.Empty(t, r.header.Get("anthropic-ratelimit-tokens-limit"), "no combined limit by default")
	assert.Empty(t, r.header.Get("retry-after"))
	reset, err := time.Parse(time.RFC3339, r.header.Get("anthropic-ratelimit-requests-reset"))
	require.NoError(t, err)
	// one request of a bucket of 2 refilling at 2/min: full again 30 s later (rounded up to the second)
	assert.WithinRange(t, reset, before.Add(29*time.Second), time.Now().Add(31*time.Second))

	require.Equal(t, 200, post(t, srv, "/v1/messages", hello, "x-api-key: k1").status)
	r = post(t, srv, "/v1/messages", hello, "x-api-key: k1")
	require.Equal(t, 429, r.status)
	id := r.header.Get("request-id")
	assert.Equal(t, `{"type":"error","error":{"type":"rate_limit_error","message":"This request would exceed the rate limit for your organization (org-ratelab-mock) of 2 requests per minute. `+
		`For details, refer to: https://docs.claude.com/en/api/rate-limits. You can see the response headers for current usage. Please reduce the prompt length or the maximum tokens requested, or try again later. `+
		`You may also contact sales at https://www.anthropic.com/contact-sales to discuss your options for a rate limit increase."},"request_id":"`+id+`"}`, r.body)
	assert.Equal(t, "30", r.header.Get("retry-after"))
	assert.Equal(t, "true", r.header.Get("x-should-retry"))
	assert.Equal(t, "0", r.header.Get("anthropic-ratelimit-requests-remaining"))

	// Authorization: Bearer names a key too, with its own budget.
	assert.Equal(t, 200, post(t, srv, "/v1/messages", hello, "Authorization: Bearer k2").status)
}

func TestHTTPCountTokens(t *testing.T) {
	_, srv := startMock(t, nil)
	r := post(t, srv, "/v1/messages/count_tokens", `{"model":"m","system":"abcdefgh","messages":[{"role":"user","content":"abcd"}]}`, "x-api-key: k")
	require.Equal(t, 200, r.status, r.body)
	assert.Equal(t, `{"input_tokens":3}`, r.body)
	assert.Equal(t, "100", r.header.Get("anthropic-ratelimit-requests-limit"))
	assert.Equal(t, "99", r.header.Get("anthropic-ratelimit-requests-remaining"))
	assert.Regexp(t, `^req_`, r.header.Get("request-id"))
}

func TestHTTPChatCompletions(t *testing.T) {
	_, srv := startMock(t, func(c *account.Config) {
		c.Limits.Requests.PerMinute = 1
		c.Limits.Tokens.PerMinute = 1000
		c.OutputTokens = 2
	})
	before := time.Now().Unix()
	r := post(t, srv, "/v1/chat/completions", `{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}],"max_tokens":8}`, "Authorization: Bearer k")
	require.Equal(t, 200, r.status, r.body)
	var created struct{ Created int64 }
	require.NoError(t, json.Unmarshal([]byte(r.body), &created))
	assert.GreaterOrEqual(t, created.Created, before)
	body := strings.Replace(normalize(r.body), `"created":`+strconv.FormatInt(created.Created, 10), `"created":T`, 1)
	assert.Equal(t, `{"id":"chatcmpl-ID","object":"chat.completion","created":T,"model":"gpt-4o-mini",`+
		`"choices":[{"index":0,"message":{"role":"assistant","content":"This is ","refusal":null,"annotations":[]},"logprobs":null,"finish_reason":"stop"}],`+
		`"usage":{"prompt_tokens":1,"completion_tokens":2,"total_tokens":3,"prompt_tokens_details":{"cached_tokens":0,"audio_tokens":0},`+
		`"completion_tokens_details":{"reasoning_tokens":0,"audio_tokens":0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}},`+
		`"service_tier":"default","system_fingerprint":null}`, body)
	assert.Regexp(t, `^req_01[0-9A-Za-z]{22}$`, r.header.Get("x-request-id"))
	assert.Empty(t, r.header.Get("request-id"))
	assert.Equal(t, "1", r.header.Get("x-ratelimit-limit-requests"))
	assert.Equal(t, "0", r.header.Get("x-ratelimit-remaining-requests"))
	assert.Equal(t, "1m0s", r.header.Get("x-ratelimit-reset-requests"))
	assert.Equal(t, "1000", r.header.Get("x-ratelimit-limit-tokens"))
	assert.Equal(t, "997", r.header.Get("x-ratelimit-remaining-tokens"))
	assert.Equal(t, "180ms", r.header.Get("x-ratelimit-reset-tokens"))

	r = post(t, srv, "/v1/chat/completions", `{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}]}`, "Authorization: Bearer k")
	require.Equal(t, 429, r.status)
	assert.Regexp(t, `^\{"error":\{"message":"Rate limit reached for gpt-4o-mini in organization org-ratelab-mock on requests per min \(RPM\): Limit 1, Used 1, Requested 1. `+
		`Please try again in (59\.\d+s|1m0s). Visit https://platform.openai.com/account/rate-limits to learn more.","type":"requests","param":null,"code":"rate_limit_exceeded"\}\}$`, r.body)
	assert.Equal(t, "60", r.header.Get("retry-after"))
	assert.Empty(t, r.header.Get("x-should-retry"))
}

func TestHTTPGenericEndpoint(t *testing.T) {
	_, srv := startMock(t, func(c *account.Config) { c.Limits.Requests.PerMinute = 1 })
	req, _ := http.NewRequest(http.MethodGet, srv.URL()+"/any/path?q=1", nil)
	req.Header.Set("x-api-key", "k")
	r := do(t, req)
	require.Equal(t, 200, r.status)
	assert.Equal(t, `{"ok":true}`, r.body)
	assert.Equal(t, `"requests";q=1;w=60`, r.header.Get("RateLimit-Policy"))
	assert.Equal(t, `"requests";r=0;t=60`, r.header.Get("RateLimit"))
	assert.Regexp(t, `^req_`, r.header.Get("x-request-id"))
	r = do(t, req)
	require.Equal(t, 429, r.status)
	assert.Equal(t, "application/problem+json", r.header.Get("Content-Type"))
	assert.Equal(t, "60", r.header.Get("Retry-After"))
	assert.Regexp(t, `^\{"type":"https://iana.org/assignments/http-problem-types#quota-exceeded","title":"Too Many Requests","status":429,`+
		`"detail":"Request quota exceeded: 1 requests per 1m0s window. Retry in (59\.\d+s|1m0s)."\}$`, r.body)
}

func TestHTTPDialectNone(t *testing.T) {
	_, srv := startMock(t, func(c *account.Config) {
		c.Dialect = "none"
		c.Limits.Requests.PerMinute = 1
	})
	post(t, srv, "/v1/messages", hello)
	r := post(t, srv, "/v1/messages", hello)
	require.Equal(t, 429, r.status)
	for k := range r.header {
		assert.NotContains(t, strings.ToLower(k), "ratelimit")
		assert.NotEqual(t, "retry-after", strings.ToLower(k))
	}
}

// TestHTTPHeaderRoundings: reset_rounding and remaining_rounding change the headers the mock
// writes (the FieldCache path) and nothing else.
func TestHTTPHeaderRoundings(t *testing.T) {
	_, srv := startMock(t, func(c *account.Config) {
		c.ResetRounding, c.RemainingRounding = ratelimit.ResetFractional, ratelimit.RemainingExact
	})
	r := post(t, srv, "/v1/messages", hello, "x-api-key: k1")
	require.Equal(t, 200, r.status, r.body)
	assert.Equal(t, "29997", r.header.Get("anthropic-ratelimit-input-tokens-remaining"), "30,000 less the 3 tokens of hello, exact")
	// One request of 50 per minute: full again 1.2 s later, written to the millisecond.
	assert.Regexp(t, `^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,3})?Z$`, r.header.Get("anthropic-ratelimit-requests-reset"))
	_, srv = startMock(t, func(c *account.Config) { c.ResetRounding, c.Dialect = ratelimit.ResetTruncate, "openai" })
	r = post(t, srv, "/v1/chat/completions", `{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}]}`, "Authorization: Bearer k1")
	require.Equal(t, 200, r.status, r.body)
	assert.Equal(t, "1s", r.header.Get("x-ratelimit-reset-requests"), "1.2 s truncated to whole seconds")
}

func TestHTTPBadRequests(t *testing.T) {
	_, srv := startMock(t, func(c *account.Config) { c.RequireKey = true })
	tests := []struct {
		name   string
		method string
		path   string
		ctype  string
		body   string
		key    bool
		status int
		want   string // body, request id normalized
	}{
		{"malformed JSON", "POST", "/v1/messages", "application/json", `{"model": `, true, 400,
			`{"type":"error","error":{"type":"invalid_request_error","message":"The request body is not valid JSON: Expecting value: line 1 column 11 (char 10)"},"request_id":"req_ID"}`},
		{"validation", "POST", "/v1/messages", "application/json; charset=utf-8", `{"model":"m","messages":[{"role":"user","content":"x"}]}`, true, 400,
			`{"type":"error","error":{"type":"invalid_request_error","message":"max_tokens: Field required"},"request_id":"req_ID"}`},
		{"wrong content type", "POST", "/v1/messages", "text/plain", hello, true, 400,
			`{"type":"error","error":{"type":"invalid_request_error","message":"Unsupported Content-Type \"text/plain\": send the body as application/json"},"request_id":"req_ID"}`},
		{"wrong method", "GET", "/v1/messages", "", "", true, 405,
			`{"type":"error","error":{"type":"invalid_request_error","message":"Method Not Allowed: /v1/messages accepts POST only"},"request_id":"req_ID"}`},
		{"missing key", "POST", "/v1/messages", "application/json", hello, false, 401,
			`{"type":"error","error":{"type":"authentication_error","message":"x-api-key header is required"},"request_id":"req_ID"}`},
		{"chat malformed JSON", "POST", "/v1/chat/completions", "application/json", `{`, true, 400,
			`{"error":{"message":"We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON. If you have trouble figuring out how to fix this, please contact us through our help center at help.openai.com.)","type":"invalid_request_error","param":null,"code":null}}`},
		{"chat validation", "POST", "/v1/chat/completions", "application/json", `{"model":"m"}`, true, 400,
			`{"error":{"message":"Missing required parameter: 'messages'.","type":"invalid_request_error","param":"messages","code":"missing_required_parameter"}}`},
		{"chat missing key", "POST", "/v1/chat/completions", "application/json", `{"model":"m","messages":[{"role":"user","content":"x"}]}`, false, 401,
			`{"error":{"message":"You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY). This is the ratelab mock: any non-empty key works.","type":"invalid_request_error","param":null,"code":null}}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req, err := http.NewRequest(tc.method, srv.URL()+tc.path, strings.NewReader(tc.body))
			require.NoError(t, err)
			if tc.ctype != "" {
				req.Header.Set("Content-Type", tc.ctype)
			}
			if tc.key {
				req.Header.Set("x-api-key", "k")
			}
			r := do(t, req)
			assert.Equal(t, tc.status, r.status)
			assert.Equal(t, tc.want, normalize(r.body))
			if strings.HasPrefix(tc.path, "/v1/messages") {
				assert.Equal(t, "false", r.header.Get("x-should-retry"))
				assert.Regexp(t, `^req_`, r.header.Get("request-id"))
			}
		})
	}
}

func TestHTTPBodyTooLarge(t *testing.T) {
	m, srv := startMock(t, nil)
	want := `{"type":"error","error":{"type":"request_too_large","message":"Request exceeds the maximum allowed number of bytes (33554432)."},"request_id":"req_ID"}`
	t.Run("declared length", func(t *testing.T) {
		// The length alone decides: the mock answers before any of the body arrives.
		conn, err := net.Dial("tcp", srv.Addr)
		require.NoError(t, err)
		defer conn.Close()
		fmt.Fprintf(conn, "POST /v1/messages HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n", account.MaxBodyBytes+1)
		require.NoError(t, conn.SetReadDeadline(time.Now().Add(10*time.Second)))
		res, err := http.ReadResponse(bufio.NewReader(conn), nil)
		require.NoError(t, err)
		b, _ := io.ReadAll(io.LimitReader(res.Body, 4096))
		assert.Equal(t, 413, res.StatusCode)
		assert.Equal(t, want, normalize(string(b)))
	})
	t.Run("chunked", func(t *testing.T) {
		// No length: the mock reads up to the limit and stops there.
		body := io.MultiReader(strings.NewReader(`{"model":"m","max_tokens":1,"messages":[{"role":"user","content":"`),
			io.LimitReader(zeros{}, account.MaxBodyBytes))
		req, err := http.NewRequest(http.MethodPost, srv.URL()+"/v1/messages", body)
		require.NoError(t, err)
		req.ContentLength = -1
		req.Header.Set("Content-Type", "application/json")
		before := m.Stats().Unkeyed["413"]
		res, err := http.DefaultClient.Do(req)
		assert.Equal(t, before+1, m.Stats().Unkeyed["413"], "the mock answered 413")
		if err != nil {
			// The server may close the connection while the client is still writing.
			t.Logf("client error after the server answered: %v", err)
			return
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		assert.Equal(t, 413, res.StatusCode)
		assert.Equal(t, want, normalize(string(b)))
	})
	t.Run("just under the limit", func(t *testing.T) {
		head := `{"model":"m","max_tokens":1,"messages":[{"role":"user","content":"`
		tail := `"}]}`
		text := strings.Repeat("abcd", (account.MaxBodyBytes-len(head)-len(tail))/4)
		r := post(t, srv, "/v1/messages", head+text+tail, "x-api-key: big")
		require.Equal(t, 429, r.status, "30,000 ITPM cannot take %d tokens", len(text)/4)
		assert.Contains(t, r.body, "of 30,000 input tokens per minute")
	})
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = 'a'
	}
	return len(p), nil
}

func TestHTTPSlowHeaders(t *testing.T) {
	m := newMock(t, 1, nil)
	s := m.NewServer()
	s.HTTP.ReadHeaderTimeout = 200 * time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	require.NoError(t, s.Start(ctx, "127.0.0.1:0"))
	defer func() {
		cancel()
		assert.NoError(t, s.Wait())
	}()
	conn, err := net.Dial("tcp", s.Addr)
	require.NoError(t, err)
	defer conn.Close()
	_, err = io.WriteString(conn, "POST /v1/messages HTTP/1.1\r\nHost: x\r\n") // and never finish the headers
	require.NoError(t, err)
	require.NoError(t, conn.SetReadDeadline(time.Now().Add(10*time.Second)))
	start := time.Now()
	b, err := io.ReadAll(conn)
	require.NoError(t, err, "the server closes the connection (a read deadline error means it hung)")
	assert.Less(t, time.Since(start), 5*time.Second)
	if len(b) > 0 {
		assert.Contains(t, string(b), "408")
	}
}

func TestHTTPLatencyAndClientGone(t *testing.T) {
	m := newMock(t, 1, func(c *account.Config) { c.Latency = time.Hour })
	ctx, cancel := context.WithCancel(context.Background())
	srv, err := m.Start(ctx, "127.0.0.1:0")
	require.NoError(t, err)
	reqCtx, reqCancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer reqCancel()
	req, _ := http.NewRequestWithContext(reqCtx, http.MethodPost, srv.URL()+"/v1/messages", strings.NewReader(hello))
	req.Header.Set("Content-Type", "application/json")
	_, err = http.DefaultClient.Do(req)
	require.Error(t, err, "an hour of latency")
	// The handler returned when the client went away: shutdown does not wait out the grace.
	start := time.Now()
	cancel()
	require.NoError(t, srv.Wait())
	assert.Less(t, time.Since(start), ShutdownGrace)
}

func TestHTTPShutdownLetsRequestsFinish(t *testing.T) {
	m := newMock(t, 1, func(c *account.Config) { c.Latency = 300 * time.Millisecond })
	h := m.Handler().(*handler)
	entered := make(chan struct{})
	h.beforeHandle = func(*http.Request) { close(entered) }
	s := m.NewServer()
	s.HTTP.Handler = h
	ctx, cancel := context.WithCancel(context.Background())
	require.NoError(t, s.Start(ctx, "127.0.0.1:0"))
	done := make(chan response)
	go func() {
		req, _ := http.NewRequest(http.MethodPost, s.URL()+"/v1/messages", strings.NewReader(hello))
		req.Header.Set("Content-Type", "application/json")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			done <- response{body: err.Error()}
			return
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		done <- response{status: res.StatusCode, body: string(b)}
	}()
	<-entered
	cancel() // SIGINT in `ratelab mock`
	r := <-done
	assert.Equal(t, 200, r.status, r.body)
	require.NoError(t, s.Wait())
	_, err := net.Dial("tcp", s.Addr)
	assert.Error(t, err, "the listener is closed")
}

func TestHTTPRecoveredPanic(t *testing.T) {
	m := newMock(t, 1, nil)
	h := m.Handler().(*handler)
	h.beforeHandle = func(*http.Request) { panic("boom") }
	ts := httptest.NewServer(h)
	defer ts.Close()
	for _, tc := range []struct{ path, want string }{
		{"/v1/messages", `{"type":"error","error":{"type":"api_error","message":"Internal server error"},"request_id":"req_ID"}`},
		{"/v1/chat/completions", `{"error":{"message":"The server had an error while processing your request. Sorry about that!","type":"server_error","param":null,"code":null}}`},
	} {
		req, _ := http.NewRequest(http.MethodPost, ts.URL+tc.path, strings.NewReader(`{"model":"m","max_tokens":1,"messages":[{"role":"user","content":"x"}]}`))
		r := do(t, req)
		assert.Equal(t, 500, r.status)
		assert.Equal(t, tc.want, normalize(r.body))
	}
}

func TestHTTPStatsAndHealth(t *testing.T) {
	_, srv := startMock(t, func(c *account.Config) { c.Limits.Requests.PerMinute = 2 })
	for range 3 {
		post(t, srv, "/v1/messages", hello, "x-api-key: fake-key-0123456789abcdef")
	}
	post(t, srv, "/v1/messages", `{`, "x-api-key: k")
	r := do(t, must(http.NewRequest(http.MethodGet, srv.URL()+"/_ratelab/stats", nil)))
	require.Equal(t, 200, r.status)
	var st account.Stats
	require.NoError(t, json.Unmarshal([]byte(r.body), &st))
	require.Len(t, st.Accounts, 1)
	a := st.Accounts[0]
	assert.Equal(t, "fake-k…cdef", a.Key)
	assert.Equal(t, int64(3), a.Requests)
	assert.Equal(t, map[string]int64{"200": 2, "429": 1}, a.Status)
	assert.Equal(t, account.DimStats{Admitted: 2, Rejected: 1, Units: 2}, a.Dimensions["requests"])
	assert.Equal(t, account.DimStats{Admitted: 2, Units: 32}, a.Dimensions["output_tokens"])
	assert.Equal(t, map[string]int64{"400": 1}, st.Unkeyed)
	assert.Equal(t, int64(4), st.Requests)

	r = do(t, must(http.NewRequest(http.MethodGet, srv.URL()+"/healthz", nil)))
	assert.Equal(t, 200, r.status)
	assert.Equal(t, `{"status":"ok"}`, r.body)
	r = do(t, must(http.NewRequest(http.MethodPost, srv.URL()+"/_ratelab/stats", nil)))
	assert.Equal(t, 405, r.status)
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func TestHTTPLatencyIsServed(t *testing.T) {
	_, srv := startMock(t, func(c *account.Config) { c.Latency = 150 * time.Millisecond })
	start := time.Now()
	r := post(t, srv, "/v1/messages", hello)
	require.Equal(t, 200, r.status)
	assert.GreaterOrEqual(t, time.Since(start), 150*time.Millisecond)
}

func TestIsJSON(t *testing.T) {
	for ct, want := range map[string]bool{
		"application/json":                  true,
		"Application/JSON":                  true,
		"application/json; charset=utf-8":   true,
		"application/vnd.api+json":          true,
		"application/jsonx":                 false,
		"text/plain":                        false,
		"application/x-www-form-urlencoded": false,
		"":                                  false,
	} {
		assert.Equal(t, want, isJSON(ct), ct)
	}
}

func ptr[T any](v T) *T { return &v }

// newMock builds a mock from the default configuration changed by set (nil: none).
func newMock(t testing.TB, seed int64, set func(*account.Config)) *Mock {
	t.Helper()
	cfg := account.DefaultConfig()
	if set != nil {
		set(&cfg)
	}
	m, err := New(cfg, seed)
	if err != nil {
		t.Fatal(err)
	}
	return m
}
