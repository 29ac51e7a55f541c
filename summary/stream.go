package summary

import (
	"bytes"
	"encoding/json"
)

// Streamed is a figure of a run that streamed: absent from summary.json when nothing was
// streamed (so runs without streams keep their bytes), null when streams gave no value, the
// value otherwise.
type Streamed[T any] struct {
	On bool // the run streamed: the key is written
	V  *T   // nil: null
}

// StreamedOf returns a written figure: v, or null when v is nil.
func StreamedOf[T any](v *T) Streamed[T] { return Streamed[T]{On: true, V: v} }

// IsZero reports whether the figure is left out (omitzero).
func (s Streamed[T]) IsZero() bool { return !s.On }

// MarshalJSON writes the value or null.
func (s Streamed[T]) MarshalJSON() ([]byte, error) { return json.Marshal(s.V) }

// UnmarshalJSON reads the value or null; either way the figure was written.
func (s *Streamed[T]) UnmarshalJSON(b []byte) error {
	s.On, s.V = true, nil
	if bytes.Equal(bytes.TrimSpace(b), []byte("null")) {
		return nil
	}
	s.V = new(T)
	return json.Unmarshal(b, s.V)
}

// Quantiles is a distribution in seconds (or per second): nearest-rank p50, p95, p99.
type Quantiles struct {
	P50 float64 `json:"p50"`
	P95 float64 `json:"p95"`
	P99 float64 `json:"p99"`
}

// Streaming describes the streamed attempts of a run (summary.json "streaming", absent when
// nothing was streamed). Times are seconds; rates output tokens per second.
type Streaming struct {
	// Streams counts the streamed attempts that got a 2xx status; Completed those whose stream
	// reached its final event; Failed those that broke off after the status (StreamErrors by kind).
	Streams   int64 `json:"streams"`
	Completed int64 `json:"completed"`
	Failed    int64 `json:"failed"`
	// TTFT is send to the first content delta, over the streams that had one;
	// TTFTFromScheduled counts from when the attempt was due (what a user waiting on an open
	// schedule sees, including any lateness of the sender).
	TTFT              *Quantiles `json:"ttft_seconds"`
	TTFTFromScheduled *Quantiles `json:"ttft_from_scheduled_seconds"`
	// InterTokenLatency is (last event − first delta) / (output tokens − 1) of completed streams.
	InterTokenLatency *Quantiles `json:"inter_token_latency_seconds"`
	// Generation is send to the last event of completed streams: how long a request holds its
	// slot (what concurrency and Little's law are made of).
	Generation *Quantiles `json:"generation_seconds"`
	// OutputTPS is the median per-request decode rate, from the first token: (output tokens − 1)
	// / (last event − first delta), as Artificial Analysis and the mock's --output-tps define it.
	// OutputTPSFromSend is the median of output tokens / (send to last event), as llmperf,
	// GuideLLM and genai-perf define it.
	OutputTPS         *float64 `json:"output_tokens_per_second"`
	OutputTPSFromSend *float64 `json:"output_tokens_per_second_from_send"`
	// AggregateOutputTPS is the output tokens of every streamed 2xx attempt over the span from
	// the first send to the last event.
	AggregateOutputTPS *float64 `json:"aggregate_output_tokens_per_second"`
	// MeanOutputTokens is the mean output tokens of a completed stream (null when none).
	MeanOutputTokens *float64 `json:"mean_output_tokens"`
	// Failures counts the streams that failed after their status, by kind, most frequent first.
	Failures []StreamFailure `json:"failures"`
}

// StreamFailure counts the streams that failed one way (record stream_error).
type StreamFailure struct {
	Kind  string `json:"kind"`
	Count int64  `json:"count"`
}
