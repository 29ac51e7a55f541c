package testutil

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ratelab/ratelab/account"
	"github.com/ratelab/ratelab/internal/testcheck"
	"github.com/ratelab/ratelab/mockserver"
)

// StartMock serves a mock of cfg (seed 1) on a loopback port for the rest of the test and
// returns its server; the test's cleanup stops it and checks that it stopped cleanly.
func StartMock(t testing.TB, cfg account.Config) *mockserver.Server {
	t.Helper()
	m, err := mockserver.New(cfg, 1)
	require.NoError(t, err)
	return testcheck.Serve(t, func(ctx context.Context) (*mockserver.Server, error) {
		return m.Start(ctx, "127.0.0.1:0")
	})
}
