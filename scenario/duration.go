package scenario

import (
	"fmt"
	"time"

	"github.com/ratelab/ratelab/internal/strictyaml"
	"go.yaml.in/yaml/v3"
)

// Duration is a time.Duration written as a Go duration string ("30s", "1m30s", "250ms") in
// YAML and JSON.
type Duration time.Duration

// Std returns the duration as a time.Duration.
func (x Duration) Std() time.Duration { return time.Duration(x) }

// String returns the Go duration form, e.g. "1m30s".
func (x Duration) String() string { return time.Duration(x).String() }

// MarshalText writes the Go duration form.
func (x Duration) MarshalText() ([]byte, error) { return []byte(x.String()), nil }

// UnmarshalText reads a Go duration.
func (x *Duration) UnmarshalText(b []byte) error {
	if string(b) == "0" {
		*x = 0
		return nil
	}
	d, err := time.ParseDuration(string(b))
	if err != nil {
		return fmt.Errorf("bad duration %q: want a Go duration such as 30s", b)
	}
	*x = Duration(d)
	return nil
}

func (x *Duration) DecodeYAML(d *strictyaml.Decoder, n *yaml.Node, path string) {
	if strictyaml.IsNull(n) {
		return
	}
	if v, ok := d.Duration(n, path); ok {
		*x = Duration(v)
	}
}
