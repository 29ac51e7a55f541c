package strictyaml

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestProblemString(t *testing.T) {
	tests := []struct {
		name string
		p    Problem
		want string
	}{
		{"everything", Problem{File: "a.yaml", Line: 3, Col: 7, Path: "phases[0]", Msg: "bad"}, "a.yaml:3:7: phases[0]: bad"},
		{"no column", Problem{File: "a.yaml", Line: 3, Msg: "bad"}, "a.yaml:3: bad"},
		{"no line", Problem{File: "a.yaml", Path: "seed", Msg: "bad"}, "a.yaml: seed: bad"},
		{"no file", Problem{Line: 2, Path: "seed", Msg: "bad"}, "line 2: seed: bad"},
		{"path only", Problem{Path: "--seed", Msg: "bad"}, "--seed: bad"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, tt.p.String())
		})
	}
}

func TestSortProblems(t *testing.T) {
	ps := []Problem{{Msg: "a"}, {Line: 5, Col: 2, Msg: "b"}, {Line: 1, Msg: "c"}, {Line: 5, Col: 1, Msg: "d"}, {Msg: "e"}}
	Sort(ps)
	var got []string
	for _, p := range ps {
		got = append(got, p.Msg)
	}
	assert.Equal(t, []string{"c", "d", "b", "a", "e"}, got)
}

func TestShowHidesKeys(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want string
	}{
		{"5/s", `"5/s"`},
		{"sk-FAKE-TEST-VALUE", "a value that looks like an API key (not shown)"},
		{"Bearer xyz", "a value that looks like an API key (not shown)"},
		{"a1b2c3d4e5f6a1b2c3d4e5f6a1b2c3d4e5f6", "a value that looks like an API key (not shown)"},
		{"this is a long sentence that is not a key at all, really", `"this is a long sentence that is not a..."`},
	} {
		assert.Equal(t, tt.want, Show(tt.in), tt.in)
	}
}
