package testcheck

import (
	"context"
	"io"
	"net"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Response is an HTTP response read whole: its status, headers and body.
type Response struct {
	Status int
	Header http.Header
	Body   string
}

// Do sends req with http.DefaultClient and reads the whole response; a transport or read error
// fails the test.
func Do(t testing.TB, req *http.Request) Response {
	t.Helper()
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	return Response{res.StatusCode, res.Header, string(b)}
}

// Get is Do of a GET of url.
func Get(t testing.TB, url string) Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	require.NoError(t, err)
	return Do(t, req)
}

// FreePort returns a loopback TCP port that was free a moment ago, for a server the test starts
// in another process or hands an address to (`--metrics-addr`, a configuration file).
func FreePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// Serve runs the server start(ctx) starts for the rest of the test: the cleanup cancels ctx and
// checks that the server's Wait then returns no error. A start error fails the test.
func Serve[S interface{ Wait() error }](t testing.TB, start func(ctx context.Context) (S, error)) S {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	srv, err := start(ctx)
	if err != nil {
		cancel()
	}
	require.NoError(t, err)
	t.Cleanup(func() {
		cancel()
		assert.NoError(t, srv.Wait())
	})
	return srv
}
