package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/ratelab/ratelab/scenarios"
)

// runScenariosCLI runs the CLI with args and returns the exit code and what it printed.
func runScenariosCLI(args ...string) (code int, stdout, stderr string) {
	var out, errOut bytes.Buffer
	code = Run(context.Background(), args, strings.NewReader(""), &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestScenariosCommand(t *testing.T) {
	t.Run("list", func(t *testing.T) {
		code, out, _ := runScenariosCLI("scenarios")
		assert.Equal(t, exitOK, code)
		infos, err := scenarios.List()
		assert.NoError(t, err)
		for _, in := range infos {
			assert.Contains(t, out, "  "+in.Name+" ")
			assert.Contains(t, out, in.Description)
		}
		assert.Contains(t, out, "quickstart")
	})
	t.Run("print one", func(t *testing.T) {
		code, out, _ := runScenariosCLI("scenarios", "quickstart")
		assert.Equal(t, exitOK, code)
		want, err := scenarios.Open("quickstart")
		assert.NoError(t, err)
		assert.Equal(t, string(want), out)
	})
	t.Run("check all", func(t *testing.T) {
		code, out, _ := runScenariosCLI("scenarios", "--check")
		assert.Equal(t, exitOK, code)
		assert.Equal(t, len(scenarios.Names()), strings.Count(out, "ok   "))
	})
	t.Run("check one", func(t *testing.T) {
		code, out, _ := runScenariosCLI("scenarios", "--check", "no-headers")
		assert.Equal(t, exitOK, code)
		assert.Equal(t, "ok   no-headers\n", out)
	})
	t.Run("unknown name is a usage error", func(t *testing.T) {
		code, _, errOut := runScenariosCLI("scenarios", "quikstart")
		assert.Equal(t, exitUsage, code)
		assert.Contains(t, errOut, `did you mean "quickstart"?`)
	})
	t.Run("too many names", func(t *testing.T) {
		code, _, errOut := runScenariosCLI("scenarios", "a", "b")
		assert.Equal(t, exitUsage, code)
		assert.Contains(t, errOut, "want at most one NAME, got 2 arguments")
	})
	t.Run("help", func(t *testing.T) {
		code, out, _ := runScenariosCLI("scenarios", "--help")
		assert.Equal(t, exitOK, code)
		assert.Contains(t, out, "Usage: ratelab scenarios [flags] [NAME]")
		assert.Contains(t, out, "--check")
	})
}
