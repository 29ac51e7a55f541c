package account

import (
	"strconv"

	"github.com/ratelab/ratelab/limiter"
)

// Describe returns one line per enforced dimension, e.g.
// "requests: 50 per 1m0s (token-bucket, burst 50)", for the CLI to print.
func (c *Config) Describe() ([]string, error) {
	r, err := c.resolve()
	if err != nil {
		return nil, err
	}
	var lines []string
	for d := range numMockDims {
		s := r.dims[d]
		if !s.on {
			lines = append(lines, d.String()+": off")
			continue
		}
		line := d.String() + ": " + s.describe()
		if s.advertise != nil {
			line += "; advertised as " + s.advertise.describe()
		}
		lines = append(lines, line)
	}
	return lines, nil
}

func (s *dimSpec) describe() string {
	out := strconv.FormatInt(s.quota, 10) + " per " + s.window.String() + " (" + string(s.limiter.Algorithm)
	switch s.limiter.Algorithm {
	case limiter.TokenBucket, limiter.GCRA:
		out += ", burst " + strconv.FormatInt(s.limiter.Burst, 10)
	case limiter.LeakyBucket:
		out += ", queue " + strconv.FormatInt(s.limiter.Burst, 10)
		if s.limiter.NoDelay {
			out += ", nodelay"
		}
	case limiter.FixedWindow:
		if s.limiter.Start == limiter.StartFirstRequest {
			out += ", opened by the first request"
		}
	case limiter.SlidingWindow:
		if r := s.limiter.Rounding; r != "" && r != limiter.RoundFloor {
			out += ", share " + string(r)
		}
	}
	out += ", " + strconv.FormatInt(s.perMinute, 10) + "/min)"
	return out
}
