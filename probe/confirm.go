package probe

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"strings"
)

// RemoteFreeRequests is how many requests may go to a non-loopback host without asking: a run
// that may send more asks for confirmation first (or needs --yes).
const RemoteFreeRequests = 20

// IsLoopback reports whether host (a URL host, with or without a port) is a loopback address or
// the name localhost (or a name under .localhost, RFC 6761). It never resolves a name: any
// other name counts as remote.
func IsLoopback(host string) bool {
	h := host
	if hh, _, err := net.SplitHostPort(host); err == nil {
		h = hh
	}
	h = strings.TrimSuffix(strings.Trim(h, "[]"), ".")
	if strings.EqualFold(h, "localhost") || strings.HasSuffix(strings.ToLower(h), ".localhost") {
		return true
	}
	if i := strings.IndexByte(h, '%'); i >= 0 { // IPv6 zone
		h = h[:i]
	}
	ip, err := netip.ParseAddr(h)
	return err == nil && ip.IsLoopback()
}

// NeedsConfirmation reports whether a run against host must be confirmed: the host is not
// loopback and the run may send more than RemoteFreeRequests requests. maxRequests is the most
// the run can send, or a negative number when it is unbounded or unknown.
func NeedsConfirmation(host string, maxRequests int64) bool {
	return !IsLoopback(host) && (maxRequests < 0 || maxRequests > RemoteFreeRequests)
}

// ErrNotConfirmed is returned by Confirm when the user declined or could not be asked.
var ErrNotConfirmed = errors.New("not confirmed")

// Confirm asks on out whether to send planned requests to host (planned < 0: an unknown
// number) and reads the answer from in. Without a terminal on stdin (interactive false) it
// refuses at once with a message that names --yes. Only "y" or "yes" confirms.
func Confirm(in io.Reader, out io.Writer, interactive bool, host string, planned int64) error {
	what := "more than " + fmt.Sprint(RemoteFreeRequests) + " requests"
	if planned >= 0 {
		what = fmt.Sprintf("up to %d requests", planned)
	}
	if !interactive {
		return fmt.Errorf("%w: this run would send %s to %s, which is not a loopback host; stdin is not a terminal to ask, so pass --yes to proceed (or cap it with --max-requests %d)",
			ErrNotConfirmed, what, host, RemoteFreeRequests)
	}
	fmt.Fprintf(out, "This run will send %s to %s (real traffic; it may cost money and use your rate limits). Continue? [y/N] ", what, host)
	line, err := bufio.NewReader(in).ReadString('\n')
	if err != nil && line == "" {
		return fmt.Errorf("%w: no answer (%v); pass --yes to skip the question", ErrNotConfirmed, err)
	}
	switch strings.ToLower(strings.TrimSpace(line)) {
	case "y", "yes":
		return nil
	}
	return fmt.Errorf("%w: declined; nothing was sent", ErrNotConfirmed)
}
