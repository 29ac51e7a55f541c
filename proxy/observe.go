package proxy

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/tidwall/gjson"

	"github.com/ratelab/ratelab/api"
)

// maxResponseCapture bounds how much of an answer that is not a stream is kept to read its
// usage from at the end; a larger answer passes unchanged and is recorded without usage.
const maxResponseCapture = 1 << 20

// bodyObserver is the upstream's answer on its way to the client. It reads usage as the bytes
// pass: an event stream line by line (sseUsage), any other body from a bounded copy.
type bodyObserver struct {
	x        *exchange
	rc       io.ReadCloser
	received time.Time
	api      api.API
	sse      *sseUsage // nil when the answer is not an event stream
	gzipped  bool
	capture  []byte
	overflow bool
	eof      bool
	err      error // the first read error other than EOF
}

func newBodyObserver(x *exchange, resp *http.Response) *bodyObserver {
	b := &bodyObserver{x: x, rc: resp.Body, received: time.Now(), api: x.api}
	ct := api.MediaType(resp.Header.Get("Content-Type"))
	enc := strings.ToLower(strings.TrimSpace(resp.Header.Get("Content-Encoding")))
	b.gzipped = enc == "gzip"
	if ct == "text/event-stream" && enc == "" {
		b.sse = &sseUsage{api: x.api}
	}
	return b
}

func (b *bodyObserver) Read(p []byte) (int, error) {
	n, err := b.rc.Read(p)
	if n > 0 {
		b.x.touch()
		switch {
		case !b.api.LLM():
		case b.sse != nil:
			b.sse.write(p[:n])
		case !b.overflow && len(b.capture)+n <= maxResponseCapture:
			b.capture = append(b.capture, p[:n]...)
		default:
			b.overflow, b.capture = true, nil
		}
	}
	switch {
	case err == io.EOF:
		b.eof = true
	case err != nil && b.err == nil:
		b.err = err
	}
	return n, err
}

func (b *bodyObserver) Close() error { return b.rc.Close() }

// usage is the answer's token usage, 0 and 0 when it is unknown.
func (b *bodyObserver) usage() (in, out int64) {
	if b.sse != nil {
		return b.sse.in, b.sse.out
	}
	if !b.eof || b.overflow || len(b.capture) == 0 {
		return 0, 0
	}
	body := b.capture
	if b.gzipped {
		zr, err := gzip.NewReader(bytes.NewReader(body))
		if err != nil {
			return 0, 0
		}
		body, err = io.ReadAll(io.LimitReader(zr, 4*maxResponseCapture))
		if err != nil {
			return 0, 0
		}
	}
	return api.Usage(b.api, body)
}

// maxSSELine bounds one line of an event stream kept for parsing; a longer line (no usage
// event is that long) is skipped.
const maxSSELine = 256 << 10

// sseUsage reads the token usage of a streamed answer incrementally, as its bytes pass: only
// the current line is held. Anthropic's message_start carries the input tokens (and a first
// output count) in message.usage, message_delta the cumulative output tokens in usage; OpenAI's
// last chunk carries usage (when the request asked for stream_options.include_usage).
type sseUsage struct {
	api     api.API
	line    []byte
	skip    bool
	in, out int64
}

func (s *sseUsage) write(p []byte) {
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			s.add(p)
			return
		}
		s.add(p[:i])
		s.lineDone()
		p = p[i+1:]
	}
}

func (s *sseUsage) add(p []byte) {
	if s.skip {
		return
	}
	if len(s.line)+len(p) > maxSSELine {
		s.skip, s.line = true, s.line[:0]
		return
	}
	s.line = append(s.line, p...)
}

func (s *sseUsage) lineDone() {
	l := bytes.TrimSuffix(s.line, []byte{'\r'})
	skip := s.skip
	s.line, s.skip = s.line[:0], false
	if skip || !bytes.HasPrefix(l, []byte("data:")) {
		return
	}
	s.data(bytes.TrimSpace(l[len("data:"):]))
}

// data reads one event's data.
func (s *sseUsage) data(d []byte) {
	if len(d) == 0 || d[0] != '{' || !gjson.ValidBytes(d) {
		return
	}
	if s.api == api.OpenAI {
		if u := gjson.GetBytes(d, "usage"); u.IsObject() {
			s.in, s.out = api.Usage(api.OpenAI, d)
		}
		return
	}
	switch gjson.GetBytes(d, "type").String() {
	case "message_start":
		in, out := api.Usage(api.Anthropic, []byte(gjson.GetBytes(d, "message").Raw))
		s.in, s.out = in, max(s.out, out)
	case "message_delta":
		in, out := api.Usage(api.Anthropic, d)
		if in > 0 {
			s.in = in
		}
		if gjson.GetBytes(d, "usage.output_tokens").Exists() {
			s.out = out
		}
	}
}

// requestFields reads the model and max_tokens (max_completion_tokens for OpenAI's newer
// models) of a request body, or its first bytes: the fields before the cut are found.
func requestFields(body []byte) (model string, maxTokens int64) {
	if len(body) == 0 {
		return "", 0
	}
	r := gjson.GetManyBytes(body, "model", "max_tokens", "max_completion_tokens")
	if r[0].Type == gjson.String {
		model = r[0].Str
		if len(model) > 200 {
			model = model[:200]
		}
	}
	for _, t := range r[1:] {
		if t.Type == gjson.Number && t.Num >= 0 && t.Num <= api.MaxUsage && t.Num == float64(int64(t.Num)) {
			return model, int64(t.Num)
		}
	}
	return model, 0
}
