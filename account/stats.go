package account

import "strconv"

// statusSlots are the statuses counted separately; anything else counts as "other".
var statusSlots = [...]int{200, 400, 401, 403, 404, 405, 413, 429, 500, StatusOverloaded, StatusUnavailable}

const numStatusSlots = len(statusSlots) + 1

// statusCounts counts replies by HTTP status.
type statusCounts [numStatusSlots]int64

func statusSlot(status int) int {
	for i, s := range statusSlots {
		if s == status {
			return i
		}
	}
	return len(statusSlots)
}

func (c *statusCounts) add(status int) { c[statusSlot(status)]++ }

func (c *statusCounts) asMap() map[string]int64 {
	out := map[string]int64{}
	for i, n := range c {
		if n == 0 {
			continue
		}
		k := "other"
		if i < len(statusSlots) {
			k = strconv.Itoa(statusSlots[i])
		}
		out[k] = n
	}
	return out
}

// dimCounters counts one dimension of one account.
type dimCounters struct {
	admitted int64 // requests admitted (this dimension took its cost)
	rejected int64 // requests refused because of this dimension
	units    int64 // units charged (requests or tokens, including after-the-fact output charges)
}

// accountStats are one account's counters, guarded by the account's mutex.
type accountStats struct {
	requests int64
	status   statusCounts
	dims     [numMockDims]dimCounters
}

func (s *accountStats) count(status int) {
	s.requests++
	s.status.add(status)
}

// DimStats are the counters of one dimension of one account.
type DimStats struct {
	Admitted int64 `json:"admitted"` // requests this dimension admitted
	Rejected int64 `json:"rejected"` // requests refused because of this dimension
	Units    int64 `json:"units"`    // units charged: requests, or tokens
}

// AccountStats are the counters of one API key.
type AccountStats struct {
	// Key is the API key, shortened to its first 6 and last 4 characters when longer than 12,
	// so a real key pointed at the mock is not echoed back whole.
	Key        string              `json:"key"`
	Requests   int64               `json:"requests"` // calls that reached the account
	Status     map[string]int64    `json:"status"`   // replies by HTTP status
	Dimensions map[string]DimStats `json:"dimensions"`
}

// Stats is the JSON document served at GET /_ratelab/stats.
type Stats struct {
	Accounts []AccountStats `json:"accounts"` // in order of first use
	// Unkeyed counts replies that reached no account: bad requests (400, 404, 405, 413),
	// missing keys (401) and refused new keys (403).
	Unkeyed map[string]int64 `json:"unkeyed"`
	// Requests counts every request the HTTP front end served, stats and health checks excluded
	// (the front end sets it; the ledger alone leaves it 0).
	Requests int64 `json:"requests"`
	// Streams counts the streamed replies (the front end sets it; absent when none).
	Streams *StreamStats `json:"streams,omitempty"`
}

// maskKey shortens a key longer than 12 characters to its first 6 and last 4.
func maskKey(k string) string {
	if len(k) <= 12 {
		return k
	}
	return k[:6] + "…" + k[len(k)-4:]
}

func (a *account) snapshotStats(key string, m *Ledger) AccountStats {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := AccountStats{Key: maskKey(key), Requests: a.stats.requests, Status: a.stats.status.asMap(), Dimensions: map[string]DimStats{}}
	for d := range numMockDims {
		if !m.res.dims[d].on {
			continue
		}
		c := a.stats.dims[d]
		out.Dimensions[d.String()] = DimStats{Admitted: c.admitted, Rejected: c.rejected, Units: c.units}
	}
	return out
}

// AccountStats returns the counters of key's account, false when the key has none. Under a
// Provider they are the sums over the key's pools.
func (m *Ledger) AccountStats(key string) (AccountStats, bool) {
	if m.prov != nil {
		return m.prov.accountStats(key)
	}
	m.mu.RLock()
	a := m.accounts[key]
	m.mu.RUnlock()
	if a == nil {
		return AccountStats{}, false
	}
	return a.snapshotStats(key, m), true
}

// inOrder returns a copy of keys and the values m holds for them, in that order; the caller
// holds the lock that guards both.
func inOrder[V any](keys []string, m map[string]V) ([]string, []V) {
	keys = append([]string(nil), keys...)
	vs := make([]V, len(keys))
	for i, k := range keys {
		vs[i] = m[k]
	}
	return keys, vs
}

// Stats returns every account's counters and the replies that reached none. Under a Provider
// an account is a key in one pool, named "key (pool)".
func (m *Ledger) Stats() Stats {
	if m.prov != nil {
		s := m.prov.stats()
		m.unkeyMu.Lock()
		for k, n := range m.unkeyed.asMap() {
			s.Unkeyed[k] += n
		}
		m.unkeyMu.Unlock()
		return s
	}
	m.mu.RLock()
	keys, accts := inOrder(m.order, m.accounts)
	m.mu.RUnlock()
	s := Stats{Accounts: make([]AccountStats, len(keys))}
	for i, a := range accts {
		s.Accounts[i] = a.snapshotStats(keys[i], m)
	}
	m.unkeyMu.Lock()
	s.Unkeyed = m.unkeyed.asMap()
	m.unkeyMu.Unlock()
	return s
}

// CountUnkeyed counts a reply that reached no account (the HTTP front end's 4xx among them).
func (m *Ledger) CountUnkeyed(status int) {
	m.unkeyMu.Lock()
	m.unkeyed.add(status)
	m.unkeyMu.Unlock()
}
