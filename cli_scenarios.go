package main

import (
	"context"
	"errors"
)

// runScenarios is being built; see the open issues.
func runScenarios(_ context.Context, env *cliEnv, args []string) error {
	fs := newFlagSet("scenarios", "ratelab scenarios [flags]", "")
	if err := parseFlags(env, fs, args); err != nil {
		return err
	}
	return errors.New("scenarios: not implemented yet")
}
