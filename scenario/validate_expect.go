package scenario

import (
	"maps"
	"math"
	"slices"

	"github.com/ratelab/ratelab/backoff"
	"github.com/ratelab/ratelab/internal/strictyaml"
	"github.com/ratelab/ratelab/internal/suggest"
	"github.com/ratelab/ratelab/threshold"
)

// algorithmAliases maps the mock's algorithm names to the class inference reports for them.
var algorithmAliases = map[string]string{"gcra": "token-bucket", "sliding-log": "sliding-window"}

func (v *validator) expect() {
	e := v.s.Expect
	if e == nil {
		return
	}
	dims := threshold.Dimensions()
	for i, le := range e.Limits.ByDimension() {
		if le == nil {
			continue
		}
		base := "expect.limits." + dims[i]
		v.cond(base+".effective_per_minute", le.EffectivePerMinute, threshold.Count)
		v.cond(base+".advertised_per_minute", le.AdvertisedPerMinute, threshold.Count)
		v.cond(base+".burst", le.Burst, threshold.Count)
		if a := le.Algorithm; a != "" && !slices.Contains(threshold.Algorithms(), a) {
			if class, ok := algorithmAliases[a]; ok {
				v.add(base+".algorithm", "%s cannot be told apart from %s by its behaviour, and is reported as %s; write %s", a, class, class, class)
			} else {
				v.add(base+".algorithm", "%s", suggest.Unknown("algorithm class", a, threshold.Algorithms()))
			}
		}
	}
	if e.Binding != "" && !slices.Contains(dims, e.Binding) {
		v.add("expect.binding", "%s", suggest.Unknown("dimension", e.Binding, dims))
	}
	v.cond("expect.rate_limited_share", e.RateLimitedShare, threshold.Share)
	v.cond("expect.error_share", e.ErrorShare, threshold.Share)
	v.cond("expect.dropped", e.Dropped, threshold.Count)

	labels, modes, complete := v.compareLabels()
	for _, key := range slices.Sorted(maps.Keys(e.Strategies)) {
		se := e.Strategies[key]
		base := strictyaml.Join("expect.strategies", key)
		switch {
		case len(modes) == 0:
			v.add(base, "no compare phase: strategy thresholds need one")
			continue
		case key != AllStrategies && complete && !slices.Contains(labels, key):
			v.add(base, "%s", suggest.Unknown("strategy label", key, append(labels, AllStrategies)))
		}
		if se.Mode != "" {
			if se.Mode != ModeLive && se.Mode != ModeSim {
				v.add(base+".mode", "%s", suggest.Unknown("mode", se.Mode, []string{ModeLive, ModeSim}))
			} else if !modes[se.Mode] {
				v.add(base+".mode", "no compare phase runs in mode %s", se.Mode)
			}
		}
		n := 0
		for _, m := range se.Metrics() {
			if m.Cond != nil {
				n++
				v.cond(base+"."+m.Key, m.Cond, m.Kind)
			}
		}
		if n == 0 {
			v.add(base, "has no conditions, e.g. p95: \"< 30s\" or amplification: {below: 2}")
		}
	}
}

// compareLabels lists the strategy labels of every compare phase and the modes they run in;
// complete is false when an unexpanded "all" hides some labels.
func (v *validator) compareLabels() (labels []string, modes map[string]bool, complete bool) {
	modes, complete = map[string]bool{}, true
	for _, ph := range v.s.Phases {
		c := ph.Compare
		if c == nil {
			continue
		}
		switch c.Mode {
		case "", ModeLive:
			modes[ModeLive] = true
		case ModeSim:
			modes[ModeSim] = true
		case ModeBoth:
			modes[ModeLive], modes[ModeSim] = true, true
		}
		for _, st := range c.Strategies {
			switch {
			case isAll(st):
				labels = append(labels, backoff.Names()...)
			case st.Label != "":
				labels = append(labels, st.Label)
			default:
				labels = append(labels, st.Name)
			}
		}
	}
	return labels, modes, complete
}

// cond checks a condition's shape and that its quantities suit the metric.
func (v *validator) cond(path string, c *threshold.Condition, kind threshold.Kind) {
	if c == nil {
		return
	}
	parts := c.Parts()
	if len(parts) == 0 {
		v.add(path, "needs a condition such as %s", threshold.ConditionExample)
		return
	}
	if (c.Within == nil) != (c.Of == nil) {
		v.add(path, "within and of go together, e.g. {within: 5%%, of: 50}")
	}
	for _, p := range parts {
		q, pp := p.Q, path+"."+p.Key
		if v.s.src != nil && !v.s.given(pp) {
			pp = path // written in the short form ("< 30s")
		}
		switch {
		case p.Key == "within" && q.Value < 0:
			v.add(pp, "must not be negative")
		case p.Key == "within" && q.Kind == threshold.Percent:
			// a relative tolerance suits every metric
		case kind == threshold.Count && q.Kind != threshold.Number:
			v.add(pp, "must be a plain number here, got %s", q.Text)
		case kind == threshold.Share && q.Kind == threshold.Interval:
			v.add(pp, "must be a fraction (0.1) or a percentage (10%%), got %s", q.Text)
		case kind == threshold.Seconds && q.Kind == threshold.Percent:
			v.add(pp, "must be a duration (30s) or a number of seconds, got %s", q.Text)
		}
	}
	lo, loStrict, hi, hiStrict := math.Inf(-1), false, math.Inf(1), false
	raise := func(q *threshold.Quantity, strict bool) {
		if q != nil && (q.Value > lo || (q.Value == lo && strict)) {
			lo, loStrict = q.Value, strict
		}
	}
	lower := func(q *threshold.Quantity, strict bool) {
		if q != nil && (q.Value < hi || (q.Value == hi && strict)) {
			hi, hiStrict = q.Value, strict
		}
	}
	raise(c.Above, true)
	raise(c.AtLeast, false)
	lower(c.Below, true)
	lower(c.AtMost, false)
	if c.Equals != nil {
		raise(c.Equals, false)
		lower(c.Equals, false)
	}
	if c.Within != nil && c.Of != nil && c.Within.Value >= 0 {
		l, h := c.Bounds()
		raise(&threshold.Quantity{Value: l}, false)
		lower(&threshold.Quantity{Value: h}, false)
	}
	if lo > hi || (lo == hi && (loStrict || hiStrict)) {
		v.add(path, "can never hold: %s", c.String())
	}
}
