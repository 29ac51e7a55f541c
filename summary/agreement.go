package summary

import "math"

// Agreement is one strategy's live and simulated entries side by side, at one client count: how
// far the simulator agrees with what the live run measured.
type Agreement struct {
	Name                      string
	Clients                   int
	LiveAttempts, SimAttempts int64
	AttemptsDiff              float64 // |sim − live| / live
	// LiveMakespan and SimMakespan are in seconds; HasMakespan is false when either is unknown.
	LiveMakespan, SimMakespan float64
	MakespanDiff              float64
	HasMakespan               bool
}

// Agreements pairs each strategy's live and simulated entries at the same client count, in the
// order of the simulated entries.
func Agreements(s *Summary) []Agreement {
	type key struct {
		name    string
		clients int
	}
	live := map[key]*Strategy{}
	for i := range s.Strategies {
		if st := &s.Strategies[i]; st.Mode == "live" {
			live[key{st.Name, st.Clients}] = st
		}
	}
	var out []Agreement
	for i := range s.Strategies {
		sm := &s.Strategies[i]
		l := live[key{sm.Name, sm.Clients}]
		if sm.Mode != "sim" || l == nil {
			continue
		}
		a := Agreement{Name: sm.Name, Clients: sm.Clients, LiveAttempts: l.Attempts, SimAttempts: sm.Attempts,
			AttemptsDiff: RelDiff(float64(sm.Attempts), float64(l.Attempts))}
		if sm.MakespanSeconds != nil && l.MakespanSeconds != nil {
			a.LiveMakespan, a.SimMakespan, a.HasMakespan = *l.MakespanSeconds, *sm.MakespanSeconds, true
			a.MakespanDiff = RelDiff(a.SimMakespan, a.LiveMakespan)
		}
		out = append(out, a)
	}
	return out
}

// RelDiff is |a − b| / b: 0 when both are 0, +Inf when only b is.
func RelDiff(a, b float64) float64 {
	if b == 0 {
		if a == 0 {
			return 0
		}
		return math.Inf(1)
	}
	return math.Abs(a-b) / b
}
