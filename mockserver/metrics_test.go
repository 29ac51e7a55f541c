package mockserver

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ratelab/ratelab/account"
	"github.com/ratelab/ratelab/metrics"
)

// TestMetrics sends three requests to a bucket of two and reads /metrics: two admissions and one
// refusal on requests under the key's digest, the tokens charged, the remaining quota, and the
// latency histogram's count.
func TestMetrics(t *testing.T) {
	m, srv := startMock(t, func(c *account.Config) {
		c.Limits.Requests = account.Limit{PerMinute: 1, Burst: ptr(int64(2))}
		c.OutputTokens = 10
	})
	m.SetMetrics(metrics.NewMock())
	for range 3 {
		post(t, srv, "/v1/messages", hello, "x-api-key: sk-metrics")
	}
	res, err := http.Get(srv.URL() + "/metrics")
	require.NoError(t, err)
	defer res.Body.Close()
	require.Equal(t, 200, res.StatusCode)
	assert.Contains(t, res.Header.Get("Content-Type"), "text/plain")

	k := metrics.HashKey("sk-metrics")
	want := `
# HELP ratelab_mock_admitted_total Requests admitted, per rate-limit dimension and hashed API key.
# TYPE ratelab_mock_admitted_total counter
ratelab_mock_admitted_total{dimension="input_tokens",key="` + k + `"} 2
ratelab_mock_admitted_total{dimension="output_tokens",key="` + k + `"} 2
ratelab_mock_admitted_total{dimension="requests",key="` + k + `"} 2
# HELP ratelab_mock_refused_total Requests refused with 429, per dimension that refused and hashed API key.
# TYPE ratelab_mock_refused_total counter
ratelab_mock_refused_total{dimension="requests",key="` + k + `"} 1
`
	reg := m.Metrics().Registry()
	require.NoError(t, testutil.GatherAndCompare(reg, strings.NewReader(want), "ratelab_mock_admitted_total", "ratelab_mock_refused_total"))
	body, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	for _, line := range []string{
		`ratelab_mock_remaining{dimension="requests",key="` + k + `"} 0`,
		`ratelab_mock_tokens_total{dimension="output_tokens"} 20`,
		`ratelab_mock_request_duration_seconds_count{endpoint="messages",status="429"} 1`,
	} {
		assert.Contains(t, string(body), line+"\n")
	}
	n, err := testutil.GatherAndCount(reg, "ratelab_mock_request_duration_seconds")
	require.NoError(t, err)
	assert.Equal(t, 2, n, "one histogram per endpoint and status: 200 and 429")
	assert.NotContains(t, k, "sk-metrics")
	assert.Len(t, k, 16)
}
