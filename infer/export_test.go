package infer

// StoredEvents reports how many attempts the analyzer keeps (for the memory test).
func StoredEvents(a *Analyzer) int { return a.stored }
