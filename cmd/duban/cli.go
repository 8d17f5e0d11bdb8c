package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"
)

// command is one subcommand of duban.
type command struct {
	name    string
	args    string // the positional arguments, for the usage line: "YYYY-MM"
	summary string // one line, for the list of commands
	about   string // what `duban help NAME` says besides the usage line and the flags
	// setup defines the subcommand's own flags on fs (--config is already there) and returns
	// what runs it on its positional arguments once fs is parsed.
	setup func(c *cli, fs *flag.FlagSet) runner
}

// runner runs a subcommand on its positional arguments.
type runner func(ctx context.Context, args []string) error

// commands lists the subcommands in the order `duban help` shows them. It is filled in by
// init, as help refers to it.
var commands []*command

func init() {
	commands = []*command{
		{name: "serve", summary: "run the service (the default when no command is given)", about: serveAbout,
			setup: (*cli).serveCmd},
		{name: "demo", summary: "run the service on an embedded Redis with simulated departments", about: demoAbout,
			setup: (*cli).demoCmd},
		{name: "rank", args: "YYYY-MM", summary: "build and publish a month's ranking", about: rankAbout,
			setup: (*cli).rankCmd},
		{name: "import", args: "FILE", summary: "backfill events from an NDJSON or CSV file", about: importAbout,
			setup: (*cli).importCmd},
		{name: "version", summary: "print the version", about: "Version prints duban's version and the Go version it was built with.",
			setup: (*cli).versionCmd},
		{name: "help", args: "[COMMAND]", summary: "list the commands, or show one's usage and flags",
			about: "Help lists the commands, or shows a command's usage and flags.", setup: (*cli).helpCmd},
	}
}

// lookup returns the subcommand called name, or nil.
func lookup(name string) *command {
	for _, cmd := range commands {
		if cmd.name == name {
			return cmd
		}
	}
	return nil
}

// usageLine is the command's synopsis: "duban rank [flags] YYYY-MM".
func (cmd *command) usageLine() string {
	return strings.TrimSpace("duban " + cmd.name + " [flags] " + cmd.args)
}

// flagSet returns the subcommand's flags, --config first, and its runner. Parsing errors are
// returned, never printed: exit prints them, once.
func (c *cli) flagSet(cmd *command) (*flag.FlagSet, runner) {
	fs := flag.NewFlagSet("duban "+cmd.name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	fs.StringVar(&c.configPath, "config", "", "the configuration `FILE` (default $DUBAN_CONFIG)")
	return fs, cmd.setup(c, fs)
}

// commandOf splits the command line into the subcommand and its own arguments: the
// subcommand is the first argument that is neither a flag nor the value of --config, so
// `duban --config F rank 2026-03` is rank. Without one, -h or --help mean help, --version
// means version, and anything else is serve's.
func commandOf(args []string) (name string, rest []string) {
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
		case flagName(a) == "config" && !strings.Contains(a, "="):
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
	return "serve", args
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
			return nil, usagef("unknown flag %s", a)
		}
		flags = append(flags, a)
		if strings.Contains(a, "=") || isBoolFlag(f) {
			continue
		}
		if i+1 == len(args) {
			return nil, usagef("flag %s needs a value", a)
		}
		i++
		flags = append(flags, args[i])
	}
	if err := fs.Parse(flags); err != nil {
		return nil, &usageError{msg: err.Error()}
	}
	return pos, nil
}

// isBoolFlag reports whether f takes no value (--force rather than --force=true).
func isBoolFlag(f *flag.Flag) bool {
	b, ok := f.Value.(interface{ IsBoolFlag() bool })
	return ok && b.IsBoolFlag()
}

// helpCmd is `duban help [COMMAND]`.
func (c *cli) helpCmd(*flag.FlagSet) runner {
	return func(_ context.Context, args []string) error {
		switch len(args) {
		case 0:
			c.printUsage(c.stdout)
			return nil
		case 1:
			cmd := lookup(args[0])
			if cmd == nil {
				return &usageError{msg: fmt.Sprintf("unknown command %q", args[0]), general: true}
			}
			c.printHelp(c.stdout, cmd)
			return nil
		}
		return usagef("expected at most one command, got %q", args)
	}
}

// printUsage writes the list of commands: `duban help`, `duban --help`.
func (c *cli) printUsage(w io.Writer) {
	fmt.Fprint(w, `duban (督办) supervises administrative approvals in real time: it follows each case's
events as the departments report them, raises alerts as deadlines approach and pass, and
ranks the departments every month.

Usage:

	duban <command> [flags] [arguments]

The commands are:

`)
	for _, cmd := range commands {
		fmt.Fprintf(w, "\t%-8s  %s\n", cmd.name, cmd.summary)
	}
	fmt.Fprint(w, `
Flags may come before or after the arguments; "--" ends them. Every command takes
--config FILE, the configuration file (default $DUBAN_CONFIG). duban --version prints
the version.

Environment (overrides the configuration file):

	DUBAN_LISTEN       the address to listen on (default :8080)
	DUBAN_REDIS_URL    redis://host:6379/0, rediss://, several addresses (Redis Cluster)
	                   or redis-sentinel://host:26379,host2:26379/master-name
	DUBAN_REDIS_PREFIX the prefix of every Redis key (default duban:)
	DUBAN_TIMEZONE     the time zone of deadlines and reports (default Asia/Shanghai)
	DUBAN_CLOCK_START, DUBAN_CLOCK_RATE
	                   run on a simulated business clock, for drills and demos

Exit codes: 0 success; 1 a runtime failure (Redis unreachable, a month that has not
begun, rejected events); 2 a configuration or usage error.

Use "duban help <command>" for more about a command.
`)
}

// printHelp writes one command's usage, description and flags: `duban help rank`,
// `duban rank --help`.
func (c *cli) printHelp(w io.Writer, cmd *command) {
	fs, _ := c.flagSet(cmd)
	fmt.Fprintf(w, "usage: %s\n\n%s\n\nFlags:\n", cmd.usageLine(), cmd.about)
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

// The descriptions of `duban help COMMAND`.
const (
	serveAbout = `Serve runs the service: the push API, the timers that raise alerts, the wall screen,
the live feed and the monthly rankings. It needs a Redis (DUBAN_REDIS_URL or redis.url);
without one it exits with code 2 and points to duban demo. SIGTERM or SIGINT drains
in-flight work within 10 s and exits 0.`

	demoAbout = `Demo runs the service on an embedded, in-memory Redis, with the sample district's
departments reporting simulated cases on a fast business clock (a day every 20 s). Reads
need no token; writes need the one it prints. A configured Redis is ignored, and nothing
is kept when it stops.`

	rankAbout = `Rank builds the ranking of month YYYY-MM from the figures in Redis and publishes it.
The service publishes each month by itself (ranking.schedule); rank is for a catch-up or
a rebuild. A month that has not begun is refused, and a published one is left alone
unless --force.`

	importAbout = `Import backfills the events of FILE, NDJSON or CSV ("-" reads standard input), each
checked and stored as the push API would. Each rejected event is one line on standard
error and the summary one line on standard output; the other events are stored, and the
exit code is 1 when any was rejected. Importing a file again stores nothing twice.`
)
