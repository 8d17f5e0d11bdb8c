// Package cli runs a program of subcommands the way the go command does: `prog CMD [flags]
// [args]`, flags before, between or after the arguments, `prog help [CMD]`, `-h`/`--help`
// and `--version`, one error line naming the command, and the same exit codes for every
// command: 0 success, 1 a runtime failure, 2 a configuration or usage error.
//
// It knows nothing of duban: cmd/duban lists the commands and what each one runs.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
)

// Exit codes, the same for every command.
const (
	ExitOK     = 0
	ExitFailed = 1 // a runtime failure
	ExitConfig = 2 // a configuration or usage error
)

// Command is one subcommand.
type Command struct {
	Name    string
	Args    string // the positional arguments, for the usage line: "YYYY-MM"
	Summary string // one line, for the list of commands
	About   string // what `prog help NAME` says besides the usage line and the flags
	// Setup defines the subcommand's own flags on fs (the program's common flags are already
	// there) and returns what runs it on its positional arguments once fs is parsed.
	Setup func(fs *flag.FlagSet) Runner
}

// Runner runs a subcommand on its positional arguments.
type Runner func(ctx context.Context, args []string) error

// Program is a command-line program made of subcommands.
type Program struct {
	Name     string
	Commands []*Command // in the order help lists them; "help" and "version" are looked up here too
	Default  string     // the command run when none is named ("serve")
	// Intro and Outro frame the list of commands in `prog help`.
	Intro, Outro string
	// CommonFlags defines the flags every command takes (--config).
	CommonFlags func(fs *flag.FlagSet)
	// IsConfigError tells the errors that are configuration errors (exit 2, "configuration
	// error: …") from runtime failures (exit 1).
	IsConfigError  func(error) bool
	Stdout, Stderr io.Writer
}

// UsageError is a bad command line: its message is printed with the command's usage line.
type UsageError struct {
	Msg string
	// General: the mistake is about the commands themselves (`prog help nosuch`), so the
	// hint is the list of commands.
	General bool
}

func (e *UsageError) Error() string { return e.Msg }

// Usagef returns a UsageError.
func Usagef(format string, args ...any) error {
	return &UsageError{Msg: fmt.Sprintf(format, args...)}
}

// Run runs the command line args and returns the exit code.
func (p *Program) Run(ctx context.Context, args []string) int {
	name, args := p.commandOf(args)
	cmd := p.lookup(name)
	if cmd == nil {
		fmt.Fprintf(p.Stderr, "%s: unknown command %q\n%s", p.Name, name, p.listHint())
		return ExitConfig
	}
	fs, run := p.flagSet(cmd)
	pos, err := parseArgs(fs, args)
	if err == nil {
		err = run(ctx, pos)
	}
	return p.exit(cmd, err)
}

func (p *Program) listHint() string {
	return fmt.Sprintf("Run '%s help' for the list of commands.\n", p.Name)
}

// exit prints err, if any, as one line naming the command, and maps it to the exit code:
// 2 with the usage line for a usage error, 2 for a configuration error, 1 for anything
// else. --help prints the command's help on stdout and exits 0.
func (p *Program) exit(cmd *Command, err error) int {
	var ue *UsageError
	switch {
	case err == nil:
		return ExitOK
	case errors.Is(err, flag.ErrHelp):
		p.PrintHelp(p.Stdout, cmd)
		return ExitOK
	case errors.As(err, &ue):
		fmt.Fprintf(p.Stderr, "%s %s: %v\n", p.Name, cmd.Name, err)
		if ue.General {
			fmt.Fprint(p.Stderr, p.listHint())
		} else {
			fmt.Fprintf(p.Stderr, "usage: %s\nRun '%s help %s' for details.\n", p.usageLine(cmd), p.Name, cmd.Name)
		}
		return ExitConfig
	case p.IsConfigError != nil && p.IsConfigError(err):
		fmt.Fprintf(p.Stderr, "%s %s: configuration error: %v\n", p.Name, cmd.Name, err)
		return ExitConfig
	}
	fmt.Fprintf(p.Stderr, "%s %s: %v\n", p.Name, cmd.Name, err)
	return ExitFailed
}

// lookup returns the subcommand called name, or nil.
func (p *Program) lookup(name string) *Command {
	for _, cmd := range p.Commands {
		if cmd.Name == name {
			return cmd
		}
	}
	return nil
}

// usageLine is the command's synopsis: "duban rank [flags] YYYY-MM".
func (p *Program) usageLine(cmd *Command) string {
	return strings.TrimSpace(p.Name + " " + cmd.Name + " [flags] " + cmd.Args)
}

// flagSet returns the subcommand's flags, the common ones first, and its runner. Parsing
// errors are returned, never printed: exit prints them, once.
func (p *Program) flagSet(cmd *Command) (*flag.FlagSet, Runner) {
	fs := flag.NewFlagSet(p.Name+" "+cmd.Name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	if p.CommonFlags != nil {
		p.CommonFlags(fs)
	}
	return fs, cmd.Setup(fs)
}

// commandOf splits the command line into the subcommand and its own arguments: the
// subcommand is the first argument that is neither a flag nor the value of a common flag
// that takes one, so `duban --config F rank 2026-03` is rank. Without one, -h or --help mean
// help, --version means version, and anything else is the default command's.
func (p *Program) commandOf(args []string) (name string, rest []string) {
	common := flag.NewFlagSet("", flag.ContinueOnError)
	if p.CommonFlags != nil {
		p.CommonFlags(common)
	}
	end := len(args) // where the flags end: at "--"
scan:
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			end = i
			break scan
		case !isFlag(a):
			return a, append(args[:i:i], args[i+1:]...)
		}
		if f := common.Lookup(flagName(a)); f != nil && !isBoolFlag(f) && !strings.Contains(a, "=") {
			i++ // its value
		}
	}
	for i, a := range args[:end] {
		switch flagName(a) {
		case "h", "help":
			return "help", nil
		case "version":
			return "version", append(args[:i:i], args[i+1:]...)
		}
	}
	return p.Default, args
}

// isFlag reports whether a looks like a flag: "-x" or "--x"; "-" alone is an argument
// (standard input).
func isFlag(a string) bool { return len(a) > 1 && a[0] == '-' }

// flagName returns the name in "-name", "--name" or "--name=value".
func flagName(a string) string {
	name := strings.TrimPrefix(strings.TrimPrefix(a, "-"), "-")
	name, _, _ = strings.Cut(name, "=")
	return name
}

// parseArgs parses args with fs, the flags being allowed before, between and after the
// positional arguments, which it returns in order: the flag package alone stops at the first
// argument. "--" ends the flags. An unknown flag, or one without its value, is a usage error
// naming it as it was typed; -h and --help return flag.ErrHelp.
func parseArgs(fs *flag.FlagSet, args []string) ([]string, error) {
	var flags, pos []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			pos = append(pos, args[i+1:]...)
			break
		}
		if !isFlag(a) {
			pos = append(pos, a)
			continue
		}
		name := flagName(a)
		f := fs.Lookup(name)
		switch {
		case f == nil && (name == "h" || name == "help"):
			return nil, flag.ErrHelp
		case f == nil:
			return nil, Usagef("unknown flag %s", a)
		}
		flags = append(flags, a)
		if strings.Contains(a, "=") || isBoolFlag(f) {
			continue
		}
		if i+1 == len(args) {
			return nil, Usagef("flag %s needs a value", a)
		}
		i++
		flags = append(flags, args[i])
	}
	if err := fs.Parse(flags); err != nil {
		return nil, &UsageError{Msg: err.Error()}
	}
	return pos, nil
}

// isBoolFlag reports whether f takes no value (--force rather than --force=true).
func isBoolFlag(f *flag.Flag) bool {
	b, ok := f.Value.(interface{ IsBoolFlag() bool })
	return ok && b.IsBoolFlag()
}

// Help is `prog help [COMMAND]`: the list of commands, or one command's help.
func (p *Program) Help(args []string) error {
	switch len(args) {
	case 0:
		p.PrintUsage(p.Stdout)
		return nil
	case 1:
		cmd := p.lookup(args[0])
		if cmd == nil {
			return &UsageError{Msg: fmt.Sprintf("unknown command %q", args[0]), General: true}
		}
		p.PrintHelp(p.Stdout, cmd)
		return nil
	}
	return Usagef("expected at most one command, got %q", args)
}

// PrintUsage writes the list of commands between Intro and Outro: `prog help`.
func (p *Program) PrintUsage(w io.Writer) {
	fmt.Fprint(w, p.Intro)
	for _, cmd := range p.Commands {
		fmt.Fprintf(w, "\t%-8s  %s\n", cmd.Name, cmd.Summary)
	}
	fmt.Fprint(w, p.Outro)
}

// PrintHelp writes one command's usage, description and flags: `prog help rank`,
// `prog rank --help`.
func (p *Program) PrintHelp(w io.Writer, cmd *Command) {
	fs, _ := p.flagSet(cmd)
	fmt.Fprintf(w, "usage: %s\n\n%s\n\nFlags:\n", p.usageLine(cmd), cmd.About)
	fs.VisitAll(func(f *flag.Flag) {
		name, usage := flag.UnquoteUsage(f)
		left := "--" + f.Name
		if name != "" && !isBoolFlag(f) {
			left += " " + name
		}
		fmt.Fprintf(w, "  %-20s %s\n", left, usage)
	})
	fmt.Fprintf(w, "  %-20s %s\n", "-h, --help", "show this help")
}

// FlagSet returns the flags cmd takes, the common ones among them (for documentation checks).
func (p *Program) FlagSet(cmd *Command) *flag.FlagSet {
	fs, _ := p.flagSet(cmd)
	return fs
}
