//go:build !long

package runner

// longTests: see long_test.go.
const longTests = false
