package redistest

import (
	"net"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestServerLifecycle(t *testing.T) {
	defer goleak.VerifyNone(t)
	var pid int
	t.Run("life", func(t *testing.T) {
		s := Start(t)
		require.NoError(t, s.Running())
		host, _, err := net.SplitHostPort(s.Addr)
		require.NoError(t, err)
		assert.Equal(t, "127.0.0.1", host)
		assert.Equal(t, "redis://"+s.Addr+"/0", s.URL)

		s.Pause()
		assert.Error(t, ping(s.Addr), "a paused server answers nothing")
		s.Resume()
		require.NoError(t, s.Running())

		first := s.PID()
		s.Stop()
		assert.ErrorIs(t, s.Running(), ErrStopped)
		_, err = net.DialTimeout("tcp", s.Addr, time.Second)
		assert.Error(t, err, "a stopped server's port refuses connections")
		assert.Error(t, syscall.Kill(first, 0), "the process is gone")

		s.Restart()
		require.NoError(t, s.Running())
		pid = s.PID()
		assert.NotEqual(t, first, pid)

		s.Pause() // cleanup must stop a paused server too
	})
	if pid == 0 {
		t.Skip(SkipMessage) // the subtest skipped or failed before starting the server
	}
	assert.Error(t, syscall.Kill(pid, 0), "cleanup stopped the server")
}
