package testcheck

import (
	"errors"
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
			r := &recorder{TB: t}
			var goOn bool
			func() {
				defer func() {
					if p := recover(); p != nil && p != r {
						panic(p)
					}
				}()
				check := tc.check
				if check == nil {
					check = Err
				}
				goOn = check(r, tc.err, tc.want)
			}()
			assert.Equal(t, tc.failed, r.failed, "failed")
			if !tc.failed {
				assert.Equal(t, tc.goOn, goOn, "go on")
			}
		})
	}
}
