package probe

import (
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
)

// TestIdleWatch: in virtual time, the watch cancels a stream exactly idle after its last read
// (re-arming for what remains of idle, not for a whole idle), and never after stop.
func TestIdleWatch(t *testing.T) {
	const idle = 300 * time.Millisecond
	synctest.Test(t, func(t *testing.T) {
		sent := time.Now()
		var cancelled time.Duration
		w := watchIdle(sent, idle, func() { cancelled = time.Since(sent) })
		for _, at := range []time.Duration{80 * time.Millisecond, 85 * time.Millisecond, 290 * time.Millisecond} {
			time.Sleep(at - time.Since(sent))
			w.read(time.Now())
		}
		time.Sleep(time.Second)
		synctest.Wait()
		assert.True(t, w.stalled.Load())
		assert.Equal(t, 290*time.Millisecond+idle, cancelled, "idle after the last read")
		w.stop()

		sent = time.Now()
		cancelled = 0
		w = watchIdle(sent, idle, func() { cancelled = time.Since(sent) })
		time.Sleep(idle / 2)
		w.read(time.Now())
		w.stop()
		time.Sleep(time.Second)
		synctest.Wait()
		assert.False(t, w.stalled.Load())
		assert.Zero(t, cancelled, "stopped")
	})
}
