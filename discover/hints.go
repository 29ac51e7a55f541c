package discover

import (
	"time"

	"github.com/ratelab/ratelab/record"
)

// retryWait is the wait a refusal names, wherever the server said it: retry-after-ms or
// Retry-After, else the error body (Gemini's RetryInfo retryDelay, OpenAI's "try again in
// 128ms"). exact reports whether it is finer than whole seconds (milliseconds or a fraction),
// so that it says when capacity returns rather than the second within which it does.
func retryWait(a *record.Attempt) (wait time.Duration, exact, ok bool) {
	switch {
	case a.HasRetryAfter && a.RetryAfter > 0:
		wait = a.RetryAfter
	case a.HasRetryHint && a.RetryHint > 0:
		wait = a.RetryHint
	default:
		return 0, false, false
	}
	return wait, wait%time.Second != 0, true
}

// exactMargin is how far around an exact wait's end awaitReopen looks for the reopening: a
// twentieth of the wait (servers round such hints to a few significant digits), at least
// 10 ms.
func exactMargin(wait time.Duration) float64 {
	return max(0.05*wait.Seconds(), 0.01)
}
