package summary

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func fp(v float64) *float64 { return &v }

func TestAgreements(t *testing.T) {
	s := &Summary{Strategies: []Strategy{
		{Name: "none", Mode: "live", Clients: 10, Attempts: 100, MakespanSeconds: fp(20)},
		{Name: "none", Mode: "sim", Clients: 10, Attempts: 110, MakespanSeconds: fp(19)},
		{Name: "none", Mode: "sim", Clients: 50, Attempts: 500}, // no live entry at 50 clients
		{Name: "aimd", Mode: "live", Clients: 10, Attempts: 0},
		{Name: "aimd", Mode: "sim", Clients: 10, Attempts: 3},
	}}
	got := Agreements(s)
	require.Len(t, got, 2)
	assert.Equal(t, Agreement{Name: "none", Clients: 10, LiveAttempts: 100, SimAttempts: 110, AttemptsDiff: 0.1,
		LiveMakespan: 20, SimMakespan: 19, MakespanDiff: 0.05, HasMakespan: true}, got[0])
	assert.True(t, math.IsInf(got[1].AttemptsDiff, 1), "sim attempts where live had none")
	assert.False(t, got[1].HasMakespan)
	assert.Equal(t, 0.0, RelDiff(0, 0))
}

func TestThresholdLines(t *testing.T) {
	s := &Summary{Thresholds: []Threshold{
		{Path: "expect.dropped", Subject: "dropped attempts", Passed: true, Detail: "0, want == 0"},
		{Path: "expect.binding", Subject: "binding constraint", Detail: "requests, want output_tokens"},
	}}
	assert.Equal(t, "ok   dropped attempts: 0, want == 0", s.Thresholds[0].String())
	assert.Equal(t, []string{"FAIL binding constraint: requests, want output_tokens"}, Failed(s))
	assert.Nil(t, Failed(nil))
}
