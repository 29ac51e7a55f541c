package main

import (
	"strings"
	"testing"
)

// Fuzz targets of the flag values the commands parse themselves (pflag parses the rest; rates,
// stages and strategy lists are fuzzed in their packages). Run one with
//
//	go test . -run '^$' -fuzz '^FuzzParseHeaders$' -fuzztime 60s

// FuzzParseHeaders: accepted --header values give names without blanks and trimmed values; a
// refused one is a usage error that never quotes more than the first 8 bytes of a long value
// (a malformed header may hold a secret).
func FuzzParseHeaders(f *testing.F) {
	f.Add("X-Team: probe", "anthropic-beta:prompt-caching-2024-07-31")
	f.Add("Authorization Bearer FAKE-TOKEN-NOT-A-SECRET", "x:1")
	f.Add(" X-A :  b ", "X-A: c")
	f.Add(":v", "k")
	f.Fuzz(func(t *testing.T, h1, h2 string) {
		out, err := parseHeaders([]string{h1, h2})
		if err != nil {
			msg := err.Error()
			for _, h := range []string{h1, h2} {
				if len(h) > 24 && len(h[8:]) >= 8 && strings.Contains(msg, h[8:]) {
					t.Fatalf("error quotes a long malformed header past its first 8 bytes: %q", msg)
				}
			}
			return
		}
		for k, v := range out {
			if k == "" || strings.ContainsAny(k, " \t") {
				t.Fatalf("accepted header name %q", k)
			}
			if v != strings.TrimSpace(v) && !strings.Contains(v, ", ") {
				t.Fatalf("header %s: value %q not trimmed", k, v)
			}
		}
	})
}

// FuzzParseClients: an accepted --clients list holds distinct counts from 1 to maxClients, one
// per comma-separated entry.
func FuzzParseClients(f *testing.F) {
	for _, s := range []string{"10", "10,50,100", " 1 , 2 ", "0", "1,1", "1000001", "-5", "1,,2", "+7"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		cs, err := parseClients(s)
		if err != nil {
			if !strings.Contains(err.Error(), "--clients") {
				t.Fatalf("error does not name the flag: %v", err)
			}
			return
		}
		if len(cs) != strings.Count(s, ",")+1 {
			t.Fatalf("parseClients(%q) = %v", s, cs)
		}
		seen := map[int]bool{}
		for _, n := range cs {
			if n < 1 || n > maxClients || seen[n] {
				t.Fatalf("parseClients(%q) = %v", s, cs)
			}
			seen[n] = true
		}
	})
}
