package testcheck

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDo(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Method", r.Method)
		w.WriteHeader(http.StatusCreated)
		_, _ = w.Write([]byte("hello"))
	}))
	got := Get(t, srv.URL)
	assert.Equal(t, http.StatusCreated, got.Status)
	assert.Equal(t, http.MethodGet, got.Header.Get("X-Method"))
	assert.Equal(t, "hello", got.Body)

	srv.Close()
	assert.True(t, fails(t, func(tb testing.TB) { Get(tb, srv.URL) }), "a refused connection fails the test")
}

func TestFreePort(t *testing.T) {
	port := FreePort(t)
	assert.Positive(t, port)
	ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	require.NoError(t, err, "the port is free to listen on")
	ln.Close()
}

// fakeServer stops when its context ends and then reports err from Wait.
type fakeServer struct {
	done chan struct{}
	err  error
}

func (f *fakeServer) Wait() error { <-f.done; return f.err }

func TestServe(t *testing.T) {
	var started *fakeServer
	t.Run("stopped by the cleanup", func(t *testing.T) {
		started = Serve(t, func(ctx context.Context) (*fakeServer, error) {
			f := &fakeServer{done: make(chan struct{})}
			go func() { <-ctx.Done(); close(f.done) }()
			return f, nil
		})
	})
	select {
	case <-started.done:
	default:
		t.Fatal("the server still runs after its test ended")
	}
	assert.True(t, fails(t, func(tb testing.TB) {
		Serve(tb, func(context.Context) (*fakeServer, error) { return nil, errors.New("no port") })
	}), "a start error fails the test")
}
