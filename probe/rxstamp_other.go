//go:build !linux || !(amd64 || arm64 || riscv64 || loong64 || ppc64le || s390x)

package probe

import "net"

// rxWatcher notes arrivals on 64-bit Linux only.
type rxWatcher struct{}

func newRxWatcher() *rxWatcher { return nil }

// stampReceives returns c: receive timestamps are read on 64-bit Linux only, elsewhere a
// stream's times are the read instants.
func stampReceives(c net.Conn, _ *rxWatcher) net.Conn { return c }
