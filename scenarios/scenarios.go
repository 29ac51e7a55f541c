// Package scenarios holds ratelab's bundled scenario files, embedded in the binary so that an
// installed ratelab can run `ratelab run quickstart` anywhere, and the load options that check
// a scenario against the mock server's configuration and the strategy table.
package scenarios

import (
	"embed"
	"fmt"
	"io/fs"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// FS holds the bundled scenario files, one <name>.yaml each.
//
//go:embed *.yaml
var FS embed.FS

// Info describes one bundled scenario.
type Info struct {
	Name        string // what `ratelab run NAME` takes
	Description string // the first line of its description
	// Live is true when it sends requests to a real API (and needs a key), false when it runs
	// against the embedded mock or in simulation.
	Live bool
}

// List returns every bundled scenario, by name.
func List() ([]Info, error) {
	names, err := fs.Glob(FS, "*.yaml")
	if err != nil {
		return nil, err
	}
	out := make([]Info, 0, len(names))
	for _, file := range names {
		data, err := FS.ReadFile(file)
		if err != nil {
			return nil, err
		}
		// Only the header is read here; Load checks the whole file.
		var head struct {
			Description string         `yaml:"description"`
			Target      map[string]any `yaml:"target"`
			Mock        *yaml.Node     `yaml:"mock"`
		}
		if err := yaml.Unmarshal(data, &head); err != nil {
			return nil, fmt.Errorf("bundled scenario %s: %w", file, err)
		}
		desc, _, _ := strings.Cut(strings.TrimSpace(head.Description), "\n")
		out = append(out, Info{
			Name:        strings.TrimSuffix(file, ".yaml"),
			Description: desc,
			Live:        head.Mock == nil && head.Target["url"] != nil,
		})
	}
	return out, nil
}

// Names returns the names of the bundled scenarios.
func Names() []string {
	files, _ := fs.Glob(FS, "*.yaml")
	for i, f := range files {
		files[i] = strings.TrimSuffix(f, ".yaml")
	}
	return files
}

// Open returns the text of the bundled scenario name ("quickstart" or "quickstart.yaml"); an
// error wrapping fs.ErrNotExist when there is none.
func Open(name string) ([]byte, error) {
	base := strings.TrimSuffix(strings.TrimSuffix(name, ".yaml"), ".yml")
	if base != "" && !strings.ContainsAny(base, `/\`) && slices.Contains(Names(), base) {
		return FS.ReadFile(base + ".yaml")
	}
	return nil, fmt.Errorf("no bundled scenario %q: %w", name, fs.ErrNotExist)
}
