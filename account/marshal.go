package account

import (
	"encoding/json"

	"go.yaml.in/yaml/v3"
)

// MarshalJSON writes the configuration as run.json records it: the field names of a --config
// file (per_minute, latency_jitter…) and durations as Go duration strings ("5s"), so the JSON
// reads back as a mock configuration file.
func (c Config) MarshalJSON() ([]byte, error) {
	b, err := yaml.Marshal(c)
	if err != nil {
		return nil, err
	}
	var tree any
	if err := yaml.Unmarshal(b, &tree); err != nil {
		return nil, err
	}
	return json.Marshal(tree)
}
