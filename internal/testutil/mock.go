package testutil

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ratelab/ratelab/account"
	"github.com/ratelab/ratelab/mockserver"
)

// StartMock serves a mock of cfg (seed 1) on a loopback port for the rest of the test and
// returns its server; the test's cleanup stops it and checks that it stopped cleanly.
func StartMock(t testing.TB, cfg account.Config) *mockserver.Server {
	t.Helper()
	m, err := mockserver.New(cfg, 1)
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	srv, err := m.Start(ctx, "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() {
		cancel()
		assert.NoError(t, srv.Wait())
	})
	return srv
}
