package limiter

import (
	"testing"
	"time"
)

func TestFixedWindowTable(t *testing.T) {
	const s = time.Second
	runCases(t, FixedWindow, []stepCase{
		{
			name: "3 per minute",
			cfg:  Config{Limit: 3, Window: time.Minute},
			steps: []step{
				{name: "1st", at: 0, op: allow, cost: 1, want: ok(3, 2, 60*s)},
				{name: "2nd", at: 10 * s, op: allow, cost: 1, want: ok(3, 1, 50*s)},
				{name: "3rd", at: 20 * s, op: allow, cost: 1, want: ok(3, 0, 40*s)},
				{name: "4th waits for the boundary", at: 30 * s, op: allow, cost: 1, want: no(3, 0, 30*s, 30*s)},
				{name: "zero cost fits a full window", at: 30 * s, op: peek, want: ok(3, 0, 30*s)},
				{name: "1ns before the boundary", at: 60*s - 1, op: allow, cost: 1, want: no(3, 0, 1, 1)},
				{name: "at the boundary the count restarts", at: 60 * s, op: allow, cost: 1, want: ok(3, 2, 60*s)},
				{name: "an earlier instant counts as the last seen", at: 50 * s, op: allow, cost: 2, want: ok(3, 0, 60*s)},
				{name: "cost above the limit: the window's end", at: 61 * s, op: allow, cost: 4, want: no(3, 0, 59*s, 59*s)},
			},
		},
		{
			// Windows are aligned to the Unix epoch, not to the first request.
			name: "first request mid-window sees the aligned end",
			cfg:  Config{Limit: 2, Window: time.Minute},
			steps: []step{
				{name: "at :45", at: 45 * s, op: allow, cost: 1, want: ok(2, 1, 15*s)},
				{name: "full at :59", at: 59 * s, op: allow, cost: 1, want: ok(2, 0, 1*s)},
				{name: "new window at :60", at: 60 * s, op: allow, cost: 2, want: ok(2, 0, 60*s)},
			},
		},
		{
			// The known weakness: a full window at the end of one and the start of the next.
			name: "2L pass across a boundary",
			cfg:  Config{Limit: 5, Window: 10 * s},
			steps: []step{
				{name: "5 at 9.9s", at: 9900 * time.Millisecond, op: allow, cost: 5, want: ok(5, 0, 100*time.Millisecond)},
				{name: "5 more at 10s", at: 10 * s, op: allow, cost: 5, want: ok(5, 0, 10*s)},
			},
		},
		{
			name: "charge and refund",
			cfg:  Config{Limit: 10, Window: 10 * s},
			steps: []step{
				{name: "charge 12 over the limit", at: 0, op: charge, cost: 12},
				{name: "over: even zero cost denied", at: 1 * s, op: peek, want: no(10, 0, 9*s, 9*s)},
				{name: "refund 5", at: 2 * s, op: charge, cost: -5},
				{name: "3 fit", at: 2 * s, op: allow, cost: 3, want: ok(10, 0, 8*s)},
				{name: "refund 100 stops at zero", at: 2 * s, op: charge, cost: -100},
				{name: "whole quota back", at: 2 * s, op: peek, want: ok(10, 10, 8*s)},
			},
		},
	})
}

// TestRollingWindowTable: a fixed window opened by the first request after the previous one
// ended; a gap in the traffic moves every later boundary.
func TestRollingWindowTable(t *testing.T) {
	const s = time.Second
	steps := []step{
		{name: "the first request opens a window", at: 45 * s, op: allow, cost: 1, want: ok(2, 1, 60*s)},
		{name: "full", at: 59 * s, op: allow, cost: 1, want: ok(2, 0, 46*s)},
		{name: "the clock's minute is no boundary", at: 60 * s, op: allow, cost: 1, want: no(2, 0, 45*s, 45*s)},
		{name: "1ns before the window's end", at: 105*s - 1, op: allow, cost: 1, want: no(2, 0, 1, 1)},
		{name: "at its end a new window opens", at: 105 * s, op: allow, cost: 2, want: ok(2, 0, 60*s)},
		{name: "after a gap, the next request opens the next", at: 200 * s, op: allow, cost: 1, want: ok(2, 1, 60*s)},
		{name: "so the boundary moved to 260s", at: 259 * s, op: allow, cost: 2, want: no(2, 1, 1*s, 1*s)},
		{name: "peek opens nothing", at: 400 * s, op: peek, want: ok(2, 2, 60*s)},
		{name: "charge opens a window", at: 500 * s, op: charge, cost: 2},
		{name: "and fills it", at: 530 * s, op: allow, cost: 1, want: no(2, 0, 30*s, 30*s)},
	}
	runSteps(t, Config{Algorithm: FixedWindow, Start: StartFirstRequest, Limit: 2, Window: time.Minute}, steps)
}
