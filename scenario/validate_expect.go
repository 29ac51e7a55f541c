package scenario

import (
	"maps"
	"math"
	"slices"

	"github.com/ratelab/ratelab/internal/strictyaml"
	"github.com/ratelab/ratelab/internal/suggest"
)

// AlgorithmClasses are the algorithm classes inference reports (summary.json limits[].algorithm).
var AlgorithmClasses = []string{"token-bucket", "leaky-bucket", "fixed-window", "sliding-window", "unknown"}

// algorithmAliases maps the mock's algorithm names to the class inference reports for them.
var algorithmAliases = map[string]string{"gcra": "token-bucket", "sliding-log": "sliding-window"}

func (v *validator) expect() {
	e := v.s.Expect
	if e == nil {
		return
	}
	for i, le := range e.Limits.byDimension() {
		if le == nil {
			continue
		}
		base := "expect.limits." + Dimensions[i]
		v.cond(base+".effective_per_minute", le.EffectivePerMinute, kindCount)
		v.cond(base+".advertised_per_minute", le.AdvertisedPerMinute, kindCount)
		v.cond(base+".burst", le.Burst, kindCount)
		if a := le.Algorithm; a != "" && !slices.Contains(AlgorithmClasses, a) {
			if class, ok := algorithmAliases[a]; ok {
				v.add(base+".algorithm", "%s cannot be told apart from %s by its behaviour, and is reported as %s; write %s", a, class, class, class)
			} else {
				v.add(base+".algorithm", "%s", suggest.Unknown("algorithm class", a, AlgorithmClasses))
			}
		}
	}
	if e.Binding != "" && !slices.Contains(Dimensions, e.Binding) {
		v.add("expect.binding", "%s", suggest.Unknown("dimension", e.Binding, Dimensions))
	}
	v.cond("expect.rate_limited_share", e.RateLimitedShare, kindShare)
	v.cond("expect.error_share", e.ErrorShare, kindShare)
	v.cond("expect.dropped", e.Dropped, kindCount)

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
		for _, m := range se.metrics() {
			if m.cond != nil {
				n++
				v.cond(base+"."+m.key, m.cond, m.kind)
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
			case isAll(st) && v.opts.Strategies == nil:
				complete = false
			case isAll(st):
				labels = append(labels, v.opts.Strategies...)
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
func (v *validator) cond(path string, c *Condition, kind metricKind) {
	if c == nil {
		return
	}
	parts := c.parts()
	if len(parts) == 0 {
		v.add(path, "needs a condition such as %s", conditionExample)
		return
	}
	if (c.Within == nil) != (c.Of == nil) {
		v.add(path, "within and of go together, e.g. {within: 5%%, of: 50}")
	}
	for _, p := range parts {
		q, pp := p.q, path+"."+p.key
		if v.s.src != nil && !v.s.given(pp) {
			pp = path // written in the short form ("< 30s")
		}
		switch {
		case p.key == "within" && q.Value < 0:
			v.add(pp, "must not be negative")
		case p.key == "within" && q.Kind == Percent:
			// a relative tolerance suits every metric
		case kind == kindCount && q.Kind != Number:
			v.add(pp, "must be a plain number here, got %s", q.Text)
		case kind == kindShare && q.Kind == Interval:
			v.add(pp, "must be a fraction (0.1) or a percentage (10%%), got %s", q.Text)
		case kind == kindSeconds && q.Kind == Percent:
			v.add(pp, "must be a duration (30s) or a number of seconds, got %s", q.Text)
		}
	}
	lo, loStrict, hi, hiStrict := math.Inf(-1), false, math.Inf(1), false
	raise := func(q *Quantity, strict bool) {
		if q != nil && (q.Value > lo || (q.Value == lo && strict)) {
			lo, loStrict = q.Value, strict
		}
	}
	lower := func(q *Quantity, strict bool) {
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
		l, h := c.bounds()
		raise(&Quantity{Value: l}, false)
		lower(&Quantity{Value: h}, false)
	}
	if lo > hi || (lo == hi && (loStrict || hiStrict)) {
		v.add(path, "can never hold: %s", c.String())
	}
}
