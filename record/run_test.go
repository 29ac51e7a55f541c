package record

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestRunStreamed(t *testing.T) {
	tests := []struct {
		name     string
		stream   bool
		scenario string
		want     bool
	}{
		{"workload streams", true, "", true},
		{"nothing streams", false, "", false},
		{"a compare phase streams", false, `{"phases":[{"probe":{"rate":"1/s"}},{"compare":{"strategies":["x"],"stream":true}}]}`, true},
		{"a compare phase turns streaming off", false, `{"phases":[{"compare":{"strategies":["x"],"stream":false}}]}`, false},
		{"scenario without phases", false, `{"name":"x"}`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := Run{Workload: Workload{Stream: tt.stream}, Scenario: json.RawMessage(tt.scenario)}
			assert.Equal(t, tt.want, r.Streamed())
		})
	}
}
