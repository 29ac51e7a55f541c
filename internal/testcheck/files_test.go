package testcheck

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCopyFiles(t *testing.T) {
	from, to := t.TempDir(), t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(from, "a"), []byte("one"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(from, "b"), []byte("two"), 0o644))
	CopyFiles(t, from, to, "a", "b")
	for name, want := range map[string]string{"a": "one", "b": "two"} {
		b, err := os.ReadFile(filepath.Join(to, name))
		require.NoError(t, err)
		assert.Equal(t, want, string(b))
	}
	assert.True(t, fails(t, func(tb testing.TB) { CopyFiles(tb, from, to, "missing") }), "a missing file fails the test")
}
