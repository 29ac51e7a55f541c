package backoff

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ratelab/ratelab/internal/testcheck"
	"github.com/ratelab/ratelab/ratelimit"
)

// TestStreamErrorsFollowTheSDKs: a stream that fails after its 200 is not a success, and no
// strategy retries it unless retry-stream-errors=true; then each retries it as its own rules say.
func TestStreamErrorsFollowTheSDKs(t *testing.T) {
	now := time.Unix(1000, 0)
	failed := Outcome{Attempt: 1, Status: 200, StreamError: "overloaded_error", Limits: new(ratelimit.Snapshot), Sent: now}
	require.False(t, failed.Succeeded())
	for _, name := range Names() {
		t.Run(name, func(t *testing.T) {
			plain, err := Resolve(name)
			require.NoError(t, err)
			d := plain.NewFleet(1).Client(0).After(now, failed)
			assert.False(t, d.Retry, "%s retried a stream error by default", name)
			if name == "none" {
				return
			}
			retrying, err := Resolve(name + "(retry-stream-errors=true)")
			require.NoError(t, err)
			assert.Equal(t, true, retrying.Params()[RetryStreamErrors])
			assert.True(t, retrying.RetriesStreamErrors())
			d = retrying.NewFleet(1).Client(0).After(now, failed)
			assert.True(t, d.Retry, "%s(retry-stream-errors=true) did not retry: %s", name, d.Reason)
		})
	}
}

func TestStreamErrorsParameter(t *testing.T) {
	tests := []struct {
		spec, err string
	}{
		{"full-jitter(retry-stream-errors=maybe)", `parameter retry-stream-errors: "maybe" is not true or false`},
		{"full-jitter(retry-stream-error=true)", `did you mean "retry-stream-errors"`},
		{"none(retry-stream-errors=false)", ""},
	}
	for _, tt := range tests {
		t.Run(tt.spec, func(t *testing.T) {
			s, err := Resolve(tt.spec)
			if testcheck.Err(t, err, tt.err) {
				assert.False(t, s.RetriesStreamErrors())
			}
		})
	}
}
