//go:build race

package runner

// raceEnabled: the race detector slows the simulator's single-goroutine arithmetic about tenfold
// and has nothing to find in it, so the scenarios that are simulation at scale are left to the
// plain `go test ./...`.
const raceEnabled = true
