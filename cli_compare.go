package main

import (
	"context"
	"errors"
)

// runCompare is being built; see the open issues.
func runCompare(_ context.Context, env *cliEnv, args []string) error {
	fs := newFlagSet("compare", "ratelab compare [flags]", "")
	if err := parseFlags(env, fs, args); err != nil {
		return err
	}
	return errors.New("compare: not implemented yet")
}
