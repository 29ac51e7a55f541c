// Package proxy is `ratelab proxy`: a reverse proxy an application points its base URL at. It
// forwards every request to one upstream unchanged (method, path, query, headers including the
// key, body) and every answer back unchanged, streamed answers flushed write by write, and
// records each exchange as an observed record.Attempt: times, status, the rate-limit headers of
// every dialect (ratelimit.Parse), retry hints, the usage tokens of the body (streamed or not),
// the model and a client identity (a hash of the key and a caller-chosen header, never the key).
// An optional Gate (the mock's limiter) may answer a request itself before it is forwarded.
package proxy

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ratelab/ratelab/record"
)

// Defaults of Config.
const (
	DefaultClientHeader = "x-ratelab-client"
	DefaultTimeout      = 10 * time.Minute
	// MaxGateBody bounds the request body a Gate reads before the request is forwarded (the
	// largest request body the providers accept).
	MaxGateBody = 32 << 20
)

// Gate decides, before a request is forwarded, whether it goes on. Admit may set header
// fields on w (they are kept on the upstream's answer) and returns true, or writes the whole
// answer itself (a 429) and returns false. body is the request body, read whole.
type Gate interface {
	Admit(w http.ResponseWriter, r *http.Request, body []byte, now time.Time) bool
}

// Config configures a Proxy.
type Config struct {
	// Upstream is the only place requests go: its scheme and host, its path prefixed to the
	// request's.
	Upstream *url.URL
	// ClientHeader names the request header whose value, with the key, identifies a client
	// (default x-ratelab-client).
	ClientHeader string
	// Timeout is the longest the upstream may stay silent (before its answer's header, or
	// between two reads of its body) before the request is abandoned (default 10 min).
	Timeout time.Duration
	// Start is the instant record times are measured from.
	Start time.Time
	// Record receives every attempt once its exchange ended, from many goroutines at once
	// (record.Writer.Write is safe for that). It is also the hook for metrics.
	Record func(*record.Attempt) error
	// Gate, when set, is asked before each request is forwarded.
	Gate Gate
	// Transport sends the requests upstream (default: a transport that never compresses on
	// its own, so bodies pass byte for byte).
	Transport http.RoundTripper
}

// Proxy is the recording reverse proxy. It is an http.Handler.
type Proxy struct {
	cfg     Config
	rp      *httputil.ReverseProxy
	clients clients
	models  models
	apis    models // requests per API shape

	requests atomic.Int64
	streamed atomic.Bool // some reply was streamed
	inflight sync.WaitGroup
	// stop cancels every upstream request (Close).
	stopCtx context.Context
	stop    context.CancelFunc

	recMu  sync.Mutex
	recErr error
}

// New checks cfg and builds a Proxy.
func New(cfg Config) (*Proxy, error) {
	u := cfg.Upstream
	if u == nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, errors.New("upstream: want an http or https URL such as https://api.anthropic.com")
	}
	if cfg.ClientHeader == "" {
		cfg.ClientHeader = DefaultClientHeader
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.Start.IsZero() {
		cfg.Start = time.Now()
	}
	if cfg.Record == nil {
		cfg.Record = func(*record.Attempt) error { return nil }
	}
	if cfg.Transport == nil {
		cfg.Transport = &http.Transport{
			Proxy:               http.ProxyFromEnvironment,
			DialContext:         (&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			ForceAttemptHTTP2:   true,
			MaxIdleConns:        256,
			MaxIdleConnsPerHost: 256,
			IdleConnTimeout:     90 * time.Second,
			TLSHandshakeTimeout: 10 * time.Second,
			DisableCompression:  true,
		}
	}
	p := &Proxy{cfg: cfg}
	p.stopCtx, p.stop = context.WithCancel(context.Background())
	p.rp = &httputil.ReverseProxy{
		Rewrite:        p.rewrite,
		Transport:      cfg.Transport,
		FlushInterval:  -1, // every write reaches the client at once: streams pass event by event
		ModifyResponse: p.modifyResponse,
		ErrorHandler:   p.errorHandler,
		ErrorLog:       log.New(io.Discard, "", 0), // every error is in the record
	}
	return p, nil
}

// rewrite points the outgoing request at the upstream and keeps the client's forwarding
// headers as they came (Rewrite would drop them).
func (p *Proxy) rewrite(pr *httputil.ProxyRequest) {
	pr.SetURL(p.cfg.Upstream)
	for _, h := range []string{"Forwarded", "X-Forwarded-For", "X-Forwarded-Host", "X-Forwarded-Proto"} {
		if v, ok := pr.In.Header[h]; ok {
			pr.Out.Header[h] = v
		}
	}
}

// ServeHTTP forwards one request and records it.
func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodConnect {
		// Not an open relay: a tunnel would lead anywhere.
		http.Error(w, "ratelab proxy forwards to its upstream only; CONNECT is not served", http.StatusMethodNotAllowed)
		return
	}
	p.inflight.Add(1)
	defer p.inflight.Done()
	x := p.newExchange(w, r)
	defer x.finish()
	if p.cfg.Gate != nil && !x.gate() {
		return
	}
	p.rp.ServeHTTP(x.w, x.out)
}

// Close abandons every request still waiting on the upstream and waits until each has been
// recorded. Stop the server first (http.Server.Shutdown) so no new request arrives.
func (p *Proxy) Close() error {
	p.stop()
	p.inflight.Wait()
	p.recMu.Lock()
	defer p.recMu.Unlock()
	return p.recErr
}

// Requests is the number of requests recorded so far.
func (p *Proxy) Requests() int64 { return p.requests.Load() }

// Model is the model most requests named, "" when none did.
func (p *Proxy) Model() string { return p.models.most() }

// API is the API shape most requests had (by path: anthropic, openai or http), "" before any.
func (p *Proxy) API() string { return p.apis.most() }

// Clients is the number of distinct client identities seen so far.
func (p *Proxy) Clients() int { return p.clients.count() }

// Streamed reports whether some recorded reply was streamed.
func (p *Proxy) Streamed() bool { return p.streamed.Load() }

// record hands a finished attempt to Config.Record, keeping its first error.
func (p *Proxy) record(a *record.Attempt) {
	if a.Stream {
		p.streamed.Store(true)
	}
	if err := p.cfg.Record(a); err != nil {
		p.recMu.Lock()
		if p.recErr == nil {
			p.recErr = err
		}
		p.recMu.Unlock()
	}
}

// Loopback reports whether a listen address (host:port) only accepts connections from this
// machine: a loopback IP or localhost. An empty host (every interface) is not.
func Loopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(strings.TrimSuffix(strings.TrimPrefix(host, "["), "]"))
	return ip != nil && ip.IsLoopback()
}

// NewServer returns the http.Server the proxy runs in: header and idle timeouts and a bound on
// header size, so that a slow or malformed client costs one connection and nothing else. There
// is no write timeout: streamed answers last as long as the upstream speaks.
func NewServer(h http.Handler) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    1 << 20,
		ErrorLog:          nil,
	}
}

// ParseUpstream reads --upstream: an http or https URL with a host, no query or fragment.
func ParseUpstream(s string) (*url.URL, error) {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("--upstream %q: want an http or https URL such as https://api.anthropic.com", s)
	}
	if u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return nil, fmt.Errorf("--upstream %q: want a base URL without credentials, query or fragment", s)
	}
	return u, nil
}
