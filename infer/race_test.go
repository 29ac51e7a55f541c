//go:build race

package infer_test

// raceEnabled: the race detector slows the fits' arithmetic several times over and has nothing
// to find in it (a discovery runs on one goroutine), so the slowest discoveries are left out.
const raceEnabled = true
