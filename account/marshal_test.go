package account

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestConfigJSON: the JSON form uses the configuration file's field names and reads back as one.
func TestConfigJSON(t *testing.T) {
	c := DefaultConfig()
	c.Window = 5 * time.Second
	c.Latency = 20 * time.Millisecond
	b, err := json.Marshal(c)
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal(b, &m))
	assert.Equal(t, "5s", m["window"])
	assert.Equal(t, "20ms", m["latency"])
	assert.Equal(t, 50.0, m["limits"].(map[string]any)["requests"].(map[string]any)["per_minute"])
}
