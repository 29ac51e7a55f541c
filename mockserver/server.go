package mockserver

import (
	"context"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"time"
)

// DefaultAddr is where ratelab mock listens by default.
const DefaultAddr = "127.0.0.1:8080"

// Server timeouts. ReadHeaderTimeout cuts off clients that trickle their headers (slowloris).
const (
	// There is no ReadTimeout: net/http cancels a request's context when it expires, which
	// would cut off a response waiting out a long configured latency; nor a WriteTimeout.
	DefaultReadHeaderTimeout = 10 * time.Second
	DefaultIdleTimeout       = 2 * time.Minute
	// ShutdownGrace is how long a stopping server lets in-flight requests finish.
	ShutdownGrace = 5 * time.Second
)

// Server runs a Mock over HTTP. Configure HTTP (timeouts, error log) before Start.
type Server struct {
	// HTTP is the underlying server; its Handler is the mock's.
	HTTP *http.Server
	// Addr is the address the server listens on, known after Start (a port 0 is resolved).
	Addr string

	done chan struct{}
	err  error
}

// NewServer returns a server for m with ratelab's timeouts; call Start to run it.
func (m *Mock) NewServer() *Server {
	return &Server{HTTP: &http.Server{
		Handler:           m.Handler(),
		ReadHeaderTimeout: DefaultReadHeaderTimeout,
		IdleTimeout:       DefaultIdleTimeout,
		MaxHeaderBytes:    1 << 20,
		ErrorLog:          log.New(io.Discard, "", 0),
	}}
}

// Start listens on addr (e.g. 127.0.0.1:0) and serves m until ctx is cancelled; then the server
// shuts down gracefully. Wait returns when it has stopped.
func (m *Mock) Start(ctx context.Context, addr string) (*Server, error) {
	s := m.NewServer()
	if err := s.Start(ctx, addr); err != nil {
		return nil, err
	}
	return s, nil
}

// Start listens on addr and serves in the background until ctx is cancelled.
func (s *Server) Start(ctx context.Context, addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	s.Addr = ln.Addr().String()
	s.done = make(chan struct{})
	go func() {
		defer close(s.done)
		s.err = s.Serve(ctx, ln)
	}()
	return nil
}

// URL returns the server's base URL, http://Addr.
func (s *Server) URL() string { return "http://" + s.Addr }

// Wait blocks until the server has stopped and returns why it stopped (nil after a clean
// shutdown).
func (s *Server) Wait() error {
	<-s.done
	return s.err
}

// Serve serves on ln until ctx is cancelled, then shuts down: it stops accepting, lets in-flight
// requests finish for up to ShutdownGrace, and closes what remains. It returns nil after a clean
// shutdown.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	base, cancelBase := context.WithCancel(context.Background())
	defer cancelBase()
	s.HTTP.BaseContext = func(net.Listener) context.Context { return base }
	errc := make(chan error, 1)
	go func() { errc <- s.HTTP.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), ShutdownGrace)
	defer cancel()
	err := s.HTTP.Shutdown(sctx)
	if err != nil {
		cancelBase() // requests still waiting out their latency give up
		s.HTTP.Close()
	}
	if serr := <-errc; !errors.Is(serr, http.ErrServerClosed) && err == nil {
		err = serr
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return nil // forced close after the grace period is still a stop
	}
	return err
}
