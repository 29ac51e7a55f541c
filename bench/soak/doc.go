// Package soak puts `ratelab mock` under load, loopback only: thousands of concurrent keep-alive
// connections for a minute (no over-admission beyond the limiter's bound, memory flat, no
// errors but the configured ones), and a flood of distinct API keys (accounts stay bounded by
// --max-accounts). It is behind the soak build tag because it takes about two minutes and
// wants a raised open-files limit; run it with bench/soak/run.sh, which raises `ulimit -n`,
// builds ratelab and prints the figures.
package soak
