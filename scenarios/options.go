package scenarios

import (
	"errors"

	"github.com/ratelab/ratelab/account"
	"github.com/ratelab/ratelab/internal/strictyaml"
	"github.com/ratelab/ratelab/scenario"
	"go.yaml.in/yaml/v3"
)

// Options are the scenario load options with the mock hook wired: the mock: section decodes
// into a account.Config (stored in Mock.Config as a *account.Config, starting from
// account.DefaultConfig), so a scenario that loads is one the mock accepts.
func Options() scenario.Options {
	return scenario.Options{
		DecodeMock: DecodeMock,
	}
}

// DecodeMock decodes a scenario's mock: section into the mock server's configuration: the
// defaults, overlaid with the section (strictly: unknown fields and wrong types are problems at
// their line), then validated by account.Config.Validate.
func DecodeMock(n *yaml.Node) (any, error) {
	cfg := account.DefaultConfig()
	if err := strictyaml.Decode("", n, "", &cfg); err != nil {
		return nil, err
	}
	if err := cfg.Validate(); err != nil {
		var fe *account.FieldError
		if errors.As(err, &fe) {
			return nil, &scenario.ParamError{Param: fe.Field, Msg: fe.Msg}
		}
		return nil, err
	}
	return &cfg, nil
}
