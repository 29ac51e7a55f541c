package probe

import (
	"context"
	"io"
	"testing"
	"time"

	"github.com/ratelab/ratelab/api"
)

// eventReader returns one event of a 150-delta Anthropic stream per read, as a reader keeping
// up with a live stream gets them.
type eventReader struct {
	events [][]byte
	i      int
}

func newEventReader() *eventReader {
	r := &eventReader{events: [][]byte{[]byte("event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"usage\":{\"input_tokens\":32,\"output_tokens\":1}}}\n\n")}}
	for range 150 {
		r.events = append(r.events, []byte("event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"tok\"}}\n\n"))
	}
	r.events = append(r.events, []byte("event: message_delta\ndata: {\"type\":\"message_delta\",\"usage\":{\"output_tokens\":150}}\n\n"),
		[]byte("event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n"))
	return r
}

func (r *eventReader) Read(p []byte) (int, error) {
	if r.i == len(r.events) {
		return 0, io.EOF
	}
	r.i++
	return copy(p, r.events[r.i-1]), nil
}

// BenchmarkReadStream is the engine's read path per event: one read per event, its instant,
// the idle watch, and the incremental parse (api.Stream).
func BenchmarkReadStream(b *testing.B) {
	var s sender
	st := api.NewStream(api.Anthropic)
	body := newEventReader()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	b.ReportAllocs()
	for b.Loop() {
		body.i = 0
		st.Reset(api.Anthropic)
		r := s.readStream(ctx, cancel, body, st, time.Now(), time.Minute, nil)
		if r.failure != "" || st.Deltas != 150 {
			b.Fatalf("failure %q, %d deltas", r.failure, st.Deltas)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(body.events)), "ns/event")
}
