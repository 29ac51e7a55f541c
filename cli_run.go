package main

import (
	"context"
	"errors"
)

// runRun is being built; see the open issues.
func runRun(_ context.Context, env *cliEnv, args []string) error {
	fs := newFlagSet("run", "ratelab run [flags]", "")
	if err := parseFlags(env, fs, args); err != nil {
		return err
	}
	return errors.New("run: not implemented yet")
}
