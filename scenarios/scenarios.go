// Package scenarios holds ratelab's bundled scenario files, embedded in the binary so that an
// installed ratelab can run `ratelab run quickstart` anywhere, and the load options that check
// a scenario against the mock server's configuration and the strategy table.
package scenarios

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"slices"
	"strings"

	"github.com/ratelab/ratelab/internal/strictyaml"
	"github.com/ratelab/ratelab/internal/suggest"
	"github.com/ratelab/ratelab/scenario"
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

// Open returns the text of the bundled scenario name ("quickstart" or "quickstart.yaml").
func Open(name string) ([]byte, error) {
	base := strings.TrimSuffix(strings.TrimSuffix(name, ".yaml"), ".yml")
	if base != "" && !strings.ContainsAny(base, `/\`) && slices.Contains(Names(), base) {
		return FS.ReadFile(base + ".yaml")
	}
	return nil, notFound(name)
}

// notFound is the problem of a scenario argument that is neither a file nor a bundled name.
func notFound(arg string) error {
	msg := fmt.Sprintf("no scenario file %q and no bundled scenario of that name; bundled: %s (see ratelab scenarios)",
		arg, strings.Join(Names(), ", "))
	if c := suggest.Closest(arg, Names()); c != "" {
		msg = fmt.Sprintf("no scenario file %q and no bundled scenario of that name; did you mean %q? (see ratelab scenarios)", arg, c)
	}
	return &strictyaml.Error{Problems: []strictyaml.Problem{{Msg: msg}}}
}

// Read resolves the SCENARIO argument of `ratelab run`: a scenario file when a regular file of
// that name exists or the argument looks like a path (has a directory or a .yaml/.yml suffix),
// else a bundled scenario. It returns the name problems should use and the text. A missing
// scenario is an *strictyaml.Error, so the CLI exits 2.
func Read(arg string) (file string, data []byte, err error) {
	if st, statErr := os.Stat(arg); statErr == nil && st.Mode().IsRegular() {
		data, err = os.ReadFile(arg)
		return arg, data, err
	}
	if data, err := Open(arg); err == nil {
		return strings.TrimSuffix(path.Base(arg), ".yaml") + ".yaml", data, nil
	}
	if strings.ContainsAny(arg, `/\`) || strings.HasSuffix(arg, ".yaml") || strings.HasSuffix(arg, ".yml") {
		_, statErr := os.Stat(arg)
		if errors.Is(statErr, fs.ErrNotExist) {
			return "", nil, &strictyaml.Error{Problems: []strictyaml.Problem{{File: arg, Msg: "no such scenario file"}}}
		}
		return "", nil, &strictyaml.Error{Problems: []strictyaml.Problem{{File: arg, Msg: "not a readable scenario file"}}}
	}
	return "", nil, notFound(arg)
}

// Load reads the SCENARIO argument (see Read) and loads it with Options.
func Load(arg string) (*scenario.Scenario, error) {
	file, data, err := Read(arg)
	if err != nil {
		return nil, err
	}
	return scenario.Load(file, data, Options())
}
