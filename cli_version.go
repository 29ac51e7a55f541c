package main

import (
	"context"
	"fmt"
	"runtime"
)

func runVersion(_ context.Context, env *cliEnv, args []string) error {
	fs := newFlagSet("version", "ratelab version", "Prints ratelab's version and the Go version it was built with.")
	if err := parseFlags(env, fs, args); err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "ratelab %s (%s %s/%s)\n", Version, runtime.Version(), runtime.GOOS, runtime.GOARCH)
	return nil
}
