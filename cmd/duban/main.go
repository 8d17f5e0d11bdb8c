// Command duban is the real-time electronic supervision service for administrative
// approvals (督办). This package is wiring only: it reads the command line and the
// configuration, turns signals into a context and exits; the work is done by the packages
// it starts (service, demo, collectors/fileimport, dashboards/figures).
//
//	duban [serve] [--config FILE]        the service (the default)
//	duban demo [--config FILE]           the service on an embedded Redis, with demo traffic
//	duban rank [--config FILE] [--force] YYYY-MM
//	duban import [--config FILE] [--format ndjson|csv] [--historical] FILE
//	                                     backfill events from NDJSON or CSV (FILE - is stdin)
//	duban bench [--url URL] [--json]     measure a service from outside (docs/benchmarks.md)
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
	"net/http"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"syscall"

	"github.com/duban-gov/duban/internal/cli"
	"github.com/duban-gov/duban/internal/config"
	"github.com/duban-gov/duban/rdb"
	"github.com/duban-gov/duban/service"
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

// app is what run was given, shared by the subcommands.
type app struct {
	prog       *cli.Program
	stdout     io.Writer
	stderr     io.Writer
	getenv     func(string) string
	log        *slog.Logger
	logZone    *cli.LogZone
	configPath string // --config
	// onListen and wrap reach the service (service.Options): the tests in this package
	// listen on 127.0.0.1:0 and check every answer against docs/openapi.yaml.
	onListen func(addr string)
	wrap     func(http.Handler) http.Handler
}

// run is the whole program but for the process: it returns the exit code. ctx ends on
// SIGTERM or SIGINT, which starts a clean shutdown.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	return newApp(stdout, stderr, getenv).prog.Run(ctx, args)
}

func newApp(stdout, stderr io.Writer, getenv func(string) string) *app {
	a := &app{stdout: stdout, stderr: stderr, getenv: getenv, logZone: &cli.LogZone{}}
	a.log = cli.NewLogger(stderr, a.logZone)
	a.prog = &cli.Program{Name: "duban", Commands: a.commands(), Default: "serve",
		Intro: usageIntro, Outro: usageOutro, Stdout: stdout, Stderr: stderr,
		CommonFlags: func(fs *flag.FlagSet) {
			fs.StringVar(&a.configPath, "config", "", "the configuration `FILE` (default $DUBAN_CONFIG)")
		},
		IsConfigError: func(err error) bool {
			var ce *config.Error
			return errors.As(err, &ce) || errors.Is(err, service.ErrNoRedis)
		}}
	return a
}

// loadConfig loads the configuration from --config, else DUBAN_CONFIG, else defaults, and
// puts the log's times in its zone.
func (a *app) loadConfig() (*config.Config, error) {
	path := a.configPath
	if path == "" {
		path = a.getenv("DUBAN_CONFIG")
	}
	cfg, err := config.Load(path, a.getenv)
	if err == nil {
		a.logZone.Set(cfg.Location)
	}
	return cfg, err
}

// serviceOptions are the options every command that runs the service passes on.
func (a *app) serviceOptions() service.Options {
	return service.Options{Logger: a.log, Version: buildVersion(), OnListen: a.onListen, WrapHandler: a.wrap}
}

func (a *app) versionCmd(*flag.FlagSet) cli.Runner {
	return func(_ context.Context, args []string) error {
		if len(args) > 0 {
			return cli.Usagef("unexpected argument %q", args[0])
		}
		fmt.Fprintf(a.stdout, "duban %s (%s)\n", buildVersion(), runtime.Version())
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

// The frame of `duban help`.
const (
	usageIntro = `duban (督办) supervises administrative approvals in real time: it follows each case's
events as the departments report them, raises alerts as deadlines approach and pass, and
ranks the departments every month.

Usage:

	duban <command> [flags] [arguments]

The commands are:

`
	usageOutro = `
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
`
)
