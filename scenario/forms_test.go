package scenario

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseStages(t *testing.T) {
	got, err := ParseStages("30s:5/s, 1m:20/s")
	require.NoError(t, err)
	assert.Equal(t, Stages{{Duration(30 * time.Second), "5/s"}, {Duration(time.Minute), "20/s"}}, got)
	assert.Equal(t, "30s:5/s,1m0s:20/s", got.String())

	for _, tt := range []struct{ in, want string }{
		{"", "no stages: write DURATION:RATE,… e.g. 30s:5/s,60s:20/s"},
		{"30s", `stage 1 "30s": want DURATION:RATE, e.g. 30s:5/s`},
		{"30s:5/s,x:1/s", `stage 2 "x:1/s": bad duration "x": want e.g. 30s:5/s`},
	} {
		_, err := ParseStages(tt.in)
		assert.EqualError(t, err, tt.want, tt.in)
	}
}

// TestStagesForms: the string and list forms load to the same stages, and both write the flag form.
func TestStagesForms(t *testing.T) {
	a := mustLoad(t, "mock:\nphases:\n  - probe: {stages: '30s:5/s,60s:20/s', start_rate: 2/s}\n")
	b := mustLoad(t, "mock:\nphases:\n  - probe:\n      start_rate: 2/s\n      stages:\n        - {duration: 30s, target: 5/s}\n        - {duration: 60s, target: 20/s}\n")
	assert.Equal(t, a.Phases[0].Probe.Stages, b.Phases[0].Probe.Stages)
	j, err := json.Marshal(a.Phases[0].Probe)
	require.NoError(t, err)
	assert.JSONEq(t, `{"stages":"30s:5/s,1m0s:20/s","start_rate":"2/s","max_inflight":4000,"mode":"live"}`, string(j))
}

func TestClientsForms(t *testing.T) {
	for _, tt := range []struct {
		src  string
		want Clients
	}{
		{"50", Clients{50}},
		{"[10, 50, 100]", Clients{10, 50, 100}},
		{"'10, 50,100'", Clients{10, 50, 100}},
	} {
		s := mustLoad(t, "mock:\nphases:\n  - compare: {strategies: [none], clients: "+tt.src+"}\n")
		assert.Equal(t, tt.want, s.Phases[0].Compare.Clients, tt.src)
	}
}

func TestStrategiesForms(t *testing.T) {
	s := mustLoad(t, "mock:\nphases:\n  - compare: {strategies: 'none, retry-after'}\n  - compare:\n      strategies:\n        - none\n        - name: full-jitter\n          params: {base: 0.5, cap: 30s, max-attempts: 6}\n")
	assert.Equal(t, Strategies{{Name: "none", Label: "none"}, {Name: "retry-after", Label: "retry-after"}}, s.Phases[0].Compare.Strategies)
	assert.Equal(t, Strategies{
		{Name: "none", Label: "none"},
		{Name: "full-jitter", Label: "full-jitter", Params: Params{"base": 0.5, "cap": "30s", "max-attempts": 6}},
	}, s.Phases[1].Compare.Strategies)
}

func TestDurationText(t *testing.T) {
	var d Duration
	require.NoError(t, d.UnmarshalText([]byte("1m30s")))
	assert.Equal(t, Duration(90*time.Second), d)
	b, err := d.MarshalText()
	require.NoError(t, err)
	assert.Equal(t, "1m30s", string(b))
	require.NoError(t, d.UnmarshalText([]byte("0")))
	assert.Equal(t, Duration(0), d)
	assert.EqualError(t, d.UnmarshalText([]byte("30")), `bad duration "30": want a Go duration such as 30s`)
	assert.Equal(t, 90*time.Second, Duration(90*time.Second).Std())
}
