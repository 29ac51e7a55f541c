package main

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// TestMockStoreErrors: a store that is not a Redis URL, or a Redis that does not answer, stops
// the mock before it listens, naming the flag; --store-fail-open needs --store.
func TestMockStoreErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"not a URL", []string{"--store", "localhost:6379"}, "--store: redislimit: store URL \"localhost:6379\""},
		{"nobody there", []string{"--store", "redis://127.0.0.1:1/0"}, "is redis-server running there?"},
		{"fail open alone", []string{"--store-fail-open"}, "--store-fail-open: needs --store"},
		{"password hidden", []string{"--store", "redis://user:hunter2@127.0.0.1:1/0"}, "redis://user:xxxxx@127.0.0.1:1/0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			code, _, stderr := runCLI(ctx, append([]string{"mock", "--addr", "127.0.0.1:0"}, tc.args...)...)
			assert.Equal(t, exitUsage, code, stderr)
			assert.Contains(t, stderr, tc.want)
			assert.NotContains(t, stderr, "hunter2")
		})
	}
}
