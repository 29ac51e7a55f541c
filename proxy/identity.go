package proxy

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strings"
	"sync"
)

// maxClients bounds the client identities given their own index; later ones share index
// maxClients (their client_id still tells them apart).
const maxClients = 100_000

// identity is a request's client identity: the first 16 hex digits of a SHA-256 over the API
// key and the value of the caller's client header. The key itself is never kept.
func identity(r *http.Request, header string) string {
	h := sha256.New()
	h.Write([]byte("ratelab/client\x00"))
	h.Write([]byte(apiKey(r)))
	h.Write([]byte{0})
	h.Write([]byte(r.Header.Get(header)))
	var sum [sha256.Size]byte
	return hex.EncodeToString(h.Sum(sum[:0])[:8])
}

// apiKey is the key a request carries, in any of the providers' places: x-api-key
// (Anthropic), Authorization (OpenAI's Bearer), api-key (Azure OpenAI), x-goog-api-key or the
// key query parameter (Gemini).
func apiKey(r *http.Request) string {
	for _, h := range []string{"X-Api-Key", "Api-Key", "X-Goog-Api-Key"} {
		if v := r.Header.Get(h); v != "" {
			return v
		}
	}
	if v := r.Header.Get("Authorization"); v != "" {
		if len(v) > 7 && strings.EqualFold(v[:7], "bearer ") {
			return strings.TrimSpace(v[7:])
		}
		return v
	}
	return r.URL.Query().Get("key")
}

// clients numbers client identities in the order they first appear, and remembers each one's
// last first attempt (the request a retry belongs to).
type clients struct {
	mu   sync.Mutex
	ids  map[string]int
	last map[string]int64
}

// retryOf returns the request id of the client's last first attempt and whether there is one.
func (c *clients) retryOf(id string) (int64, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	r, ok := c.last[id]
	return r, ok
}

// first records req as the client's last first attempt.
func (c *clients) first(id string, req int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, known := c.ids[id]; !known {
		return // beyond maxClients: not remembered
	}
	if c.last == nil {
		c.last = map[string]int64{}
	}
	c.last[id] = req
}

func (c *clients) index(id string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	if i, ok := c.ids[id]; ok {
		return i
	}
	if c.ids == nil {
		c.ids = map[string]int{}
	}
	if len(c.ids) >= maxClients {
		return maxClients
	}
	i := len(c.ids)
	c.ids[id] = i
	return i
}

func (c *clients) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.ids)
}

// maxModels bounds the model names counted.
const maxModels = 1000

// models counts the requests per model name.
type models struct {
	mu    sync.Mutex
	n     map[string]int64
	order []string
}

func (m *models) add(name string) {
	if name == "" {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.n == nil {
		m.n = map[string]int64{}
	}
	if _, ok := m.n[name]; !ok {
		if len(m.n) >= maxModels {
			return
		}
		m.order = append(m.order, name)
	}
	m.n[name]++
}

// most is the model named by the most requests (the first seen among equals), "" when none.
func (m *models) most() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	best := ""
	for _, name := range m.order {
		if best == "" || m.n[name] > m.n[best] {
			best = name
		}
	}
	return best
}
