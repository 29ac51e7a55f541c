package scenarios

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/ratelab/ratelab/internal/strictyaml"
	"github.com/ratelab/ratelab/mockserver"
	"github.com/ratelab/ratelab/probe/backoff"
	"github.com/ratelab/ratelab/scenario"
	"go.yaml.in/yaml/v3"
)

// Options are the scenario load options with every hook wired to the packages that own the
// schema: the mock: section decodes into a mockserver.Config (stored in Mock.Config as a
// *mockserver.Config, starting from mockserver.DefaultConfig), and strategy names and
// parameters are checked against the backoff strategy table, so a scenario that loads is one
// the engine accepts.
func Options() scenario.Options {
	return scenario.Options{
		DecodeMock:    DecodeMock,
		Strategies:    backoff.Names(),
		CheckStrategy: CheckStrategy,
	}
}

// DecodeMock decodes a scenario's mock: section into the mock server's configuration: the
// defaults, overlaid with the section (strictly: unknown fields and wrong types are problems at
// their line), then validated by mockserver.Config.Validate.
func DecodeMock(n *yaml.Node) (any, error) {
	cfg := mockserver.DefaultConfig()
	if err := strictyaml.Decode("", n, "", &cfg); err != nil {
		return nil, err
	}
	if err := cfg.Validate(); err != nil {
		var fe *mockserver.FieldError
		if errors.As(err, &fe) {
			return nil, &scenario.ParamError{Param: fe.Field, Msg: fe.Msg}
		}
		return nil, err
	}
	return &cfg, nil
}

// CheckStrategy checks one strategy's parameters against the backoff table: each parameter on
// its own first, so a problem points at that parameter's line, then all together.
func CheckStrategy(name string, params map[string]any) error {
	var errs []error
	var args []backoff.Arg
	for _, k := range slices.Sorted(maps.Keys(params)) {
		a := backoff.Arg{Name: k, Value: paramText(params[k])}
		if _, err := backoff.New(backoff.Spec{Name: name, Args: []backoff.Arg{a}}); err != nil {
			errs = append(errs, &scenario.ParamError{Param: k, Msg: trimPrefixes(err.Error(), name, k)})
			continue
		}
		args = append(args, a)
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	if _, err := backoff.New(backoff.Spec{Name: name, Args: args}); err != nil {
		return errors.New(trimPrefixes(err.Error(), name, ""))
	}
	return nil
}

// paramText writes a YAML parameter value as the strategy spec syntax reads it.
func paramText(v any) string {
	switch x := v.(type) {
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case string:
		return x
	default:
		return fmt.Sprint(x)
	}
}

// trimPrefixes drops the "strategy NAME: " and "parameter K: " a backoff error starts with,
// since the problem's path already says both.
func trimPrefixes(msg, name, param string) string {
	msg = strings.TrimPrefix(msg, "strategy "+name+": ")
	if param != "" {
		msg = strings.TrimPrefix(msg, "parameter "+param+": ")
	}
	return msg
}
