package testcheck

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// recorder is a testing.TB that records whether a check failed instead of failing the test.
type recorder struct {
	testing.TB
	failed bool
}

// Errorf and FailNow are what testify calls on a failed check; FailNow stops Err as the real
// one stops a test.
func (r *recorder) Errorf(string, ...any) { r.failed = true }
func (r *recorder) FailNow()              { r.failed = true; panic(r) }

// fails runs check on a recorder and reports whether a check in it failed.
func fails(t *testing.T, check func(testing.TB)) bool {
	r := &recorder{TB: t}
	func() {
		defer func() {
			if p := recover(); p != nil && p != r {
				panic(p)
			}
		}()
		check(r)
	}()
	return r.failed
}

func TestErr(t *testing.T) {
	for _, tc := range []struct {
		name   string
		check  func(testing.TB, error, string) bool // Err when nil
		err    error
		want   string
		goOn   bool
		failed bool
	}{
		{name: "no error wanted, none", goOn: true},
		{name: "no error wanted, one", err: errors.New("boom"), failed: true},
		{name: "error wanted, it says so", err: errors.New("bad rate \"x\""), want: "bad rate"},
		{name: "error wanted, it says something else", err: errors.New("boom"), want: "bad rate", failed: true},
		{name: "error wanted, none", want: "bad rate", failed: true},
		{name: "whole text, no error wanted, none", check: ErrEqual, goOn: true},
		{name: "whole text, no error wanted, one", check: ErrEqual, err: errors.New("boom"), failed: true},
		{name: "whole text, the same", check: ErrEqual, err: errors.New("bad rate"), want: "bad rate"},
		{name: "whole text, only a part", check: ErrEqual, err: errors.New("bad rate \"x\""), want: "bad rate", failed: true},
		{name: "whole text, none", check: ErrEqual, want: "bad rate", failed: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			check := tc.check
			if check == nil {
				check = Err
			}
			var goOn bool
			failed := fails(t, func(tb testing.TB) { goOn = check(tb, tc.err, tc.want) })
			assert.Equal(t, tc.failed, failed, "failed")
			if !tc.failed {
				assert.Equal(t, tc.goOn, goOn, "go on")
			}
		})
	}
}

func TestErrAll(t *testing.T) {
	err := errors.New(`unknown preset "azure" (did you mean "azure-openai"?)`)
	assert.False(t, fails(t, func(tb testing.TB) { ErrAll(tb, err, "unknown preset", "azure-openai") }))
	assert.False(t, fails(t, func(tb testing.TB) { ErrAll(tb, err) }), "any error, when nothing is named")
	assert.True(t, fails(t, func(tb testing.TB) { ErrAll(tb, err, "unknown preset", "bedrock") }), "one part missing")
	assert.True(t, fails(t, func(tb testing.TB) { ErrAll(tb, nil, "unknown preset") }), "no error")
	assert.True(t, fails(t, func(tb testing.TB) { ErrAll(tb, nil) }), "no error, nothing named")
}

// word is a value whose String is its text, but for "lossy", which does not read back.
type word string

func (w word) String() string {
	if w == "lossy" {
		return "other"
	}
	return string(w)
}

func parseWord(s string) (word, error) {
	if s == "" || strings.ContainsAny(s, " ") {
		return "", errors.New("invalid word \"" + s + "\": want letters")
	}
	return word(s), nil
}

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     word
		wantErr  string
		also     []string
		failed   bool
	}{
		{name: "a value that reads back", in: "abc", want: "abc"},
		{name: "another value than wanted", in: "abc", want: "abd", failed: true},
		{name: "String does not read back", in: "lossy", want: "lossy", failed: true},
		{name: "the wanted error, with its context", in: "a b", wantErr: "invalid word", also: []string{"want letters"}},
		{name: "the wanted error, without the context", in: "a b", wantErr: "invalid word", also: []string{"a number"}, failed: true},
		{name: "an error where a value is wanted", in: "a b", want: "a b", failed: true},
		{name: "a value where an error is wanted", in: "abc", wantErr: "invalid word", failed: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			failed := fails(t, func(tb testing.TB) { Parse(tb, parseWord, tc.in, tc.want, tc.wantErr, tc.also...) })
			assert.Equal(t, tc.failed, failed)
		})
	}
}
