package workload

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Rate is a request rate: Hits per Per. "20/s" is Rate{20, time.Second}; "5/500ms" is
// Rate{5, 500 * time.Millisecond}.
type Rate struct {
	Hits float64
	Per  time.Duration
}

// PerSecond returns the rate in hits per second: Hits / Per.
func (r Rate) PerSecond() float64 {
	if r.Per <= 0 {
		return 0
	}
	return r.Hits / r.Per.Seconds()
}

// String writes the rate in the form ParseRate reads: 20/s, 1200/m, 5/500ms.
func (r Rate) String() string {
	n := strconv.FormatFloat(r.Hits, 'g', -1, 64)
	switch r.Per {
	case time.Second:
		return n + "/s"
	case time.Minute:
		return n + "/m"
	case time.Hour:
		return n + "/h"
	}
	return n + "/" + r.Per.String()
}

// rateExample is the valid form quoted by every rate parsing error.
const rateExample = "hits per time unit such as 20/s, 1200/m, 5/500ms, or a bare number per second"

// MaxRatePerSecond bounds a parsed rate; anything above is a typo, not a load test.
const MaxRatePerSecond = 1e7

// ParseRate reads a rate: "N/s", "N/m", "N/h", "N/<duration>" (N/1s, N/500ms) or a bare N, which
// means N per second. N is a non-negative decimal number.
func ParseRate(s string) (Rate, error) {
	str := strings.TrimSpace(s)
	num, unit, hasUnit := strings.Cut(str, "/")
	num = strings.TrimSpace(num)
	if num == "" {
		return Rate{}, fmt.Errorf("invalid rate %q: no number; want %s", s, rateExample)
	}
	hits, err := strconv.ParseFloat(num, 64)
	if err != nil || math.IsNaN(hits) || math.IsInf(hits, 0) {
		return Rate{}, fmt.Errorf("invalid rate %q: %q is not a number; want %s", s, num, rateExample)
	}
	if hits < 0 {
		return Rate{}, fmt.Errorf("invalid rate %q: negative; want %s", s, rateExample)
	}
	per := time.Second
	if hasUnit {
		per, err = parsePer(strings.TrimSpace(unit))
		if err != nil {
			return Rate{}, fmt.Errorf("invalid rate %q: %v; want %s", s, err, rateExample)
		}
	}
	r := Rate{Hits: hits, Per: per}
	if r.PerSecond() > MaxRatePerSecond {
		return Rate{}, fmt.Errorf("invalid rate %q: above %g per second; want %s", s, MaxRatePerSecond, rateExample)
	}
	return r, nil
}

// parsePer reads the time unit after the slash: a bare unit (s, m, h, ms, min) or a duration.
func parsePer(u string) (time.Duration, error) {
	switch u {
	case "":
		return 0, fmt.Errorf("no time unit after /")
	case "s", "sec":
		return time.Second, nil
	case "m", "min":
		return time.Minute, nil
	case "h":
		return time.Hour, nil
	case "ms", "us", "µs", "ns":
		u = "1" + u
	}
	d, err := time.ParseDuration(u)
	if err != nil {
		return 0, fmt.Errorf("unknown time unit %q", u)
	}
	if d <= 0 {
		return 0, fmt.Errorf("time unit %q is not positive", u)
	}
	return d, nil
}

// Stage is one k6-style stage: over Duration the rate moves linearly from the previous stage's
// target (or the start rate) to Target.
type Stage struct {
	Duration time.Duration
	Target   Rate
}

// String writes the stage as ParseStages reads it: 30s:20/s.
func (s Stage) String() string { return s.Duration.String() + ":" + s.Target.String() }

const stagesExample = "comma-separated DURATION:RATE stages such as 30s:5/s,60s:20/s"

// MaxStages bounds the number of stages one --stages flag may hold.
const MaxStages = 1000

// ParseStages reads k6-style stages: "30s:5/s,60s:20/s" ramps linearly from the start rate to
// 5/s over 30 s, then to 20/s over the next 60 s. Every duration must be positive.
func ParseStages(s string) ([]Stage, error) {
	if strings.TrimSpace(s) == "" {
		return nil, fmt.Errorf("invalid stages %q: empty; want %s", s, stagesExample)
	}
	parts := strings.Split(s, ",")
	if len(parts) > MaxStages {
		return nil, fmt.Errorf("invalid stages: %d stages, at most %d", len(parts), MaxStages)
	}
	stages := make([]Stage, 0, len(parts))
	var total time.Duration
	for i, p := range parts {
		p = strings.TrimSpace(p)
		d, r, ok := strings.Cut(p, ":")
		if !ok {
			return nil, fmt.Errorf("invalid stage %d %q: no ':' between duration and rate; want %s", i+1, p, stagesExample)
		}
		dur, err := time.ParseDuration(strings.TrimSpace(d))
		if err != nil || dur <= 0 {
			return nil, fmt.Errorf("invalid stage %d %q: duration %q is not a positive duration; want %s", i+1, p, d, stagesExample)
		}
		if total+dur < total {
			return nil, fmt.Errorf("invalid stage %d %q: total duration overflows", i+1, p)
		}
		total += dur
		rate, err := ParseRate(r)
		if err != nil {
			return nil, fmt.Errorf("invalid stage %d %q: %v", i+1, p, err)
		}
		stages = append(stages, Stage{Duration: dur, Target: rate})
	}
	return stages, nil
}

// FormatStages writes stages as ParseStages reads them.
func FormatStages(stages []Stage) string {
	parts := make([]string, len(stages))
	for i, s := range stages {
		parts[i] = s.String()
	}
	return strings.Join(parts, ",")
}
