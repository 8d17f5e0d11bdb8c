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
//	duban version, duban --version
//	duban help [COMMAND], duban --help
//
// Flags may come before or after the arguments. docs/cli.md describes the commands and
// their exit codes.
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
	"github.com/duban-gov/duban/rdb"
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
	// The Redis client's own log lines, at debug level: below what is printed.
	rdb.SetClientLogger(slog.New(slog.NewTextHandler(os.Stderr, nil)).With("component", "redis"))
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr, os.Getenv)
	stop()
	os.Exit(code)
}

// Exit codes, the same for every command.
const (
	exitOK     = 0
	exitFailed = 1 // a runtime failure: Redis unreachable, a month not begun, rejected events
	exitConfig = 2 // a configuration or usage error
)

// cli is what run was given, shared by the subcommands.
type cli struct {
	stdout, stderr io.Writer
	getenv         func(string) string
	log            *slog.Logger
	configPath     string // --config
	logZone        *logZone
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
	name, args := commandOf(args)
	cmd := lookup(name)
	if cmd == nil {
		fmt.Fprintf(stderr, "duban: unknown command %q\n%s", name, listHint)
		return exitConfig
	}
	fs, runCmd := c.flagSet(cmd)
	pos, err := parseArgs(fs, args)
	if err == nil {
		err = runCmd(ctx, pos)
	}
	return c.exit(cmd, err)
}

// listHint follows an unknown command.
const listHint = "Run 'duban help' for the list of commands.\n"

// usageError is a bad command line: its message is printed with the command's usage line.
type usageError struct {
	msg string
	// general: the mistake is about the commands themselves (`duban help nosuch`), so the
	// hint is the list of commands.
	general bool
}

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

// exit prints err, if any, as one line naming the command, and maps it to the exit code:
// 2 with the usage line for a usage error, 2 for a configuration error, 1 for anything
// else. --help prints the command's help on stdout and exits 0.
func (c *cli) exit(cmd *command, err error) int {
	var (
		ue *usageError
		ce *config.Error
	)
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, flag.ErrHelp):
		c.printHelp(c.stdout, cmd)
		return exitOK
	case errors.As(err, &ue):
		fmt.Fprintf(c.stderr, "duban %s: %v\n", cmd.name, err)
		if ue.general {
			fmt.Fprint(c.stderr, listHint)
		} else {
			fmt.Fprintf(c.stderr, "usage: %s\nRun 'duban help %s' for details.\n", cmd.usageLine(), cmd.name)
		}
		return exitConfig
	case errors.As(err, &ce), errors.Is(err, errNoRedis):
		fmt.Fprintf(c.stderr, "duban %s: configuration error: %v\n", cmd.name, err)
		return exitConfig
	}
	fmt.Fprintf(c.stderr, "duban %s: %v\n", cmd.name, err)
	return exitFailed
}

// loadConfig loads the configuration from --config, else DUBAN_CONFIG, else defaults, and
// puts the log's times in its zone.
func (c *cli) loadConfig() (*config.Config, error) {
	path := c.configPath
	if path == "" {
		path = c.getenv("DUBAN_CONFIG")
	}
	cfg, err := config.Load(path, c.getenv)
	if err == nil {
		c.logZone.loc.Store(cfg.Location)
	}
	return cfg, err
}

func (c *cli) versionCmd(*flag.FlagSet) runner {
	return func(_ context.Context, args []string) error {
		if len(args) > 0 {
			return usagef("unexpected argument %q", args[0])
		}
		fmt.Fprintf(c.stdout, "duban %s (%s)\n", buildVersion(), runtime.Version())
		return nil
	}
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
