package mockserver

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/ratelab/ratelab/account"
)

// sseEvent is one server-sent event with the instant it was read.
type sseEvent struct {
	name string
	data string
	at   time.Duration // since the request was sent
}

// readSSE reads every event of a stream; err is what ended the body (nil at a clean end).
func readSSE(body io.Reader, sent time.Time) (evs []sseEvent, err error) {
	br := bufio.NewReader(body)
	var ev sseEvent
	for {
		line, rerr := br.ReadString('\n')
		if rerr != nil {
			if rerr == io.EOF {
				rerr = nil
			}
			return evs, rerr
		}
		line = strings.TrimRight(line, "\r\n")
		switch {
		case line == "":
			if ev.data != "" {
				ev.at = time.Since(sent)
				evs = append(evs, ev)
			}
			ev = sseEvent{}
		case strings.HasPrefix(line, "event: "):
			ev.name = line[len("event: "):]
		case strings.HasPrefix(line, "data: "):
			ev.data = line[len("data: "):]
		}
	}
}

// openStream posts a streamed request and returns the response (the caller reads the body).
func openStream(t *testing.T, ctx context.Context, srv *Server, path, body string) (*http.Response, time.Time) {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL()+path, strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("x-api-key", "k")
	req.Header.Set("Authorization", "Bearer k")
	sent := time.Now()
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	t.Cleanup(func() { res.Body.Close() })
	return res, sent
}

const streamHello = `{"model":"claude-sonnet-4-5","max_tokens":10,"stream":true,"messages":[{"role":"user","content":"hello there"}]}`

func TestStreamAnthropicEvents(t *testing.T) {
	_, srv := startMock(t, func(c *account.Config) {
		c.TTFT, c.OutputTPS = 100*time.Millisecond, 100
	})
	res, sent := openStream(t, context.Background(), srv, "/v1/messages", streamHello)
	require.Equal(t, 200, res.StatusCode)
	assert.Equal(t, "text/event-stream; charset=utf-8", res.Header.Get("Content-Type"))
	assert.Equal(t, "50", res.Header.Get("anthropic-ratelimit-requests-limit"))
	assert.Equal(t, "49", res.Header.Get("anthropic-ratelimit-requests-remaining"))
	assert.Equal(t, "8000", res.Header.Get("anthropic-ratelimit-output-tokens-remaining"), "output is charged as generated, not at admission")
	assert.Regexp(t, `^req_01`, res.Header.Get("request-id"))
	evs, err := readSSE(res.Body, sent)
	require.NoError(t, err)
	var names []string
	var text strings.Builder
	for _, ev := range evs {
		names = append(names, ev.name)
		var d struct {
			Type  string `json:"type"`
			Delta struct {
				Type string `json:"type"`
				Text string `json:"text"`
			} `json:"delta"`
		}
		require.NoError(t, json.Unmarshal([]byte(ev.data), &d), ev.data)
		assert.Equal(t, ev.name, d.Type, "the event name is the data's type")
		if ev.name == "content_block_delta" {
			assert.Equal(t, "text_delta", d.Delta.Type)
			text.WriteString(d.Delta.Text)
		}
	}
	want := []string{"message_start", "content_block_start", "ping"}
	for range 10 {
		want = append(want, "content_block_delta")
	}
	want = append(want, "content_block_stop", "message_delta", "message_stop")
	assert.Equal(t, want, names)
	assert.Equal(t, string(appendReply(nil, 10)), text.String())
	assert.Contains(t, evs[0].data, `"usage":{"input_tokens":3,`)
	assert.Contains(t, evs[len(evs)-2].data, `"stop_reason":"max_tokens"`)
	assert.Contains(t, evs[len(evs)-2].data, `"output_tokens":10}`)
	// first delta after the TTFT, the last 9 intervals of 10 ms later (never earlier; a busy
	// client may read them later)
	assert.GreaterOrEqual(t, evs[3].at, 100*time.Millisecond)
	assert.GreaterOrEqual(t, evs[12].at, 190*time.Millisecond)
}

func TestStreamChatChunks(t *testing.T) {
	tests := []struct {
		name  string
		usage bool
	}{
		{"include_usage", true},
		{"no usage", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, srv := startMock(t, nil)
			body := `{"model":"gpt-4o-mini","max_tokens":40,"stream":true,` +
				map[bool]string{true: `"stream_options":{"include_usage":true},`, false: ``}[tc.usage] +
				`"messages":[{"role":"user","content":"hello there"}]}`
			res, sent := openStream(t, context.Background(), srv, "/v1/chat/completions", body)
			require.Equal(t, 200, res.StatusCode)
			assert.Equal(t, "text/event-stream; charset=utf-8", res.Header.Get("Content-Type"))
			assert.NotEmpty(t, res.Header.Get("x-ratelimit-remaining-requests"))
			evs, err := readSSE(res.Body, sent)
			require.NoError(t, err)
			require.Equal(t, "[DONE]", evs[len(evs)-1].data)
			ids := map[string]bool{}
			var text strings.Builder
			usages, finish := 0, ""
			for i, ev := range evs[:len(evs)-1] {
				assert.Empty(t, ev.name)
				var c struct {
					ID      string         `json:"id"`
					Object  string         `json:"object"`
					Usage   map[string]any `json:"usage"`
					Choices []struct {
						Delta        map[string]any `json:"delta"`
						FinishReason *string        `json:"finish_reason"`
					} `json:"choices"`
				}
				require.NoError(t, json.Unmarshal([]byte(ev.data), &c))
				assert.Equal(t, "chat.completion.chunk", c.Object)
				ids[c.ID] = true
				assert.Equal(t, tc.usage, strings.Contains(ev.data, `"usage":`), "usage key only with include_usage")
				if c.Usage != nil {
					usages++
					assert.Empty(t, c.Choices, "the usage chunk has no choices")
					assert.Equal(t, len(evs)-2, i, "the usage chunk is last")
					assert.Equal(t, 40.0, c.Usage["completion_tokens"])
					assert.Equal(t, 3.0, c.Usage["prompt_tokens"])
				}
				for _, ch := range c.Choices {
					if s, ok := ch.Delta["content"].(string); ok {
						text.WriteString(s)
					}
					if ch.FinishReason != nil {
						finish = *ch.FinishReason
					}
				}
			}
			assert.Len(t, ids, 1, "one id for every chunk")
			assert.Equal(t, string(appendReply(nil, 40)), text.String())
			assert.Equal(t, "length", finish)
			assert.Equal(t, map[bool]int{true: 1, false: 0}[tc.usage], usages)
		})
	}
}

// TestStreamRefusalsAreJSON: bad input and a 429 are answered as without "stream", before any
// event.
func TestStreamRefusalsAreJSON(t *testing.T) {
	_, srv := startMock(t, func(c *account.Config) { c.Limits.Requests.PerMinute = 1 })
	tests := []struct {
		name, path, body string
		status           int
		contains         string
	}{
		{"anthropic missing max_tokens", "/v1/messages", `{"model":"m","stream":true,"messages":[{"role":"user","content":"x"}]}`, 400, `"message":"max_tokens: Field required"`},
		{"chat bad stream_options", "/v1/chat/completions", `{"model":"m","stream":true,"stream_options":7,"messages":[{"role":"user","content":"x"}]}`, 400, `"param":"stream_options"`},
		{"anthropic admitted", "/v1/messages", streamHello, 200, "event: message_stop"},
		{"anthropic over the limit", "/v1/messages", streamHello, 429, `"type":"rate_limit_error"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := post(t, srv, tc.path, tc.body, "x-api-key: k", "Authorization: Bearer k")
			assert.Equal(t, tc.status, r.status)
			assert.Contains(t, r.body, tc.contains)
			if tc.status != 200 {
				assert.Equal(t, "application/json", r.header.Get("Content-Type"))
			}
		})
	}
}

// TestStreamFaults: each fault reaches the client as the providers' would, after some output,
// and only the output sent is charged.
func TestStreamFaults(t *testing.T) {
	tests := []struct {
		name    string
		path    string
		set     func(*account.Config)
		timeout time.Duration // the client's patience
		check   func(t *testing.T, evs []sseEvent, err error)
	}{
		{"anthropic overloaded", "/v1/messages", func(c *account.Config) { c.StreamErrorRate = 1 }, 0, func(t *testing.T, evs []sseEvent, err error) {
			require.NoError(t, err, "the body ends cleanly after the error event")
			last := evs[len(evs)-1]
			assert.Equal(t, "error", last.name)
			assert.JSONEq(t, `{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}`, last.data)
			assert.Equal(t, "content_block_delta", evs[len(evs)-2].name, "after some deltas")
		}},
		{"chat overloaded", "/v1/chat/completions", func(c *account.Config) { c.StreamErrorRate = 1 }, 0, func(t *testing.T, evs []sseEvent, err error) {
			require.NoError(t, err)
			assert.Equal(t, "[DONE]", evs[len(evs)-1].data)
			assert.Contains(t, evs[len(evs)-2].data, `{"error":{"message":`)
			assert.Contains(t, evs[len(evs)-2].data, `"type":"server_error"`)
		}},
		{"closed", "/v1/messages", func(c *account.Config) { c.StreamCloseRate = 1 }, 0, func(t *testing.T, evs []sseEvent, err error) {
			require.ErrorIs(t, err, io.ErrUnexpectedEOF, "the body is cut off")
			assert.Equal(t, "content_block_delta", evs[len(evs)-1].name)
		}},
		{"stalled until the client gives up", "/v1/messages", func(c *account.Config) { c.StreamStallRate = 1 }, 300 * time.Millisecond, func(t *testing.T, evs []sseEvent, err error) {
			require.ErrorIs(t, err, context.DeadlineExceeded)
			assert.Equal(t, "content_block_delta", evs[len(evs)-1].name)
		}},
		{"stalled for a while", "/v1/messages", func(c *account.Config) { c.StreamStallRate, c.StreamStall = 1, 200*time.Millisecond }, 0, func(t *testing.T, evs []sseEvent, err error) {
			require.NoError(t, err)
			assert.Equal(t, "message_stop", evs[len(evs)-1].name)
			var gap time.Duration
			for i := 1; i < len(evs); i++ {
				gap = max(gap, evs[i].at-evs[i-1].at)
			}
			assert.GreaterOrEqual(t, gap, 200*time.Millisecond)
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, srv := startMock(t, func(c *account.Config) {
				c.OutputTPS = 200
				tc.set(c)
			})
			ctx := context.Background()
			if tc.timeout > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tc.timeout)
				defer cancel()
			}
			body := strings.Replace(streamHello, `"max_tokens":10`, `"max_tokens":20`, 1)
			if strings.Contains(tc.path, "chat") {
				body = strings.Replace(body, `"stream":true`, `"stream":true,"stream_options":{"include_usage":true}`, 1)
			}
			res, sent := openStream(t, ctx, srv, tc.path, body)
			require.Equal(t, 200, res.StatusCode)
			evs, err := readSSE(res.Body, sent)
			tc.check(t, evs, err)
			deltas := 0
			for _, ev := range evs {
				if ev.name == "content_block_delta" || strings.Contains(ev.data, `"delta":{"content"`) {
					deltas++
				}
			}
			assert.GreaterOrEqual(t, deltas, 1)
			// the ledger is charged the tokens sent, one a delta, by the time the handler ends
			require.Eventually(t, func() bool {
				st, _ := m.Ledger().AccountStats("k")
				return st.Dimensions["output_tokens"].Units == int64(deltas) || tc.name == "stalled for a while" && st.Dimensions["output_tokens"].Units == 20
			}, 2*time.Second, 5*time.Millisecond)
			// GET /_ratelab/stats counts the stream and its fault
			st := m.Stats().Streams
			require.NotNil(t, st)
			assert.Equal(t, int64(1), st.Started)
			var faults int64
			for _, n := range st.Faults {
				faults += n
			}
			assert.Equal(t, int64(1), faults, "%v", st.Faults)
			if tc.name == "stalled for a while" {
				assert.Equal(t, int64(1), st.Completed)
			}
		})
	}
}

// TestStreamClientLeavingEndsTheHandler: a client that goes away mid-stream ends its handler at
// once (no goroutine outlives its request) and is charged only the tokens it was sent.
func TestStreamClientLeavingEndsTheHandler(t *testing.T) {
	m, srv := startMock(t, func(c *account.Config) { c.OutputTPS = 50 })
	// the server's own goroutines stay until the test ends: one request first, so that its
	// accept loop runs
	warm := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	res, err := warm.Get(srv.URL() + "/healthz")
	require.NoError(t, err)
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	leak := goleak.IgnoreCurrent()
	before := m.served.Load()
	ctx, cancel := context.WithCancel(context.Background())
	body := strings.Replace(streamHello, `"max_tokens":10`, `"max_tokens":1000`, 1)
	res, _ = openStream(t, ctx, srv, "/v1/messages", body)
	require.Equal(t, 200, res.StatusCode)
	br := bufio.NewReader(res.Body)
	deltas := 0
	for deltas < 3 {
		line, err := br.ReadString('\n')
		require.NoError(t, err)
		if strings.HasPrefix(line, "event: content_block_delta") {
			deltas++
		}
	}
	cancel()
	res.Body.Close()
	assert.Equal(t, before+1, m.served.Load())
	// the handler, its connection and the client's are gone
	err = goleak.Find(leak)
	for deadline := time.Now().Add(5 * time.Second); err != nil && time.Now().Before(deadline); err = goleak.Find(leak) {
		time.Sleep(50 * time.Millisecond) // a loaded machine may take a while to run the handler's exit
	}
	require.NoError(t, err)
	// charged what was sent by the time the client left (the client read 3; the server may have
	// sent a few more meanwhile), not the 1,000 tokens asked for
	st, _ := m.Ledger().AccountStats("k")
	assert.GreaterOrEqual(t, st.Dimensions["output_tokens"].Units, int64(3))
	assert.Less(t, st.Dimensions["output_tokens"].Units, int64(100))
	assert.Equal(t, &account.StreamStats{Started: 1, ClientGone: 1, Faults: map[string]int64{"overloaded_error": 0, "closed": 0, "stalled": 0}}, m.Stats().Streams)
}
