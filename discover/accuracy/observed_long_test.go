//go:build long

package accuracy

func init() { observedAll = true }
