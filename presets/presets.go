// Package presets holds the rate-limit rules of the providers ratelab models (Anthropic,
// OpenAI, Azure OpenAI, Gemini, Bedrock) as data: one versioned YAML file per provider,
// embedded in the binary, with every rule naming the documentation page it was read from and
// the date it was checked. The mock, the simulator and inference read a preset's tiers,
// per-model-class limits, accounting, headers and error bodies from here instead of code.
package presets

import (
	"embed"
	"fmt"
	"io/fs"
	"slices"
	"strings"
)

// files holds the bundled presets, one <name>.yaml each.
//
//go:embed *.yaml
var files embed.FS

// Names returns the names of the bundled presets, sorted.
func Names() []string {
	list, _ := fs.Glob(files, "*.yaml")
	for i, f := range list {
		list[i] = strings.TrimSuffix(f, ".yaml")
	}
	return list
}

// All decodes and validates every bundled preset, in Names order. Each call returns fresh
// values the caller may change.
func All() ([]*Preset, error) {
	var out []*Preset
	for _, name := range Names() {
		p, err := Get(name)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

// Get decodes and validates the bundled preset name ("anthropic").
func Get(name string) (*Preset, error) {
	names := Names()
	if !slices.Contains(names, name) {
		return nil, fmt.Errorf("unknown preset %q%s (presets: %s)", name, didYouMean(name, names), strings.Join(names, ", "))
	}
	file := name + ".yaml"
	data, err := files.ReadFile(file)
	if err != nil {
		return nil, err
	}
	return Decode(file, data)
}

// Lookup resolves a --preset value, NAME or NAME:TIER ("anthropic", "anthropic:build"), to its
// tier; a bare name gives the preset's default tier. Its errors name the valid presets or
// tiers and the closest one.
func Lookup(spec string) (*Tier, error) {
	name, tier, hasTier := strings.Cut(strings.TrimSpace(spec), ":")
	if name == "" {
		return nil, fmt.Errorf("preset %q: want NAME or NAME:TIER (presets: %s)", spec, strings.Join(Names(), ", "))
	}
	p, err := Get(name)
	if err != nil {
		return nil, err
	}
	if !hasTier {
		return p.DefaultTier(), nil
	}
	return p.Tier(tier)
}

// DefaultTier returns the tier marked default: the provider's lowest published tier.
func (p *Preset) DefaultTier() *Tier {
	for i := range p.Tiers {
		if p.Tiers[i].Default {
			return &p.Tiers[i]
		}
	}
	return nil // validation guarantees one
}

// Tier returns the tier called name.
func (p *Preset) Tier(name string) (*Tier, error) {
	var names []string
	for i := range p.Tiers {
		if p.Tiers[i].Name == name {
			return &p.Tiers[i], nil
		}
		names = append(names, p.Tiers[i].Name)
	}
	if name == "" {
		return nil, fmt.Errorf("preset %s: empty tier after ':' (tiers: %s)", p.Name, p.tierList())
	}
	return nil, fmt.Errorf("preset %s has no tier %q%s (tiers: %s)", p.Name, name, didYouMean(name, names), p.tierList())
}

// tierList names the tiers for a message: "evaluation, start (default), …, tier-1-2025 (legacy)".
func (p *Preset) tierList() string {
	parts := make([]string, len(p.Tiers))
	for i, t := range p.Tiers {
		parts[i] = t.Name
		switch {
		case t.Default:
			parts[i] += " (default)"
		case t.Legacy:
			parts[i] += " (legacy)"
		}
	}
	return strings.Join(parts, ", ")
}

// Class returns the class called name, or nil.
func (p *Preset) Class(name string) *Class {
	for i := range p.Classes {
		if p.Classes[i].Name == name {
			return &p.Classes[i]
		}
	}
	return nil
}

// Source returns the source with id, or nil.
func (p *Preset) Source(id string) *Source {
	for i := range p.Sources {
		if p.Sources[i].ID == id {
			return &p.Sources[i]
		}
	}
	return nil
}

// Error returns the error template with id, or nil.
func (p *Preset) Error(id string) *ErrorTemplate {
	for i := range p.Errors {
		if p.Errors[i].ID == id {
			return &p.Errors[i]
		}
	}
	return nil
}

// ErrorFor returns the template to send for cause (and, when given, the exhausted limit
// dimension): the first of that cause whose dimensions include dim, else the first of that
// cause with no dimensions, else the first of that cause; nil when the preset has none.
func (p *Preset) ErrorFor(cause, dim string) *ErrorTemplate {
	var general, first *ErrorTemplate
	for i := range p.Errors {
		e := &p.Errors[i]
		if e.Cause != cause {
			continue
		}
		if dim != "" && slices.Contains(e.Dimensions, dim) {
			return e
		}
		if general == nil && len(e.Dimensions) == 0 {
			general = e
		}
		if first == nil {
			first = e
		}
	}
	if general != nil {
		return general
	}
	return first
}

// EnforcementFor returns how dimension dim is enforced, or nil.
func (p *Preset) EnforcementFor(dim string) *Enforcement {
	for i := range p.Enforcement {
		if slices.Contains(p.Enforcement[i].Dimensions, dim) {
			return &p.Enforcement[i]
		}
	}
	return nil
}

// Info is one line of the preset listing.
type Info struct {
	Name     string     `json:"name"`
	Provider string     `json:"provider"`
	Version  string     `json:"version"`
	Tiers    []TierInfo `json:"tiers"`
	Sources  []Source   `json:"sources"`
}

// TierInfo describes one tier in a listing.
type TierInfo struct {
	Name         string `json:"name"`
	Default      bool   `json:"default,omitempty"`
	Legacy       bool   `json:"legacy,omitempty"`
	Illustrative bool   `json:"illustrative,omitempty"` // its figures are not the provider's published ones
}

// List describes every bundled preset for `ratelab presets`: name, provider, version, tiers
// and sources.
func List() ([]Info, error) {
	all, err := All()
	if err != nil {
		return nil, err
	}
	out := make([]Info, len(all))
	for i, p := range all {
		info := Info{Name: p.Name, Provider: p.Provider, Version: p.Version, Sources: p.Sources}
		for _, t := range p.Tiers {
			info.Tiers = append(info.Tiers, TierInfo{Name: t.Name, Default: t.Default, Legacy: t.Legacy, Illustrative: t.Illustrative})
		}
		out[i] = info
	}
	return out, nil
}
