// Command duban is the real-time electronic supervision service for administrative
// approvals (督办). This package is wiring only: it reads the command line and the
// configuration, turns signals into a context and exits; the work is done by the packages
// it starts.
//
//	duban [serve] [--config FILE]        the service (the default)
//	duban demo [--config FILE]           the service on an embedded Redis, with demo traffic
//	duban rank [--config FILE] [--force] YYYY-MM
//	duban import [--config FILE] [--format ndjson|csv] [--historical] FILE
//	                                     backfill events from NDJSON or CSV (FILE - is stdin)
//	duban version
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"syscall"

	"github.com/duban-gov/duban/internal/config"
)

// version is set at build time: go build -ldflags "-X main.version=v1.2.3".
var version string

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		// After the first signal starts the drain, a second one kills at once.
		<-ctx.Done()
		stop()
	}()
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr, os.Getenv)
	stop()
	os.Exit(code)
}

const usage = `usage:
  duban [serve] [--config FILE]          run the service (the default)
  duban demo [--config FILE]             run the service on an embedded Redis, with demo traffic
  duban rank [--config FILE] [--force] YYYY-MM
                                         build a month's ranking (--force rebuilds a published one)
  duban import [--config FILE] [--format ndjson|csv] [--historical] FILE
                                         backfill events from an NDJSON or CSV file (- reads
                                         standard input); exits 1 when events were rejected
  duban version                          print the version

The configuration file is --config or DUBAN_CONFIG; DUBAN_LISTEN, DUBAN_REDIS_URL,
DUBAN_TIMEZONE, DUBAN_CLOCK_START and DUBAN_CLOCK_RATE override it.
`

// Exit codes (CONTRACT.md, "The program").
const (
	exitOK     = 0
	exitFailed = 1
	exitConfig = 2 // a configuration or usage error
)

// cli is what run was given, shared by the subcommands.
type cli struct {
	stdout, stderr io.Writer
	getenv         func(string) string
	log            *slog.Logger
	logZone        *logZone
}

// command is one subcommand: it parses its own flags and arguments from args.
type command func(c *cli, ctx context.Context, args []string) error

var commands = map[string]command{
	"serve":   (*cli).serveCmd,
	"demo":    (*cli).demoCmd,
	"rank":    (*cli).rankCmd,
	"import":  (*cli).importCmd,
	"version": (*cli).versionCmd,
}

// run is the whole program but for the process: it returns the exit code. ctx ends on
// SIGTERM or SIGINT, which starts a clean shutdown.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	c := &cli{
		stdout:  stdout,
		stderr:  stderr,
		getenv:  getenv,
		logZone: &logZone{},
	}
	c.log = newLogger(stderr, c.logZone)
	name := "serve"
	if len(args) > 0 && (len(args[0]) == 0 || args[0][0] != '-') {
		name, args = args[0], args[1:]
	}
	switch name {
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return exitOK
	}
	cmd, ok := commands[name]
	if !ok {
		fmt.Fprintf(stderr, "duban: unknown command %q\n\n%s", name, usage)
		return exitConfig
	}
	return c.exit(name, cmd(c, ctx, args))
}

// usageError is a bad command line; its message is printed with the usage, unless the flag
// package has printed both already.
type usageError struct {
	msg     string
	printed bool
}

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

// exit prints err, if any, and maps it to an exit code.
func (c *cli) exit(name string, err error) int {
	var (
		ue *usageError
		ce *config.Error
	)
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return exitOK
	case errors.As(err, &ue):
		if !ue.printed {
			fmt.Fprintf(c.stderr, "duban %s: %v\n\n%s", name, err, usage)
		}
		return exitConfig
	case errors.As(err, &ce), errors.Is(err, errNoRedis):
		fmt.Fprintf(c.stderr, "duban %s: configuration error: %v\n", name, err)
		return exitConfig
	}
	fmt.Fprintf(c.stderr, "duban %s: %v\n", name, err)
	return exitFailed
}

// flags returns a flag set for a subcommand with the --config flag every one takes.
func (c *cli) flags(name string) (*flag.FlagSet, *string) {
	fs := flag.NewFlagSet("duban "+name, flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	path := fs.String("config", "", "configuration `FILE` (default $DUBAN_CONFIG)")
	return fs, path
}

// parse parses a subcommand's flags, turning a flag error into a usage error; the flag
// package has already printed its message and the flags.
func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return &usageError{msg: err.Error(), printed: true}
	}
	return nil
}

// loadConfig loads the configuration from --config, else DUBAN_CONFIG, else defaults, and
// puts the log's times in its zone.
func (c *cli) loadConfig(path string) (*config.Config, error) {
	if path == "" {
		path = c.getenv("DUBAN_CONFIG")
	}
	cfg, err := config.Load(path, c.getenv)
	if err == nil {
		c.logZone.loc.Store(cfg.Location)
	}
	return cfg, err
}

func (c *cli) versionCmd(_ context.Context, args []string) error {
	fs, _ := c.flags("version")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("version takes no arguments")
	}
	fmt.Fprintf(c.stdout, "duban %s (%s)\n", buildVersion(), runtime.Version())
	return nil
}

// buildVersion is the -ldflags version, else the module version `go install` records,
// else "dev".
func buildVersion() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}
