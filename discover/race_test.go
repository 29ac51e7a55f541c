//go:build race

package discover_test

// raceEnabled: under the race detector the live engine answers several times slower and less
// evenly, so a live discovery may not tell a bucket from a window within its time.
const raceEnabled = true
