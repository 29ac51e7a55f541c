package presets

import (
	"maps"
	"slices"
)

// Rule is one sourced rule of a preset, named by its field path in the file.
type Rule struct {
	Path string
	*Provenance
}

// Rules lists every rule of the preset with its provenance, in file order.
func (p *Preset) Rules() []Rule {
	var out []Rule
	for _, r := range p.rules() {
		out = append(out, Rule{Path: r.path.String(), Provenance: r.prov})
	}
	return out
}

type rule struct {
	path path
	prov *Provenance
}

func (p *Preset) rules() []rule {
	var out []rule
	add := func(pa path, pr *Provenance) { out = append(out, rule{pa, pr}) }
	add(path{"api"}, &p.API.Provenance)
	for i := range p.API.Required {
		add(path{"api", "required", i}, &p.API.Required[i].Provenance)
	}
	add(path{"scope"}, &p.Scope.Provenance)
	add(path{"models"}, &p.Models.Provenance)
	for i := range p.Classes {
		add(path{"classes", i}, &p.Classes[i].Provenance)
	}
	for i := range p.Tiers {
		t := &p.Tiers[i]
		add(path{"tiers", i}, &t.Provenance)
		if t.SpendCap != nil {
			add(path{"tiers", i, "spend_cap"}, &t.SpendCap.Provenance)
		}
		for _, pool := range slices.Sorted(maps.Keys(t.Limits)) {
			if l := t.Limits[pool]; l != nil {
				add(path{"tiers", i, "limits", pool}, &l.Provenance)
			}
		}
	}
	for i := range p.Enforcement {
		add(path{"enforcement", i}, &p.Enforcement[i].Provenance)
	}
	add(path{"accounting", "input"}, &p.Accounting.Input.Provenance)
	add(path{"accounting", "output"}, &p.Accounting.Output.Provenance)
	add(path{"accounting", "rejected"}, &p.Accounting.Rejected.Provenance)
	add(path{"headers"}, &p.Headers.Provenance)
	for i := range p.RetryHints {
		add(path{"retry_hints", i}, &p.RetryHints[i].Provenance)
	}
	for i := range p.Errors {
		add(path{"errors", i}, &p.Errors[i].Provenance)
	}
	return out
}

// inherit completes a tier's limits entries from the tier: the tier's source when the entry
// names none, its note when the entry has none, and its illustrative and unverified marks.
func (p *Preset) inherit() {
	for i := range p.Tiers {
		t := &p.Tiers[i]
		for _, l := range t.Limits {
			if l == nil {
				continue
			}
			if l.Source == "" {
				l.Source = t.Source
			}
			if l.Note == "" {
				l.Note = t.Note
			}
			l.Illustrative = l.Illustrative || t.Illustrative
			l.Unverified = l.Unverified || t.Unverified
		}
	}
}

// resolve fills the defaults of a valid preset and links sources and tiers.
func (p *Preset) resolve() {
	for _, r := range p.rules() {
		r.prov.ref = p.Source(r.prov.Source)
	}
	for i := range p.Tiers {
		p.Tiers[i].preset = p
	}
	if p.Accounting.Output.Burndown == 0 {
		p.Accounting.Output.Burndown = 1
	}
	for i := range p.Classes {
		c := &p.Classes[i]
		if c.Pool == "" {
			c.Pool = c.Name
		}
		if len(c.InputCounts) == 0 {
			c.InputCounts = slices.Clone(p.Accounting.Input.Counts)
		}
		if c.OutputBurndown == 0 {
			c.OutputBurndown = p.Accounting.Output.Burndown
		}
	}
}
