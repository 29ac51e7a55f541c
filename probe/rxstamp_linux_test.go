//go:build linux && (amd64 || arm64 || riscv64 || loong64 || ppc64le || s390x)

package probe

import (
	"encoding/binary"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestRxTimestampParse: the software timestamp is read from an SCM_TIMESTAMPING message only.
func TestRxTimestampParse(t *testing.T) {
	msg := make([]byte, 64)
	putCmsg := func(b []byte, level, typ int32, sec, nsec int64) {
		binary.NativeEndian.PutUint64(b[0:], 64)
		binary.NativeEndian.PutUint32(b[8:], uint32(level))
		binary.NativeEndian.PutUint32(b[12:], uint32(typ))
		binary.NativeEndian.PutUint64(b[16:], uint64(sec))
		binary.NativeEndian.PutUint64(b[24:], uint64(nsec))
	}
	tests := []struct {
		name  string
		build func() []byte
		want  int64
	}{
		{"timestamping", func() []byte { putCmsg(msg, syscall.SOL_SOCKET, syscall.SO_TIMESTAMPING, 1767225600, 250); return msg }, 1767225600*1e9 + 250},
		{"another message", func() []byte { putCmsg(msg, syscall.SOL_SOCKET, syscall.SO_TIMESTAMPING+1, 5, 5); return msg }, 0},
		{"truncated", func() []byte { return msg[:12] }, 0},
		{"empty", func() []byte { return nil }, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { assert.Equal(t, tt.want, rxTimestamp(tt.build())) })
	}
}
