package main

import (
	"context"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
)

// usageCase is a command line the command must refuse as a usage error, with part of what it
// then says on stderr.
type usageCase struct {
	name string
	args []string
	want string
}

// cli runs the command in-process (runCLI, runMockCLI): exit code, stdout, stderr.
type cli func(ctx context.Context, args ...string) (code int, stdout, stderr string)

// checkUsageErrors runs prefix followed by each case's args and checks that the command exits
// with exitUsage and says what the case wants.
func checkUsageErrors(t *testing.T, run cli, prefix []string, cases []usageCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := run(context.Background(), append(slices.Clone(prefix), tc.args...)...)
			assert.Equal(t, exitUsage, code, stderr)
			assert.Contains(t, stderr, tc.want)
		})
	}
}
