package main

import (
	"context"
	"errors"
)

// runReport is being built; see the open issues.
func runReport(_ context.Context, env *cliEnv, args []string) error {
	fs := newFlagSet("report", "ratelab report [flags]", "")
	if err := parseFlags(env, fs, args); err != nil {
		return err
	}
	return errors.New("report: not implemented yet")
}
