package sim

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ratelab/ratelab/account"
	"github.com/ratelab/ratelab/api"
	"github.com/ratelab/ratelab/engine"
	"github.com/ratelab/ratelab/record"
)

// TestStreamTiming: a reply takes the mock's generation time in virtual time (TTFT 100 ms, then
// a token every 10 ms: 16 tokens end at 250 ms), and each way a stream ends gives the record
// fields the live engine measures.
func TestStreamTiming(t *testing.T) {
	tests := []struct {
		name    string
		stream  bool
		api     api.API
		set     func(c *account.Config)
		failure string
		check   func(t *testing.T, a record.Attempt)
	}{
		{"complete", true, api.Anthropic, nil, "", func(t *testing.T, a record.Attempt) {
			assert.Equal(t, 22, a.StreamEvents, "3 opening events, 16 deltas, 3 closing")
			assert.Equal(t, 250*time.Millisecond, a.StreamDuration)
			assert.Equal(t, 250*time.Millisecond, a.Latency)
			assert.Equal(t, int64(16), a.OutputTokens)
		}},
		{"complete openai", true, api.OpenAI, nil, "", func(t *testing.T, a record.Attempt) {
			assert.Equal(t, 20, a.StreamEvents, "role chunk, 16 deltas, finish, usage, [DONE]")
			assert.Equal(t, int64(16), a.OutputTokens)
		}},
		{"overloaded", true, api.Anthropic, func(c *account.Config) { c.StreamErrorRate = 1 }, "overloaded_error", func(t *testing.T, a record.Attempt) {
			k := int64(a.StreamEvents - 4)
			assert.Equal(t, time.Duration(100+(k-1)*10)*time.Millisecond, a.StreamDuration)
			assert.Equal(t, int64(1), a.OutputTokens, "message_start's usage")
		}},
		{"openai error chunk", true, api.OpenAI, func(c *account.Config) { c.StreamErrorRate = 1 }, "server_error", func(t *testing.T, a record.Attempt) {
			assert.Zero(t, a.OutputTokens, "a cut openai stream reports no usage")
		}},
		{"closed", true, api.Anthropic, func(c *account.Config) { c.StreamCloseRate = 1 }, api.StreamClosed, func(t *testing.T, a record.Attempt) {
			k := int64(a.StreamEvents - 3)
			assert.Equal(t, time.Duration(100+(k-1)*10)*time.Millisecond, a.StreamDuration)
			assert.Equal(t, a.StreamDuration, a.Latency)
		}},
		{"stalled until the idle timeout", true, api.Anthropic, func(c *account.Config) { c.StreamStallRate = 1 }, api.StreamStalled, func(t *testing.T, a record.Attempt) {
			assert.Equal(t, a.StreamDuration+300*time.Millisecond, a.Latency)
		}},
		{"short stall shifts the rest", true, api.Anthropic, func(c *account.Config) { c.StreamStallRate, c.StreamStall = 1, 50*time.Millisecond }, "", func(t *testing.T, a record.Attempt) {
			assert.Equal(t, 300*time.Millisecond, a.StreamDuration)
		}},
		{"not streamed: the body at the last token", false, api.Anthropic, nil, "", func(t *testing.T, a record.Attempt) {
			assert.False(t, a.Stream)
			assert.Equal(t, 250*time.Millisecond, a.Latency)
			assert.Equal(t, int64(16), a.OutputTokens)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := bucketConfig(600, 0, "")
			cfg.TTFT, cfg.OutputTPS = 100*time.Millisecond, 100
			if tt.set != nil {
				tt.set(&cfg)
			}
			m, err := account.New(cfg, 1)
			require.NoError(t, err)
			var buf bytes.Buffer
			req := anthropicRequests
			req.API, req.Stream = tt.api, tt.stream
			w := record.NewWriter(&buf)
			r, err := New(Options{Requests: req, Ledger: m, Records: w, Key: "k", Seed: 1, StreamIdle: 300 * time.Millisecond})
			require.NoError(t, err)
			_, err = r.Closed(context.Background(), engine.ClosedPhase{Label: "s", Clients: 1, Requests: 1})
			require.NoError(t, err)
			require.NoError(t, w.Flush())
			var recs []record.Attempt
			require.NoError(t, record.Scan(&buf, func(a *record.Attempt) error { recs = append(recs, *a); return nil }))
			require.Len(t, recs, 1)
			a := recs[0]
			assert.Equal(t, 200, a.Status)
			if tt.stream {
				assert.True(t, a.Stream)
				assert.Equal(t, tt.failure, a.StreamError)
				if a.StreamEvents > 4 || tt.failure == "" {
					require.True(t, a.HasTTFT)
					assert.Equal(t, 100*time.Millisecond, a.TTFT)
				}
			}
			tt.check(t, a)
		})
	}
}
