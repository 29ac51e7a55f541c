package presets

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Enumerations of the schema, in the order messages list them.
var (
	algorithms    = []string{"token-bucket", "leaky-bucket", "fixed-window", "sliding-log", "sliding-window", "gcra"}
	dialects      = []string{"anthropic", "openai", "azure", "none"}
	resetFormats  = []string{"rfc3339", "go-duration", "seconds", "none"}
	tokenKinds    = []string{"input", "cache_creation", "cache_read"}
	charges       = []string{"generated", "reserved", "none"}
	settles       = []string{"actual", "reserved"}
	hintPlaces    = []string{"header", "body", "message"}
	hintFormats   = []string{"seconds", "milliseconds", "http-date", "go-duration", "protobuf-duration"}
	sourceKinds   = []string{"primary", "secondary"}
	scopeUnits    = []string{"organization", "project", "deployment", "account-region"}
	poolKinds     = []string{"class", "model"}
	resetPeriods  = []string{"day", "month"}
	terminalCause = []string{"spend-cap", "insufficient-quota", "daily-quota", "request-too-large", "missing-version", "invalid-version"}
	passingCause  = []string{"rate-limit", "overloaded", "capacity", "model-not-ready"}
)

var (
	nameRE     = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]*$`)
	dateRE     = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)
	endpointRE = regexp.MustCompile(`^(GET|POST|PUT|DELETE|PATCH) /\S*$`)
	clockRE    = regexp.MustCompile(`^([01]\d|2[0-3]):[0-5]\d$`)
)

// validator collects every problem of one decoded file with its position.
type validator struct {
	file     string
	root     *yaml.Node
	p        *Preset
	problems []Problem
}

func (v *validator) fail(at path, format string, args ...any) {
	v.problems = append(v.problems, Problem{File: v.file, Line: lineOf(v.root, at), Path: at.String(), Msg: fmt.Sprintf(format, args...)})
}

// oneOf checks that s is one of valid.
func (v *validator) oneOf(at path, s string, valid []string) bool {
	if slices.Contains(valid, s) {
		return true
	}
	if s == "" {
		v.fail(at, "missing: want one of %s", strings.Join(valid, ", "))
	} else {
		v.fail(at, "%q is not one of %s%s", s, strings.Join(valid, ", "), didYouMean(s, valid))
	}
	return false
}

func (v *validator) need(at path, s string) {
	if strings.TrimSpace(s) == "" {
		v.fail(at, "missing")
	}
}

func (v *validator) date(at path, s string) {
	if _, err := time.Parse(time.DateOnly, s); err != nil || !dateRE.MatchString(s) {
		v.fail(at, "%q is not a date like 2026-12-07", s)
	}
}

// name checks an identifier and that it is not taken yet.
func (v *validator) name(at path, s string, seen map[string]bool) {
	switch {
	case !nameRE.MatchString(s):
		v.fail(at, "%q is not a name of lower-case letters, digits, '.' and '-'", s)
	case seen[s]:
		v.fail(at, "%q is given twice", s)
	}
	seen[s] = true
}

func (v *validator) preset() {
	p := v.p
	if p.Schema != Schema {
		v.fail(path{"schema"}, "%q: want %s", p.Schema, Schema)
	}
	v.name(path{"name"}, p.Name, map[string]bool{})
	v.need(path{"provider"}, p.Provider)
	v.need(path{"summary"}, p.Summary)
	v.date(path{"version"}, p.Version)
	v.sources()
	v.provenance()
	v.api()
	v.oneOf(path{"scope", "unit"}, p.Scope.Unit, scopeUnits)
	v.oneOf(path{"scope", "pool"}, p.Scope.Pool, poolKinds)
	v.classes()
	v.tiers()
	v.enforcement()
	v.accounting()
	v.headers()
	v.errors()
	v.retryHints()
}

func (v *validator) sources() {
	if len(v.p.Sources) == 0 {
		v.fail(path{"sources"}, "missing: every rule names one of the preset's sources")
	}
	seen := map[string]bool{}
	for i, s := range v.p.Sources {
		at := path{"sources", i}
		v.name(at.key("id"), s.ID, seen)
		if !strings.HasPrefix(s.URL, "https://") || strings.ContainsAny(s.URL, " \t\n") {
			v.fail(at.key("url"), "%q is not an https:// link", s.URL)
		}
		v.need(at.key("title"), s.Title)
		v.date(at.key("checked"), s.Checked)
		if s.Checked > v.p.Version && dateRE.MatchString(s.Checked) {
			v.fail(at.key("checked"), "%s is after the preset's version %s", s.Checked, v.p.Version)
		}
		v.oneOf(at.key("kind"), s.Kind, sourceKinds)
	}
}

// provenance checks that every rule names a source, and explains what is not the provider's word.
func (v *validator) provenance() {
	var ids []string
	for _, s := range v.p.Sources {
		ids = append(ids, s.ID)
	}
	for _, r := range v.p.rules() {
		switch {
		case r.prov.Source == "":
			v.fail(r.path.key("source"), "missing: name the source this rule was read from (sources: %s)", strings.Join(ids, ", "))
		case v.p.Source(r.prov.Source) == nil:
			v.fail(r.path.key("source"), "%q is not a source id%s (sources: %s)", r.prov.Source, didYouMean(r.prov.Source, ids), strings.Join(ids, ", "))
		}
		if (r.prov.Illustrative || r.prov.Unverified) && strings.TrimSpace(r.prov.Note) == "" {
			v.fail(r.path.key("note"), "missing: an illustrative or unverified rule says why in a note")
		}
	}
}

func (v *validator) api() {
	a := v.p.API
	if len(a.Endpoints) == 0 {
		v.fail(path{"api", "endpoints"}, "missing")
	}
	for i, e := range a.Endpoints {
		if !endpointRE.MatchString(e) {
			v.fail(path{"api", "endpoints", i}, "%q is not like \"POST /v1/messages\"", e)
		}
	}
	v.need(path{"api", "auth"}, a.Auth)
	for i, r := range a.Required {
		at := path{"api", "required", i}
		v.need(at.key("header"), r.Header)
		v.errorRef(at.key("missing"), r.Missing, true)
		if len(r.Values) > 0 || r.Invalid != "" {
			v.errorRef(at.key("invalid"), r.Invalid, true)
		}
	}
}

// errorRef checks that id names an error template.
func (v *validator) errorRef(at path, id string, required bool) {
	if id == "" && !required {
		return
	}
	if v.p.Error(id) == nil {
		var ids []string
		for _, e := range v.p.Errors {
			ids = append(ids, e.ID)
		}
		v.fail(at, "%q is not an error template id%s (errors: %s)", id, didYouMean(id, ids), strings.Join(ids, ", "))
	}
}

func (v *validator) classes() {
	p := v.p
	if len(p.Classes) == 0 {
		v.fail(path{"classes"}, "missing: at least one model class")
	}
	seen, ids, prefixes := map[string]bool{}, map[string]string{}, map[string]string{}
	names := v.classNames()
	pools := map[string]bool{}
	for i, c := range p.Classes {
		at := path{"classes", i}
		v.name(at.key("name"), c.Name, seen)
		v.need(at.key("description"), c.Description)
		if len(c.Models)+len(c.Prefixes) == 0 && c.Name != p.Models.Fallback {
			v.fail(at, "class %s names no models or prefixes", c.Name)
		}
		for j, m := range c.Models {
			v.modelID(at.key("models").idx(j), m, c.Name, ids)
		}
		for j, m := range c.Prefixes {
			v.modelID(at.key("prefixes").idx(j), m, c.Name, prefixes)
		}
		if c.Pool != "" {
			if p.Scope.Pool == "model" && c.Pool != c.Name {
				v.fail(at.key("pool"), "classes share pools only with scope.pool: class (this preset's budgets are per model)")
			}
			if !slices.Contains(names, c.Pool) {
				v.fail(at.key("pool"), "%q is not a class name%s", c.Pool, didYouMean(c.Pool, names))
			}
		}
		pools[c.pool()] = true
		v.kinds(at.key("input_counts"), c.InputCounts, false)
		if c.OutputBurndown < 0 {
			v.fail(at.key("output_burndown"), "%g: want 1 or more (or leave it out)", c.OutputBurndown)
		}
		if c.CapacityUnit != nil && (c.CapacityUnit.TPM <= 0 || c.CapacityUnit.RPM <= 0) {
			v.fail(at.key("capacity_unit"), "want positive tpm and rpm")
		}
	}
	if !slices.Contains(names, p.Models.Fallback) {
		v.fail(path{"models", "fallback"}, "%q is not a class name%s (classes: %s)", p.Models.Fallback, didYouMean(p.Models.Fallback, names), strings.Join(names, ", "))
	}
	for i, s := range p.Models.StripPrefixes {
		if s == "" || s != strings.ToLower(s) {
			v.fail(path{"models", "strip_prefixes", i}, "%q: want a non-empty lower-case prefix", s)
		}
	}
}

// modelID checks a model id or prefix and that no other class claims it.
func (v *validator) modelID(at path, id, class string, owners map[string]string) {
	switch {
	case id == "" || id != strings.ToLower(id) || strings.ContainsAny(id, " \t"):
		v.fail(at, "%q: want a lower-case model id without spaces", id)
	case owners[id] != "":
		v.fail(at, "%q is claimed by class %s too", id, owners[id])
	default:
		owners[id] = class
	}
}

func (v *validator) classNames() []string {
	var names []string
	for _, c := range v.p.Classes {
		names = append(names, c.Name)
	}
	return names
}

// pool returns the class's pool before resolution fills it in.
func (c *Class) pool() string {
	if c.Pool != "" {
		return c.Pool
	}
	return c.Name
}

// kinds checks a list of token usage kinds.
func (v *validator) kinds(at path, ks []string, required bool) {
	if required && len(ks) == 0 {
		v.fail(at, "missing: want some of %s", strings.Join(tokenKinds, ", "))
	}
	seen := map[string]bool{}
	for i, k := range ks {
		if v.oneOf(at.idx(i), k, tokenKinds) && seen[k] {
			v.fail(at.idx(i), "%q is given twice", k)
		}
		seen[k] = true
	}
}

func (v *validator) tiers() {
	p := v.p
	if len(p.Tiers) == 0 {
		v.fail(path{"tiers"}, "missing: at least one tier")
		return
	}
	seen := map[string]bool{}
	defaults := 0
	var pools []string
	for _, c := range p.Classes {
		if !slices.Contains(pools, c.pool()) {
			pools = append(pools, c.pool())
		}
	}
	fallback := p.Class(p.Models.Fallback)
	for i := range p.Tiers {
		t := &p.Tiers[i]
		at := path{"tiers", i}
		v.name(at.key("name"), t.Name, seen)
		v.need(at.key("description"), t.Description)
		if t.Default {
			defaults++
			if t.Legacy {
				v.fail(at.key("legacy"), "the default tier cannot be a legacy one")
			}
		}
		if t.SpendCap != nil {
			sc := t.SpendCap
			if sc.USDPerMonth <= 0 {
				v.fail(at.key("spend_cap").key("usd_per_month"), "want a positive amount")
			}
			v.errorRef(at.key("spend_cap").key("error"), sc.Error, false)
			v.reset(at.key("spend_cap").key("reset"), sc.Reset)
		}
		for _, pool := range slices.Sorted(maps.Keys(t.Limits)) {
			v.limits(at.key("limits").key(pool), pool, pools, t.Limits[pool])
		}
		var missing []string
		for _, pool := range pools {
			if t.Limits[pool] == nil {
				missing = append(missing, pool)
			}
		}
		switch {
		case t.Default && len(missing) > 0:
			v.fail(at.key("limits"), "the default tier has no limits for %s", strings.Join(missing, ", "))
		case fallback != nil && t.Limits[fallback.pool()] == nil:
			v.fail(at.key("limits"), "no limits for %s, the fallback class (models.fallback)", fallback.pool())
		}
	}
	if defaults != 1 {
		v.fail(path{"tiers"}, "%d tiers are marked default: want exactly one, the lowest published tier", defaults)
	}
}

func (v *validator) limits(at path, pool string, pools []string, l *PoolLimits) {
	if !slices.Contains(pools, pool) {
		v.fail(at, "%q is not a class pool%s (pools: %s)", pool, didYouMean(pool, pools), strings.Join(pools, ", "))
		return
	}
	if l == nil || len(l.Set()) == 0 {
		v.fail(at, "no limits: want some of %s", strings.Join(Dimensions, ", "))
		return
	}
	for _, d := range Dimensions {
		if l.Get(d) < 0 {
			v.fail(at.key(d), "%d: want a positive limit (or leave it out)", l.Get(d))
		}
	}
	for _, c := range v.p.Classes {
		cu := c.CapacityUnit
		if c.pool() != pool || cu == nil || cu.TPM <= 0 || l.TPM == 0 || l.RPM == 0 {
			continue
		}
		if l.RPM*cu.TPM != l.TPM*cu.RPM && !l.Unverified {
			v.fail(at.key("rpm"), "%d RPM for %d TPM breaks class %s's capacity unit (%d RPM per %d TPM): want %g, or mark the entry unverified with a note",
				l.RPM, l.TPM, c.Name, cu.RPM, cu.TPM, float64(l.TPM)*float64(cu.RPM)/float64(cu.TPM))
		}
	}
}

func (v *validator) reset(at path, r *Reset) {
	if r == nil {
		return
	}
	v.oneOf(at.key("every"), r.Every, resetPeriods)
	if !clockRE.MatchString(r.At) {
		v.fail(at.key("at"), "%q is not a time like 00:00", r.At)
	}
	if _, err := time.LoadLocation(r.TimeZone); err != nil || r.TimeZone == "" || r.TimeZone == "Local" {
		v.fail(at.key("time_zone"), "%q is not an IANA time zone like UTC or America/Los_Angeles", r.TimeZone)
	}
}

func (v *validator) enforcement() {
	used := map[string]bool{}
	for _, t := range v.p.Tiers {
		for _, l := range t.Limits {
			if l != nil {
				for _, d := range l.Set() {
					used[d] = true
				}
			}
		}
	}
	covered := map[string]bool{}
	for i, e := range v.p.Enforcement {
		at := path{"enforcement", i}
		if len(e.Dimensions) == 0 {
			v.fail(at.key("dimensions"), "missing: want some of %s", strings.Join(Dimensions, ", "))
		}
		for j, d := range e.Dimensions {
			if v.oneOf(at.key("dimensions").idx(j), d, Dimensions) && covered[d] {
				v.fail(at.key("dimensions").idx(j), "%s is enforced by an earlier entry too", d)
			}
			covered[d] = true
		}
		v.oneOf(at.key("algorithm"), e.Algorithm, algorithms)
		if e.Window <= 0 {
			v.fail(at.key("window"), "missing: the period the limit is stated over (1m, 24h)")
		}
		bucket := slices.Contains([]string{"token-bucket", "gcra", "leaky-bucket"}, e.Algorithm)
		if e.Burst != 0 && !bucket {
			v.fail(at.key("burst"), "a burst applies to bucket algorithms only, not %s", e.Algorithm)
		}
		for j, w := range e.EnforcedOver {
			if e.Window > 0 && w >= e.Window {
				v.fail(at.key("enforced_over").idx(j), "%s is not shorter than the window %s", w.D(), e.Window.D())
			}
		}
		v.reset(at.key("reset"), e.Reset)
	}
	for _, d := range Dimensions {
		if used[d] && !covered[d] {
			v.fail(path{"enforcement"}, "no entry says how %s is enforced", d)
		}
	}
}

func (v *validator) accounting() {
	a := v.p.Accounting
	v.kinds(path{"accounting", "input", "counts"}, a.Input.Counts, true)
	v.need(path{"accounting", "input", "estimate"}, a.Input.Estimate)
	out := path{"accounting", "output"}
	v.oneOf(out.key("charge"), a.Output.Charge, charges)
	switch {
	case a.Output.Charge == "reserved":
		v.oneOf(out.key("settle"), a.Output.Settle, settles)
	case a.Output.Settle != "":
		v.fail(out.key("settle"), "settle applies to reserved output only")
	}
	if a.Output.Burndown < 0 {
		v.fail(out.key("burndown"), "%g: want 1 or more", a.Output.Burndown)
	}
}

func (v *validator) headers() {
	h := v.p.Headers
	at := path{"headers"}
	v.oneOf(at.key("dialect"), h.Dialect, dialects)
	v.oneOf(at.key("reset_format"), h.ResetFormat, resetFormats)
	none := h.Dialect == "none"
	switch {
	case none && (len(h.Names) > 0 || h.ResetFormat != "none"):
		v.fail(at, "dialect none sends no rate-limit headers: leave names out and set reset_format: none")
	case !none && len(h.Names) == 0:
		v.fail(at.key("names"), "missing: the rate-limit headers dialect %s sends", h.Dialect)
	}
	if h.RemainingRounding < 0 {
		v.fail(at.key("remaining_rounding"), "want 0 (exact) or a positive unit")
	}
}
