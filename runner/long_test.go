//go:build long

package runner

// longTests: the bundled scenarios whose live discovery waits out one-minute windows (about
// three minutes each) run live; without the tag they run in virtual time.
const longTests = true
