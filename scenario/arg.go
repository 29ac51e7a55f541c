package scenario

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"strings"

	"github.com/ratelab/ratelab/internal/strictyaml"
	"github.com/ratelab/ratelab/internal/suggest"
	"github.com/ratelab/ratelab/scenarios"
)

// LoadArg reads and loads the SCENARIO argument of `ratelab run` (see ReadArg).
func LoadArg(arg string) (*Scenario, error) {
	file, data, err := ReadArg(arg)
	if err != nil {
		return nil, err
	}
	return Load(file, data)
}

// ReadArg resolves the SCENARIO argument of `ratelab run`: a scenario file when a regular file of
// that name exists or the argument looks like a path (has a directory or a .yaml/.yml suffix),
// else a bundled scenario. It returns the name problems should use and the text. A missing
// scenario is a *strictyaml.Error, so the command line exits 2.
func ReadArg(arg string) (file string, data []byte, err error) {
	if st, statErr := os.Stat(arg); statErr == nil && st.Mode().IsRegular() {
		data, err = os.ReadFile(arg)
		return arg, data, err
	}
	if data, err := scenarios.Open(arg); err == nil {
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

// Bundled returns the text of the bundled scenario name, or a problem naming the closest one.
func Bundled(name string) ([]byte, error) {
	data, err := scenarios.Open(name)
	if err != nil {
		return nil, notFound(name)
	}
	return data, nil
}

// notFound is the problem of a scenario argument that is neither a file nor a bundled name.
func notFound(arg string) error {
	names := scenarios.Names()
	msg := fmt.Sprintf("no scenario file %q and no bundled scenario of that name; bundled: %s (see ratelab scenarios)",
		arg, strings.Join(names, ", "))
	if c := suggest.Closest(arg, names); c != "" {
		msg = fmt.Sprintf("no scenario file %q and no bundled scenario of that name; did you mean %q? (see ratelab scenarios)", arg, c)
	}
	return &strictyaml.Error{Problems: []strictyaml.Problem{{Msg: msg}}}
}
