package presets

import (
	"fmt"
	"slices"
	"time"

	"github.com/ratelab/ratelab/account"
	"github.com/ratelab/ratelab/limiter"
)

// Apply resolves spec (NAME or NAME:TIER) and sets cfg to the tier's rules: the fallback
// class's limits as cfg.Limits, every class with its pool, limits, daily limits and accounting
// as cfg.Provider, the header dialect, and whether refused requests count. Settings Apply does
// not touch (latency, faults, keys) keep their values; a caller that lets flags override the
// preset applies them afterwards (and to every class, see SetClassLimits).
func Apply(cfg *account.Config, spec string) error {
	tier, err := Lookup(spec)
	if err != nil {
		return err
	}
	p := tier.Preset()
	prov := &account.Provider{Name: p.Name, Spec: tier.Spec()}
	fallback := 0
	for i := range p.Classes {
		c := &p.Classes[i]
		entry := tier.Limits[c.Pool]
		if entry == nil {
			entry = tier.Limits[p.Class(p.Models.Fallback).Pool]
		}
		ac, err := p.accountClass(c, entry.Limits)
		if err != nil {
			return fmt.Errorf("preset %s, class %s: %w", tier.Spec(), c.Name, err)
		}
		prov.Classes = append(prov.Classes, ac)
		if c.Name == p.Models.Fallback {
			fallback = i
		}
	}
	prov.Classify = func(model string) (int, string) {
		mc := tier.ClassFor(model)
		for i := range p.Classes {
			if &p.Classes[i] == mc.Class {
				return i, mc.Pool
			}
		}
		return fallback, mc.Pool
	}
	cfg.Preset = tier.Spec()
	cfg.Provider = prov
	cfg.Limits.Requests = prov.Classes[fallback].Limits.Requests
	cfg.Limits.Tokens = prov.Classes[fallback].Limits.Tokens
	cfg.Limits.InputTokens = prov.Classes[fallback].Limits.InputTokens
	cfg.Limits.OutputTokens = prov.Classes[fallback].Limits.OutputTokens
	cfg.OutputAccounting = prov.Classes[fallback].OutputAccounting
	cfg.CountRejected = p.Accounting.Rejected.Counted
	switch p.Headers.Dialect {
	case "anthropic", "openai":
		cfg.Dialect = p.Headers.Dialect
	case "azure":
		cfg.Dialect = "openai" // the mock rewrites the resets in seconds and adds retry-after-ms
	default:
		cfg.Dialect = "none"
	}
	return nil
}

// accountClass is class c under limits l, as the account model takes it.
func (p *Preset) accountClass(c *Class, l Limits) (account.Class, error) {
	ac := account.Class{
		Name:           c.Name,
		RequestsPerDay: l.RPD,
		TokensPerDay:   l.TPD,
		InputCounts:    c.InputCounts,
		OutputBurndown: c.OutputBurndown,
	}
	switch out := p.Accounting.Output; {
	case out.Charge == "reserved" && out.Settle == "reserved":
		ac.OutputAccounting = account.AccountMaxTokens
	case out.Charge == "reserved":
		ac.OutputAccounting = account.AccountReserved
	default:
		ac.OutputAccounting = account.AccountActual
	}
	for _, d := range []struct {
		dim string
		n   int64
		dst *account.Limit
	}{{"rpm", l.RPM, &ac.Limits.Requests}, {"tpm", l.TPM, &ac.Limits.Tokens}, {"itpm", l.ITPM, &ac.Limits.InputTokens}, {"otpm", l.OTPM, &ac.Limits.OutputTokens}} {
		if d.n == 0 {
			continue
		}
		*d.dst = account.Limit{PerMinute: d.n}
		if e := p.EnforcementFor(d.dim); e != nil {
			alg, err := limiter.ParseAlgorithm(e.Algorithm)
			if err != nil {
				return ac, err
			}
			d.dst.Algorithm, d.dst.Window = alg, p.windowFor(d.dim, d.n)
		}
	}
	for _, dim := range []string{"rpd", "tpd"} {
		if e := p.EnforcementFor(dim); e != nil {
			alg, err := limiter.ParseAlgorithm(e.Algorithm)
			if err != nil {
				return ac, err
			}
			ac.DailyAlgorithm = alg
			if r := e.Reset; r != nil && r.Every == "day" {
				ac.DailyReset = func(t time.Time) time.Time {
					next, err := r.Next(t)
					if err != nil { // validated zone; cannot happen
						return t.Add(24 * time.Hour)
					}
					return next
				}
			}
		}
	}
	return ac, nil
}

// windowFor is the window a limit of n per minute on dimension dim is enforced over: the
// enforcement entry's, or for a window limit the provider enforces over shorter periods
// (Azure's requests, "typically 1 or 10 seconds") the longest of them that admits at least one
// request.
func (p *Preset) windowFor(dim string, n int64) time.Duration {
	e := p.EnforcementFor(dim)
	if e == nil {
		return 0
	}
	w := e.Window.D()
	if e.Algorithm == string(limiter.FixedWindow) && len(e.EnforcedOver) > 0 {
		if short := slices.Max(e.EnforcedOver).D(); n*int64(short)/int64(time.Minute) >= 1 {
			w = short
		}
	}
	return w
}

// SetClassLimits sets one per-minute limit (rpm, tpm, itpm or otpm) or daily limit (rpd, tpd)
// of every class of cfg's provider, as a flag given with --preset does. A TPM set on a class
// with an Azure capacity unit sets its RPM too (6 RPM per 1,000 TPM for gpt-4o); set tpm
// before rpm to give both.
func SetClassLimits(cfg *account.Config, dim string, n int64) {
	if cfg.Provider == nil {
		return
	}
	var p *Preset
	if tier, err := Lookup(cfg.Provider.Spec); err == nil {
		p = tier.Preset()
	}
	for i := range cfg.Provider.Classes {
		c := &cfg.Provider.Classes[i]
		switch dim {
		case "rpm":
			c.Limits.Requests.PerMinute = n
			if p != nil {
				c.Limits.Requests.Window = p.windowFor("rpm", n)
			}
		case "tpm":
			c.Limits.Tokens.PerMinute = n
			if p != nil && i < len(p.Classes) && p.Classes[i].CapacityUnit != nil && c.Limits.Requests.PerMinute > 0 {
				cu := p.Classes[i].CapacityUnit
				c.Limits.Requests.PerMinute = max(n*cu.RPM/cu.TPM, 1)
				c.Limits.Requests.Window = p.windowFor("rpm", c.Limits.Requests.PerMinute)
			}
		case "itpm":
			c.Limits.InputTokens.PerMinute = n
		case "otpm":
			c.Limits.OutputTokens.PerMinute = n
		case "rpd":
			c.RequestsPerDay = n
		case "tpd":
			c.TokensPerDay = n
		}
	}
}
