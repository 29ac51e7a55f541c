// Package redistest runs a real redis-server for a test: on a free loopback port, without
// persistence, stopped by its PID when the test ends. Without the binary the test is skipped
// with the package to install, so `go test ./...` passes on a machine with only Go; CI sets
// RequireEnv so that a missing binary fails instead. Only tests import it.
package redistest

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/ratelab/ratelab/internal/testcheck"
)

// Binary is the server executable looked up in PATH.
const Binary = "redis-server"

// RequireEnv names the environment variable that, when set to a non-empty value, turns the skip
// for a missing redis-server into a failure (CI sets it after installing the package).
const RequireEnv = "RATELAB_REQUIRE_REDIS"

// SkipMessage is what a test without redis-server is skipped with.
const SkipMessage = "redis-server not installed (apt-get install redis-server); skipping the tests that need a real Redis"

// startTimeout bounds how long a server may take to answer PING after it is started.
const startTimeout = 10 * time.Second

// Server is one redis-server process owned by a test.
type Server struct {
	// Addr is the server's host:port on 127.0.0.1.
	Addr string
	// URL is Addr as a redis:// URL (database 0).
	URL string

	t    testing.TB
	path string
	dir  string

	mu     sync.Mutex
	cmd    *exec.Cmd
	done   chan struct{} // closed when cmd has been waited for (by watch)
	paused bool
}

// Start starts a redis-server on a free loopback port and registers its stop with t.Cleanup.
// It skips the test (or fails it, with RequireEnv set) when redis-server is not installed.
func Start(t testing.TB) *Server {
	t.Helper()
	path, err := exec.LookPath(Binary)
	if err != nil {
		if os.Getenv(RequireEnv) != "" {
			t.Fatalf("%s is set but %s is not installed (apt-get install redis-server)", RequireEnv, Binary)
		}
		t.Skip(SkipMessage)
	}
	s := &Server{t: t, path: path, dir: t.TempDir()}
	t.Cleanup(s.Stop)
	// A port found free can be taken before the server binds it; try a few.
	var last error
	for range 5 {
		s.Addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(testcheck.FreePort(t)))
		s.URL = "redis://" + s.Addr + "/0"
		if last = s.start(); last == nil {
			return s
		}
	}
	t.Fatalf("redistest: %v", last)
	return nil
}

// start runs the server on s.Addr and waits until it answers PING.
func (s *Server) start() error {
	_, port, _ := net.SplitHostPort(s.Addr)
	cmd := exec.Command(s.path,
		"--port", port, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
		"--dir", s.dir, "--daemonize", "no", "--loglevel", "warning", "--logfile", "")
	logPath := filepath.Join(s.dir, "redis.log")
	log, err := os.Create(logPath)
	if err != nil {
		return err
	}
	defer log.Close() // the child has its own descriptor
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting %s: %w", s.path, err)
	}
	done := make(chan struct{})
	go watch(cmd, done)
	s.mu.Lock()
	s.cmd, s.done, s.paused = cmd, done, false
	s.mu.Unlock()
	logged := func() string { b, _ := os.ReadFile(logPath); return string(b) }
	deadline := time.Now().Add(startTimeout)
	for {
		select {
		case <-done:
			return fmt.Errorf("%s on %s exited at start: %s", s.path, s.Addr, logged())
		default:
		}
		if ping(s.Addr) == nil {
			return nil
		}
		if time.Now().After(deadline) {
			s.Stop()
			return fmt.Errorf("%s on %s did not answer PING within %s: %s", s.path, s.Addr, startTimeout, logged())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// watch waits for the server process to exit and closes done; it is the one goroutine a
// running server has (see IgnoreGoroutines).
func watch(cmd *exec.Cmd, done chan<- struct{}) {
	_ = cmd.Wait()
	close(done)
}

// IgnoreGoroutines is the goleak option for the goroutine that watches each server process, for
// tests that check for leaks while a server runs or after one was restarted.
func IgnoreGoroutines() goleak.Option {
	return goleak.IgnoreAnyFunction("github.com/ratelab/ratelab/internal/redistest.watch")
}

// ping sends PING over a fresh connection and expects +PONG.
func ping(addr string) error {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(time.Second))
	if _, err := c.Write([]byte("PING\r\n")); err != nil {
		return err
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return err
	}
	if line != "+PONG\r\n" {
		return fmt.Errorf("PING answered %q", line)
	}
	return nil
}

// Stop kills the server by its PID and waits for it to exit; the port then refuses
// connections. Stopping a stopped server does nothing. Tests of an outage call it directly.
func (s *Server) Stop() {
	s.mu.Lock()
	cmd, done, paused := s.cmd, s.done, s.paused
	s.cmd, s.paused = nil, false
	s.mu.Unlock()
	if cmd == nil {
		return
	}
	if paused {
		_ = cmd.Process.Signal(syscall.SIGCONT)
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		_ = cmd.Process.Kill()
		<-done
	}
}

// Restart starts the server again on the same address after Stop (its data is gone).
func (s *Server) Restart() {
	s.t.Helper()
	s.Stop()
	var err error
	// The port was just released; the server sets SO_REUSEADDR, but retry briefly all the same.
	for range 20 {
		if err = s.start(); err == nil {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	s.t.Fatalf("redistest: restarting: %v", err)
}

// Pause stops the server process with SIGSTOP: connections stay open and the port accepts, but
// nothing is answered, as when Redis hangs. Resume undoes it.
func (s *Server) Pause() { s.signal(syscall.SIGSTOP, true) }

// Resume continues a paused server with SIGCONT.
func (s *Server) Resume() { s.signal(syscall.SIGCONT, false) }

func (s *Server) signal(sig syscall.Signal, paused bool) {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		s.t.Fatalf("redistest: %s on a stopped server", sig)
	}
	if err := s.cmd.Process.Signal(sig); err != nil {
		s.t.Fatalf("redistest: %s: %v", sig, err)
	}
	s.paused = paused
}

// PID returns the server's process id, or 0 when it is stopped.
func (s *Server) PID() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		return 0
	}
	return s.cmd.Process.Pid
}

// ErrStopped is what Running's callers see once the server has been stopped.
var ErrStopped = errors.New("redistest: server stopped")

// Running reports nil when the server answers PING, else why not.
func (s *Server) Running() error {
	if s.PID() == 0 {
		return ErrStopped
	}
	return ping(s.Addr)
}
