package backoff

import (
	"fmt"
	"io"
	"strings"
)

// listWidth is the column limit of List's output.
const listWidth = 100

// List writes the strategy table for `ratelab compare --list`: each strategy's name and summary,
// then one line per parameter with its default, kind and meaning, wrapped to 100 columns.
func List(w io.Writer) error {
	var b strings.Builder
	b.WriteString("Strategies (--strategies name or name(param=value,…); durations like 500ms or 2s):\n")
	writeWrapped(&b, "  ", retryStreamDoc)
	for _, d := range Definitions() {
		b.WriteString("\n")
		writeWrapped(&b, fmt.Sprintf("%-20s ", d.Name), d.Summary)
		for _, p := range d.Params {
			writeWrapped(&b, fmt.Sprintf("  %-20s %-8s ", p.Name+"="+p.Default, p.Kind), p.Doc)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// writeWrapped writes prefix then text, wrapping text at word boundaries to listWidth columns
// with continuation lines indented to the prefix's width.
func writeWrapped(b *strings.Builder, prefix, text string) {
	indent := len([]rune(prefix))
	col := indent
	b.WriteString(prefix)
	for i, word := range strings.Fields(text) {
		n := len([]rune(word))
		if i > 0 && col+1+n > listWidth {
			b.WriteString("\n")
			b.WriteString(strings.Repeat(" ", indent))
			col = indent
		} else if i > 0 {
			b.WriteByte(' ')
			col++
		}
		b.WriteString(word)
		col += n
	}
	b.WriteString("\n")
}
