package backoff

import (
	"fmt"
	"strconv"
	"time"
)

// RetryStreamErrors is the parameter every strategy takes besides its own: true retries an
// attempt whose streamed 2xx response failed mid-way (an error event, a cut or stalled stream),
// which the official SDKs never do (anthropic-sdk-go, openai-go, their Python and TypeScript
// siblings only retry before the status arrives). Default false, as the SDKs.
const RetryStreamErrors = "retry-stream-errors"

// retryStreamDoc is the parameter's line in --list.
const retryStreamDoc = RetryStreamErrors + "=false (every strategy) retry a stream that fails after its 2xx status; the official SDKs do not"

// streamArg takes the retry-stream-errors argument out of args: its value, the other arguments.
func streamArg(strategy string, args []Arg) (retry bool, rest []Arg, err error) {
	for _, a := range args {
		if a.Name != RetryStreamErrors {
			rest = append(rest, a)
			continue
		}
		if retry, err = strconv.ParseBool(a.Value); err != nil {
			return false, nil, fmt.Errorf("strategy %s: parameter %s: %q is not true or false", strategy, RetryStreamErrors, a.Value)
		}
	}
	return retry, rest, nil
}

// streamRetryFleet gives its clients' policies stream failures as retryable outcomes.
type streamRetryFleet struct{ Fleet }

// Client wraps the client's policy.
func (f streamRetryFleet) Client(i int) Policy { return streamRetryPolicy{f.Fleet.Client(i)} }

type streamRetryPolicy struct{ Policy }

// After marks a stream failure retryable before the strategy decides.
func (p streamRetryPolicy) After(now time.Time, o Outcome) Decision {
	o.retryStream = true
	return p.Policy.After(now, o)
}
