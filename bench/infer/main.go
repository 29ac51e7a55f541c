// Command infer prints the accuracy table of limit discovery as Markdown: every case of the
// discover accuracy suite discovered in virtual time (sim) against the mock's account model,
// scored against the limit the mock enforces, with the cost of the discovery.
//
//	go run ./bench/infer            # the full matrix
//	go run ./bench/infer -run fixed # cases whose name contains "fixed"
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/ratelab/ratelab/discover/accuracy"
)

func main() {
	filter := flag.String("run", "", "only cases whose name contains this")
	seed := flag.Int64("seed", 3, "seed of discovery and the mock")
	flag.Parse()
	var cases []accuracy.Case
	for _, c := range accuracy.Matrix() {
		if strings.Contains(c.Name, *filter) {
			cases = append(cases, c)
		}
	}
	outs := make([]accuracy.Outcome, len(cases))
	errs := make([]error, len(cases))
	start := time.Now()
	var wg sync.WaitGroup
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	for i, c := range cases {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			outs[i], errs[i] = accuracy.Run(context.Background(), c, *seed)
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			fmt.Fprintf(os.Stderr, "%s: %v\n", cases[i].Name, err)
			os.Exit(1)
		}
	}
	accuracy.Markdown(os.Stdout, outs)
	fmt.Fprintf(os.Stderr, "%d cases in %s\n", len(cases), time.Since(start).Round(time.Millisecond))
}
