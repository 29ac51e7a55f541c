package main

import (
	"context"
	"errors"
)

// runProbe is being built; see the open issues.
func runProbe(_ context.Context, env *cliEnv, args []string) error {
	fs := newFlagSet("probe", "ratelab probe [flags]", "")
	if err := parseFlags(env, fs, args); err != nil {
		return err
	}
	return errors.New("probe: not implemented yet")
}
