package testcheck

import (
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
