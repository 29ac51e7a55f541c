package ratelimit

import "time"

// This file reads the IETF RateLimit fields of draft-ietf-httpapi-ratelimit-headers in all their
// historical shapes:
//
//	-08…-11  RateLimit-Policy: "burst";q=100;w=60,"daily";q=1000;w=86400
//	         RateLimit: "burst";r=50;t=30
//	-07      RateLimit: limit=100, remaining=50, reset=5           (a Dictionary)
//	≤ -06    RateLimit-Limit: 100  RateLimit-Remaining: 50  RateLimit-Reset: 5
//	         RateLimit-Policy: 100;w=10, 1000;w=3600               (Integer items)

// maxIETFItems is how many policies and how many RateLimit items one response may name; more
// are ignored (real servers send one to three).
const maxIETFItems = 16

// ietfPolicy is one RateLimit-Policy item.
type ietfPolicy struct {
	name   string
	dim    Dimension
	dimOK  bool // the policy meters something ratelab tracks
	q      int64
	w      int64
	hasW   bool
	legacy bool // an Integer item of the ≤ -06 form (q is the item, name is empty)
}

// ietfLimit is one RateLimit item of the -08+ form.
type ietfLimit struct {
	name string
	r, t int64
	hasT bool
}

// ietfFields is what RateLimit and RateLimit-Policy said.
type ietfFields struct {
	policies [maxIETFItems]ietfPolicy
	np       int
	limits   [maxIETFItems]ietfLimit
	nl       int
	// dict holds the -07 RateLimit dictionary's limit, remaining and reset (delay-seconds).
	dict State
}

// read parses RateLimit-Policy and RateLimit. A field that is not a valid structured field is
// ignored as a whole and counted once; an item without its required parameter (q, r) is
// ignored and counted. RateLimit is read as a List (-08+) and, failing that, as the -07
// Dictionary. Each field is parsed in one pass; what a failed pass collected is dropped.
func (f *ietfFields) read(raw *rawFields, bad *int) {
	if lines := raw.f[slotRateLimitPolicy].vals; len(lines) > 0 {
		itemBad := 0
		if !f.readField(lines, readPolicies, &itemBad) {
			f.np, itemBad = 0, 1
		}
		*bad += itemBad
	}
	lines := raw.f[slotRateLimit].vals
	if len(lines) == 0 {
		return
	}
	itemBad := 0
	if f.readField(lines, readLimits, &itemBad) {
		*bad += itemBad
		return
	}
	f.nl, itemBad = 0, 0
	if !f.readField(lines, readDictionary, &itemBad) {
		f.dict, itemBad = State{}, 1
	}
	*bad += itemBad
}

// What readField collects.
const (
	readPolicies   = iota // RateLimit-Policy List items
	readLimits            // RateLimit List items (-08+)
	readDictionary        // RateLimit Dictionary members (-07)
)

// readField adds every member of the field's lines to f as the given kind and reports whether
// the whole field was well-formed (members before a later syntax error have been added; the
// caller drops them).
func (f *ietfFields) readField(lines []string, kind int, bad *int) bool {
	var m sfMember
	for _, line := range lines {
		p := sfParser{s: line, dict: kind == readDictionary}
		for {
			ok, err := p.next(&m)
			if err != nil {
				return false
			}
			if !ok {
				break
			}
			switch kind {
			case readPolicies:
				f.addPolicy(&m, bad)
			case readLimits:
				f.addLimit(&m, bad)
			default:
				f.addDictMember(&m, bad)
			}
		}
	}
	return true
}

// addPolicy records one RateLimit-Policy item.
func (f *ietfFields) addPolicy(m *sfMember, bad *int) {
	var p ietfPolicy
	switch m.val.kind {
	case sfInteger: // ≤ -06: 100;w=10
		if m.val.num < 0 {
			*bad++
			return
		}
		p.legacy, p.q, p.dim, p.dimOK = true, m.val.num, Requests, true
	case sfString, sfToken:
		p.name = m.val.str
		q, ok := m.param("q")
		if !ok || q.kind != sfInteger || q.num < 0 {
			*bad++
			return
		}
		p.q = q.num
		p.dim, p.dimOK = dimByName(p.name)
		if !p.dimOK {
			// The quota unit decides: requests by default; content-bytes and
			// concurrent-requests are not dimensions ratelab tracks.
			if qu, ok := m.param("qu"); !ok {
				p.dim, p.dimOK = Requests, true
			} else if qu.kind == sfString || qu.kind == sfToken {
				p.dim, p.dimOK = dimByName(qu.str)
			}
		}
	default:
		*bad++
		return
	}
	p.w, p.hasW = m.optInt("w", 1, bad)
	if f.np < maxIETFItems {
		f.policies[f.np] = p
		f.np++
	}
}

// addLimit records one RateLimit item of the -08+ form.
func (f *ietfFields) addLimit(m *sfMember, bad *int) {
	if m.val.kind != sfString && m.val.kind != sfToken {
		*bad++
		return
	}
	r, ok := m.param("r")
	if !ok || r.kind != sfInteger {
		*bad++
		return
	}
	l := ietfLimit{name: m.val.str, r: r.num}
	l.t, l.hasT = m.optInt("t", 0, bad)
	if f.nl < maxIETFItems {
		f.limits[f.nl] = l
		f.nl++
	}
}

// addDictMember records one member of the -07 dictionary limit=…, remaining=…, reset=….
func (f *ietfFields) addDictMember(m *sfMember, bad *int) {
	var flag uint8
	switch m.key {
	case "limit":
		flag = HasLimit
	case "remaining":
		flag = HasRemaining
	case "reset":
		flag = HasReset
	default:
		return
	}
	if m.val.kind != sfInteger || (flag != HasRemaining && m.val.num < 0) {
		*bad++
		return
	}
	switch flag {
	case HasLimit:
		f.dict.Limit = m.val.num
	case HasRemaining:
		f.dict.Remaining = m.val.num
	case HasReset:
		f.dict.Reset, f.dict.ResetKind = secs(m.val.num), ResetDeltaS
	}
	f.dict.Flags |= flag
}

// policy returns the named -08+ policy.
func (f *ietfFields) policy(name string) *ietfPolicy {
	for i := 0; i < f.np; i++ {
		if p := &f.policies[i]; !p.legacy && p.name == name {
			return p
		}
	}
	return nil
}

// current fills dims from the -08+ items and reports whether it found any. Each RateLimit item
// is joined with the RateLimit-Policy item of the same name (which supplies the dimension, the
// quota and the window); an item without a policy is mapped by its own name, else to requests
// (the default quota unit). A policy without a RateLimit item still gives limit and window.
// With several policies for one dimension the most constraining one is kept: the lowest
// remaining wins, a policy with a remaining beats one without, and ties keep the first listed.
func (f *ietfFields) current(dims *[NumDimensions]State) bool {
	got := false
	consider := func(d Dimension, c State) {
		cur := &dims[d]
		switch {
		case !cur.Present():
		case c.Has(HasRemaining) && (!cur.Has(HasRemaining) || c.Remaining < cur.Remaining):
		default:
			return
		}
		*cur, got = c, true
	}
	for i := 0; i < f.nl; i++ {
		l := &f.limits[i]
		var c State
		d := Requests
		if p := f.policy(l.name); p != nil {
			if !p.dimOK {
				continue
			}
			d = p.dim
			c.Limit, c.Flags = p.q, HasLimit
			if p.hasW {
				c.Window, c.Flags = secs(p.w), c.Flags|HasWindow
			}
		} else if nd, ok := dimByName(l.name); ok {
			d = nd
		}
		c.Remaining, c.Flags = l.r, c.Flags|HasRemaining
		if l.hasT {
			c.Reset, c.ResetKind, c.Flags = secs(l.t), ResetDeltaS, c.Flags|HasReset
		}
		consider(d, c)
	}
	for i := 0; i < f.np; i++ {
		p := &f.policies[i]
		if p.legacy || !p.dimOK || f.hasLimit(p.name) {
			continue
		}
		c := State{Limit: p.q, Flags: HasLimit}
		if p.hasW {
			c.Window, c.Flags = secs(p.w), c.Flags|HasWindow
		}
		consider(p.dim, c)
	}
	return got
}

// hasLimit reports whether a RateLimit item is named name.
func (f *ietfFields) hasLimit(name string) bool {
	for i := 0; i < f.nl; i++ {
		if f.limits[i].name == name {
			return true
		}
	}
	return false
}

// legacy fills st (the requests dimension) from the ≤ -06 split fields, falling back on the
// -07 dictionary, and takes the window from the ≤ -06 policy whose quota equals the limit (or
// the first one). RateLimit-Limit may be a bare integer or, as in drafts -00…-02, a list whose
// first member is the limit ("10, 10;w=1, 50;w=60"). It reports whether it found any value.
func (f *ietfFields) legacy(raw *rawFields, base time.Time, st *State, bad *int) bool {
	got := false
	if lines := raw.f[slotLegacy+fieldLimit].vals; len(lines) > 0 {
		var m sfMember
		p := sfParser{s: lines[0]}
		if ok, err := p.next(&m); ok && err == nil && m.val.kind == sfInteger && m.val.num >= 0 {
			st.Limit, st.Flags, got = m.val.num, HasLimit, true
			for _, k := range [2]string{"w", "window"} {
				if w, ok := m.param(k); ok && w.kind == sfInteger && w.num > 0 {
					st.Window, st.Flags = secs(w.num), st.Flags|HasWindow
				}
			}
		} else {
			*bad++
		}
	}
	if v, ok := raw.first(slotLegacy + fieldRemaining); ok {
		if n, ok := parseCount(v); ok {
			st.Remaining, st.Flags, got = n, st.Flags|HasRemaining, true
		} else {
			*bad++
		}
	}
	if v, ok := raw.first(slotLegacy + fieldReset); ok {
		if d, kind, ok := ParseReset(v, base); ok {
			st.Reset, st.ResetKind, st.Flags, got = d, kind, st.Flags|HasReset, true
		} else {
			*bad++
		}
	}
	if f.dict.Present() {
		got = true
		if !st.Has(HasLimit) && f.dict.Has(HasLimit) {
			st.Limit, st.Flags = f.dict.Limit, st.Flags|HasLimit
		}
		if !st.Has(HasRemaining) && f.dict.Has(HasRemaining) {
			st.Remaining, st.Flags = f.dict.Remaining, st.Flags|HasRemaining
		}
		if !st.Has(HasReset) && f.dict.Has(HasReset) {
			st.Reset, st.ResetKind, st.Flags = f.dict.Reset, f.dict.ResetKind, st.Flags|HasReset
		}
	}
	var pick *ietfPolicy
	for i := 0; i < f.np; i++ {
		p := &f.policies[i]
		if !p.legacy {
			continue
		}
		if pick == nil || (st.Has(HasLimit) && p.q == st.Limit && pick.q != st.Limit) {
			pick = p
		}
	}
	if pick != nil {
		got = true
		if !st.Has(HasLimit) {
			st.Limit, st.Flags = pick.q, st.Flags|HasLimit
		}
		if pick.hasW && !st.Has(HasWindow) && pick.q == st.Limit {
			st.Window, st.Flags = secs(pick.w), st.Flags|HasWindow
		}
	}
	return got
}
