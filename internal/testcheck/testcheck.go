// Package testcheck holds table-test checks that any package's tests may use: it imports
// nothing of the project, so the tests of the lowest layers can import it too (internal/testutil
// starts mocks and renders reports, so only the upper layers' tests can). Only tests import it.
package testcheck

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Err checks a table case's error: when want is not empty, err must be an error whose text
// contains want; otherwise err must be nil. It returns true when the case wants no error, so
// that the caller goes on to check the result:
//
//	got, err := Parse(tc.in)
//	if testcheck.Err(t, err, tc.err) {
//		assert.Equal(t, tc.want, got)
//	}
func Err(t testing.TB, err error, want string) bool {
	t.Helper()
	if want != "" {
		require.Error(t, err)
		assert.Contains(t, err.Error(), want)
		return false
	}
	require.NoError(t, err)
	return true
}

// ErrEqual is Err with the whole text: when want is not empty, err's text must be exactly want.
func ErrEqual(t testing.TB, err error, want string) bool {
	t.Helper()
	if want != "" {
		require.EqualError(t, err, want)
		return false
	}
	require.NoError(t, err)
	return true
}

// ErrAll checks that err is an error whose text contains each of want.
func ErrAll(t testing.TB, err error, want ...string) {
	t.Helper()
	require.Error(t, err)
	for _, w := range want {
		assert.Contains(t, err.Error(), w)
	}
}

// Parse checks one table case of a parser whose values print back with String: parse(in) gives
// the wanted error (as Err checks it, its text also containing each of also) or want, and
// want's String parses back to want.
func Parse[T interface{ String() string }](t testing.TB, parse func(string) (T, error), in string, want T, wantErr string, also ...string) {
	t.Helper()
	got, err := parse(in)
	if !Err(t, err, wantErr) {
		ErrAll(t, err, also...)
		return
	}
	assert.Equal(t, want, got)
	again, err := parse(got.String())
	require.NoError(t, err)
	assert.Equal(t, got, again, "String reads back")
}
