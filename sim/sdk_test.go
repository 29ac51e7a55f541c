package sim

import (
	"bytes"
	"context"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/anthropics/anthropic-sdk-go"
	"github.com/anthropics/anthropic-sdk-go/option"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ratelab/ratelab/account"
	"github.com/ratelab/ratelab/engine"
	"github.com/ratelab/ratelab/internal/testutil"
)

// sdkAttempts sends one Messages request with the official Go SDK (github.com/anthropics/
// anthropic-sdk-go, default retry options) to a fresh embedded mock of cfg on 127.0.0.1, after
// one request that spends the budget, and returns when each of the SDK's attempts started.
func sdkAttempts(t *testing.T, cfg account.Config) []time.Time {
	t.Helper()
	srv := testutil.StartMock(t, cfg)

	var mu sync.Mutex
	var starts []time.Time
	c := anthropic.NewClient(option.WithBaseURL(srv.URL()), option.WithAPIKey("sdk-test-key"),
		option.WithMiddleware(func(req *http.Request, next option.MiddlewareNext) (*http.Response, error) {
			mu.Lock()
			starts = append(starts, time.Now())
			mu.Unlock()
			return next(req)
		}))
	params := anthropic.MessageNewParams{Model: "claude-sonnet-4-5", MaxTokens: 16,
		Messages: []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("hello"))}}
	ctx := context.Background()
	_, err := c.Messages.New(ctx, params, option.WithMaxRetries(0))
	require.NoError(t, err, "the request that spends the budget")
	starts = nil
	_, _ = c.Messages.New(ctx, params) // fails with 429 once its retries are spent, or succeeds
	mu.Lock()
	defer mu.Unlock()
	return starts
}

// emulatedAttempts runs the same two requests in virtual time under the anthropic-sdk strategy
// and returns when each attempt of the second was sent.
func emulatedAttempts(t *testing.T, cfg account.Config, seed int64) []time.Duration {
	t.Helper()
	var buf bytes.Buffer
	r := newRunner(t, cfg, &buf, seed)
	ctx := context.Background()
	_, err := r.Closed(ctx, engine.ClosedPhase{Label: "spend", Clients: 1, Requests: 1})
	require.NoError(t, err)
	_, err = r.Closed(ctx, engine.ClosedPhase{Label: "sdk", Clients: 1, Requests: 1, Fleet: fleet(t, "anthropic-sdk", seed)})
	require.NoError(t, err)
	require.NoError(t, r.Close())
	var out []time.Duration
	for _, a := range records(t, &buf) {
		if a.Run == "sdk" {
			out = append(out, a.Sent)
		}
	}
	return out
}

// waits returns the pauses between consecutive attempt starts.
func waits[T time.Time | time.Duration](starts []T, sub func(a, b T) time.Duration) []time.Duration {
	var out []time.Duration
	for i := 1; i < len(starts); i++ {
		out = append(out, sub(starts[i], starts[i-1]))
	}
	return out
}

// TestAnthropicSDKSchedule: the anthropic-sdk strategy makes the attempts the real Go SDK makes,
// waiting what it waits, against the mock with a spent budget:
//
//   - without retry-after (headers off, x-should-retry: true): three attempts, the n-th retry
//     after min(8 s, 0.5 s·2ⁿ)·(1 − U/4), i.e. in (375, 500] ms and then (750, 1000] ms;
//   - with Anthropic's retry-after (whole seconds): the SDK waits exactly that, and the refilled
//     bucket admits the second attempt.
//
// The SDK's observed waits also hold the response time and the scheduler's delay on a loaded
// machine: they may exceed the range by up to slack, never fall below it.
func TestAnthropicSDKSchedule(t *testing.T) {
	if testing.Short() {
		t.Skip("real time: about three seconds")
	}
	const slack = 150 * time.Millisecond
	type window struct{ lo, hi time.Duration } // (lo, hi]
	tests := []struct {
		name  string
		cfg   account.Config
		waits []window
	}{
		{"backoff without retry-after", bucketConfig(1, 1, "none"),
			[]window{{375 * time.Millisecond, 500 * time.Millisecond}, {750 * time.Millisecond, time.Second}}},
		{"retry-after honoured", bucketConfig(60, 1, "anthropic"),
			[]window{{time.Second - time.Nanosecond, time.Second}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			real := waits(sdkAttempts(t, tt.cfg), time.Time.Sub)
			require.Len(t, real, len(tt.waits), "the SDK's retries")
			t.Logf("the SDK waited %v", real)
			for i, w := range tt.waits {
				assert.Greater(t, real[i], w.lo, "SDK retry %d", i+1)
				assert.LessOrEqual(t, real[i], w.hi+slack, "SDK retry %d", i+1)
			}
			for seed := int64(1); seed <= 20; seed++ {
				emu := waits(emulatedAttempts(t, tt.cfg, seed), func(a, b time.Duration) time.Duration { return a - b })
				require.Len(t, emu, len(real), "seed %d: the emulation makes as many attempts as the SDK", seed)
				for i, w := range tt.waits {
					assert.Greater(t, emu[i], w.lo, "seed %d, emulated retry %d", seed, i+1)
					assert.LessOrEqual(t, emu[i], w.hi, "seed %d, emulated retry %d", seed, i+1)
				}
			}
		})
	}
}
