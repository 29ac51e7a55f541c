package scenarios

import (
	"errors"
	"io/fs"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestList(t *testing.T) {
	infos, err := List()
	require.NoError(t, err)
	require.Len(t, infos, len(Names()))
	for i, in := range infos {
		assert.Equal(t, Names()[i], in.Name)
		assert.NotEmpty(t, in.Description)
		assert.LessOrEqual(t, len(in.Description), 200, in.Name)
	}
}

func TestOpen(t *testing.T) {
	a, err := Open("quickstart")
	require.NoError(t, err)
	b, err := Open("quickstart.yaml")
	require.NoError(t, err)
	assert.Equal(t, a, b)
	_, err = Open("../quickstart")
	assert.True(t, errors.Is(err, fs.ErrNotExist))
	_, err = Open("nope")
	assert.True(t, errors.Is(err, fs.ErrNotExist))
}
