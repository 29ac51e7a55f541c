package main

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/spf13/pflag"
)

// helpWidth is the column help text is wrapped at.
const helpWidth = 100

// flagSet is one command's pflag.FlagSet with its help: a usage line, a one-paragraph
// description, examples, the flags in titled groups with their values, defaults and units, and
// notes. Help reads like vegeta's or k6's.
type flagSet struct {
	*pflag.FlagSet
	synopsis string    // "ratelab probe [flags]"
	about    string    // one paragraph shown under the usage line
	examples []example // shown before the flags
	notes    []string  // paragraphs shown after the flags
	groups   []flagGroup
	values   map[string]string // a flag's value placeholder: --rate N/s
}

// example is one example command and what it does.
type example struct{ what, cmd string }

// flagGroup is a titled group of flags in the help.
type flagGroup struct {
	title string
	names []string
}

// newFlagSet creates the flag set of a command.
func newFlagSet(name, synopsis, about string) *flagSet {
	fs := pflag.NewFlagSet(name, pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.SortFlags = false
	return &flagSet{FlagSet: fs, synopsis: synopsis, about: about, values: map[string]string{}}
}

// example adds an example to the help: what it does, then the command.
func (fs *flagSet) example(what, cmd string) { fs.examples = append(fs.examples, example{what, cmd}) }

// note adds a paragraph shown after the flags.
func (fs *flagSet) note(paragraphs ...string) { fs.notes = append(fs.notes, paragraphs...) }

// group shows the named flags under a title, in this order. Flags in no group are shown under
// "Flags".
func (fs *flagSet) group(title string, names ...string) {
	fs.groups = append(fs.groups, flagGroup{title, names})
}

// value sets the placeholder shown after a flag's name: --rate N/s, --target mock|URL.
func (fs *flagSet) value(name, placeholder string) { fs.values[name] = placeholder }

// parseFlags parses args into fs, turning --help into errHelpShown and flag errors into usage
// errors that name the command.
func parseFlags(env *cliEnv, fs *flagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			fs.printUsage(env.stdout)
			return errHelpShown
		}
		return usageErrorf("%s: %v (see 'ratelab %s --help')", fs.Name(), err, fs.Name())
	}
	return nil
}

// parseFlagsNoArgs is parseFlags for a command that takes flags only: a positional argument is a
// usage error.
func parseFlagsNoArgs(env *cliEnv, fs *flagSet, args []string) error {
	if err := parseFlags(env, fs, args); err != nil {
		return err
	}
	return noArgs(fs)
}

// noArgs is the usage error for a positional argument to a command that takes none.
func noArgs(fs *flagSet) error {
	if fs.NArg() > 0 {
		return usageErrorf("%s: unexpected argument %q (see 'ratelab %s --help')", fs.Name(), fs.Arg(0), fs.Name())
	}
	return nil
}

// printUsage prints a command's help.
func (fs *flagSet) printUsage(w io.Writer) {
	var b strings.Builder
	fmt.Fprintf(&b, "Usage: %s\n", fs.synopsis)
	if fs.about != "" {
		b.WriteString("\n")
		b.WriteString(wrap(fs.about, helpWidth, ""))
	}
	if len(fs.examples) > 0 {
		b.WriteString("\nExamples:\n")
		for i, ex := range fs.examples {
			if i > 0 {
				b.WriteString("\n")
			}
			b.WriteString(wrap(ex.what, helpWidth, "  # "))
			fmt.Fprintf(&b, "  %s\n", ex.cmd)
		}
	}
	groups := fs.visibleGroups()
	left := 0
	for _, g := range groups {
		for _, f := range g.flags {
			left = max(left, cols(fs.flagName(f)))
		}
	}
	left = min(left+4, 34) // two spaces before, at least two after
	for _, g := range groups {
		fmt.Fprintf(&b, "\n%s:\n", g.title)
		for _, f := range g.flags {
			b.WriteString(fs.flagLine(f, left))
		}
	}
	for _, n := range fs.notes {
		b.WriteString("\n")
		b.WriteString(wrap(n, helpWidth, ""))
	}
	_, _ = io.WriteString(w, b.String())
}

// shownGroup is a group of visible flags.
type shownGroup struct {
	title string
	flags []*pflag.Flag
}

// visibleGroups returns the groups with their visible flags, then those in no group under
// "Flags"; groups without a visible flag are left out.
func (fs *flagSet) visibleGroups() []shownGroup {
	placed := map[string]bool{}
	var out []shownGroup
	for _, g := range fs.groups {
		sg := shownGroup{title: g.title}
		for _, name := range g.names {
			if f := fs.Lookup(name); f != nil && !f.Hidden && !placed[name] {
				sg.flags = append(sg.flags, f)
				placed[name] = true
			}
		}
		if len(sg.flags) > 0 {
			out = append(out, sg)
		}
	}
	rest := shownGroup{title: "Flags"}
	fs.VisitAll(func(f *pflag.Flag) {
		if !f.Hidden && !placed[f.Name] {
			rest.flags = append(rest.flags, f)
		}
	})
	if len(rest.flags) > 0 {
		if len(out) > 0 {
			rest.title = "Other flags"
		}
		out = append(out, rest)
	}
	return out
}

// flagName is "--name VALUE", or "--name" for a boolean.
func (fs *flagSet) flagName(f *pflag.Flag) string {
	if v := fs.placeholder(f); v != "" {
		return "--" + f.Name + " " + v
	}
	return "--" + f.Name
}

// placeholder is a flag's value placeholder: the one set with value, else one by type.
func (fs *flagSet) placeholder(f *pflag.Flag) string {
	if v, ok := fs.values[f.Name]; ok {
		return v
	}
	switch f.Value.Type() {
	case "bool":
		return ""
	case "duration":
		return "DURATION"
	case "int", "int64", "uint", "uint64":
		return "N"
	case "float64", "float32":
		return "X"
	}
	return "VALUE"
}

// flagLine is one flag's help: its name and value in the left column, then its usage and
// default, wrapped; a name too long for the column puts the usage on the next line.
func (fs *flagSet) flagLine(f *pflag.Flag, left int) string {
	text := f.Usage
	if d := shownDefault(f); d != "" {
		text += " (default " + d + ")"
	}
	name := "  " + fs.flagName(f)
	indent := strings.Repeat(" ", left)
	body := wrap(text, helpWidth, indent)
	if cols(name)+2 > left {
		return name + "\n" + body
	}
	return name + strings.Repeat(" ", left-cols(name)) + body[left:] // body starts with left spaces
}

// shownDefault is a flag's default as the help shows it, "" for a zero value: durations
// without trailing zero units (1m, not 1m0s), strings unquoted.
func shownDefault(f *pflag.Flag) string {
	switch f.DefValue {
	case "", "0", "0s", "false", "[]":
		return ""
	}
	if len(f.DefValue) > 40 && strings.Contains(f.DefValue, ",") {
		return strings.ReplaceAll(f.DefValue, ",", ", ") // a long list, wrapped between its items
	}
	if f.Value.Type() == "duration" {
		if d, err := time.ParseDuration(f.DefValue); err == nil {
			return shortDuration(d)
		}
	}
	return f.DefValue
}

// shortDuration writes d as time.Duration does, without trailing zero units: 1m, 1h30m, 2.5s.
func shortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// wrap reflows text into lines of at most width columns, each starting with indent. A line of
// text that starts with a space is kept as written (an example or a list).
func wrap(text string, width int, indent string) string {
	var b strings.Builder
	var words []string
	flush := func() {
		line := indent
		for _, w := range words {
			if len(line) > len(indent) && cols(line)+1+cols(w) > width {
				b.WriteString(strings.TrimRight(line, " ") + "\n")
				line = indent
			}
			if len(line) > len(indent) {
				line += " "
			}
			line += w
		}
		if len(words) > 0 {
			b.WriteString(line + "\n")
		}
		words = words[:0]
	}
	for _, l := range strings.Split(text, "\n") {
		if strings.HasPrefix(l, " ") {
			flush()
			b.WriteString(indent + l + "\n")
			continue
		}
		words = append(words, strings.Fields(l)...)
	}
	flush()
	return b.String()
}

// cols is how many columns s takes on a terminal: one per rune.
func cols(s string) int { return utf8.RuneCountInString(s) }
