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
// pass: an event stream with the probe's reader (api.Stream), timing its first content delta
// and its last event, any other body from a bounded copy.
type bodyObserver struct {
	x        *exchange
	rc       io.ReadCloser
	received time.Time
	api      api.API
	sse      *api.Stream // nil when the answer is not an event stream of an LLM API
	// firstDelta and lastEvent are when the stream's first content delta and its last event
	// arrived (zero before).
	firstDelta, lastEvent time.Time
	gzipped               bool
	capture               []byte
	overflow              bool
	eof                   bool
	err                   error // the first read error other than EOF
}

func newBodyObserver(x *exchange, resp *http.Response) *bodyObserver {
	b := &bodyObserver{x: x, rc: resp.Body, received: time.Now(), api: x.api}
	ct := api.MediaType(resp.Header.Get("Content-Type"))
	enc := strings.ToLower(strings.TrimSpace(resp.Header.Get("Content-Encoding")))
	b.gzipped = enc == "gzip"
	if ct == "text/event-stream" && enc == "" && x.api.LLM() {
		b.sse = api.NewStream(x.api)
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
			events, deltas := b.sse.Events, b.sse.Deltas
			_, _ = b.sse.Write(p[:n])
			if b.sse.Events > events {
				now := time.Now()
				b.lastEvent = now
				if deltas == 0 && b.sse.Deltas > 0 {
					b.firstDelta = now
				}
			}
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
		return b.sse.InputTokens, b.sse.OutputTokens
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
