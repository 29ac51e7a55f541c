package main

import (
	"context"
	"errors"
)

// runMock is being built; see the open issues.
func runMock(_ context.Context, env *cliEnv, args []string) error {
	fs := newFlagSet("mock", "ratelab mock [flags]", "")
	if err := parseFlags(env, fs, args); err != nil {
		return err
	}
	return errors.New("mock: not implemented yet")
}
