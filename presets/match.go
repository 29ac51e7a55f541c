package presets

import (
	"strings"
	"time"
	_ "time/tzdata" // quota resets name IANA zones (Gemini's is America/Los_Angeles); do not depend on the host's zoneinfo
)

// ModelClass is the class a model belongs to under one tier, with the limits that apply to it.
type ModelClass struct {
	*Class
	// Pool keys the budget the request draws from: the class's pool when the preset's scope is
	// per class, the (normalized) model id when each model has its own budget.
	Pool string
	// Limits are the tier's limits for the class's pool.
	Limits Limits
	// Entry is the tier's limits entry the figures come from, with its source.
	Entry *PoolLimits
	// Fallback is true when no class names the model; Class is then the preset's fallback.
	Fallback bool
	// Borrowed is true when the tier has no figures for the class (a model newer than a legacy
	// tier); Limits are then the fallback class's, applied to the class's own pool.
	Borrowed bool
}

// ClassFor returns the class of model under this tier: an exact model id first, else the
// longest matching prefix, after lower-casing and removing the preset's strip_prefixes. A
// model no class names gets the preset's fallback class (models.fallback), with Fallback set.
func (t *Tier) ClassFor(model string) ModelClass {
	p := t.preset
	id := strings.ToLower(strings.TrimSpace(model))
	for _, s := range p.Models.StripPrefixes {
		if rest, ok := strings.CutPrefix(id, s); ok {
			id = rest
			break
		}
	}
	var class *Class
	best := -1
	for i := range p.Classes {
		c := &p.Classes[i]
		for _, m := range c.Models {
			if m == id {
				class, best = c, len(id)+1 // an exact id beats any prefix
			}
		}
		for _, pre := range c.Prefixes {
			if len(pre) > best && strings.HasPrefix(id, pre) {
				class, best = c, len(pre)
			}
		}
	}
	mc := ModelClass{Class: class}
	if class == nil {
		mc.Class, mc.Fallback = p.Class(p.Models.Fallback), true
	}
	mc.Pool = mc.Class.Pool
	if p.Scope.Pool == "model" {
		mc.Pool = id
	}
	mc.Entry = t.Limits[mc.Class.Pool]
	if mc.Entry == nil {
		mc.Entry, mc.Borrowed = t.Limits[p.Class(p.Models.Fallback).Pool], true
	}
	mc.Limits = mc.Entry.Limits
	return mc
}

// Next returns the first reset instant strictly after t.
func (r *Reset) Next(t time.Time) (time.Time, error) {
	loc, err := time.LoadLocation(r.TimeZone)
	if err != nil {
		return time.Time{}, err
	}
	hh, mm := 0, 0
	if len(r.At) == 5 {
		hh, mm = int(r.At[0]-'0')*10+int(r.At[1]-'0'), int(r.At[3]-'0')*10+int(r.At[4]-'0')
	}
	local := t.In(loc)
	y, m, d := local.Date()
	switch r.Every {
	case "month":
		next := time.Date(y, m, 1, hh, mm, 0, 0, loc)
		if !next.After(t) {
			next = time.Date(y, m+1, 1, hh, mm, 0, 0, loc)
		}
		return next, nil
	default: // day
		next := time.Date(y, m, d, hh, mm, 0, 0, loc)
		if !next.After(t) {
			next = time.Date(y, m, d+1, hh, mm, 0, 0, loc)
		}
		return next, nil
	}
}
