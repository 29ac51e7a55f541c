//go:build accuracy

package accuracy

func init() { observedAll = true }
