// Command infer prints the accuracy table of limit discovery as Markdown: every case of the
// discover accuracy suite discovered in virtual time (sim) against the mock's account model,
// scored against the limit the mock enforces, with the interval's coverage and the cost of the
// discovery.
//
//	go run ./bench/infer                # the full matrix, one seed, a row per case
//	go run ./bench/infer -run fixed     # cases whose name contains "fixed"
//	go run ./bench/infer -seeds 5       # every case with seeds 1 to 5, a row per case
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
	seed := flag.Int64("seed", 1, "seed of discovery and the mock (the first of -seeds)")
	seeds := flag.Int("seeds", 1, "run every case with this many seeds, from -seed on, and write one row per case")
	original := flag.Bool("original", false, "only the original 78 cases (the algorithm matrix and the special cases, without issue 13's variants)")
	flag.Parse()
	if *seeds < 1 {
		fmt.Fprintf(os.Stderr, "infer: -seeds %d: want at least 1\n", *seeds)
		os.Exit(2)
	}
	var cases []accuracy.Case
	all := accuracy.Matrix()
	if *original {
		all = append(accuracy.Algorithms(), accuracy.Special()...)
	}
	for _, c := range all {
		if strings.Contains(c.Name, *filter) {
			cases = append(cases, c)
		}
	}
	outs := make([][]accuracy.Outcome, len(cases))
	errs := make([]error, len(cases)**seeds)
	start := time.Now()
	var wg sync.WaitGroup
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	for i, c := range cases {
		outs[i] = make([]accuracy.Outcome, *seeds)
		for k := range *seeds {
			wg.Go(func() {
				sem <- struct{}{}
				defer func() { <-sem }()
				outs[i][k], errs[i**seeds+k] = accuracy.Run(context.Background(), c, *seed+int64(k))
			})
		}
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			fmt.Fprintf(os.Stderr, "%s seed %d: %v\n", cases[i / *seeds].Name, *seed+int64(i%*seeds), err)
			os.Exit(1)
		}
	}
	if *seeds == 1 {
		flat := make([]accuracy.Outcome, len(outs))
		for i := range outs {
			flat[i] = outs[i][0]
		}
		accuracy.Markdown(os.Stdout, flat)
	} else {
		accuracy.MarkdownSeeds(os.Stdout, outs)
	}
	fmt.Fprintf(os.Stderr, "%d cases × %d seeds in %s\n", len(cases), *seeds, time.Since(start).Round(time.Millisecond))
}
