package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"time"

	"github.com/duban-gov/duban/benchmark"
	"github.com/duban-gov/duban/demo"
	"github.com/duban-gov/duban/internal/cli"
	"github.com/duban-gov/duban/service"
)

// commands lists the subcommands in the order `duban help` shows them.
func (a *app) commands() []*cli.Command {
	return []*cli.Command{
		{Name: "serve", Summary: "run the service (the default when no command is given)", About: serveAbout,
			Setup: a.serveCmd},
		{Name: "demo", Summary: "run the service on an embedded Redis with simulated departments", About: demoAbout,
			Setup: a.demoCmd},
		{Name: "rank", Args: "YYYY-MM", Summary: "build and publish a month's ranking", About: rankAbout,
			Setup: a.rankCmd},
		{Name: "report", Args: "orders YYYY-Qn", Summary: "write a quarter's supervision-order report", About: reportAbout,
			Setup: a.reportCmd},
		{Name: "import", Args: "FILE", Summary: "backfill events from an NDJSON or CSV file", About: importAbout,
			Setup: a.importCmd},
		{Name: "bench", Summary: "measure a service from outside: ingestion, timers, memory, live feed", About: benchAbout,
			Setup: a.benchCmd},
		{Name: "version", Summary: "print the version", About: "Version prints duban's version and the Go version it was built with.",
			Setup: a.versionCmd},
		{Name: "help", Args: "[COMMAND]", Summary: "list the commands, or show one's usage and flags",
			About: "Help lists the commands, or shows a command's usage and flags.",
			Setup: func(*flag.FlagSet) cli.Runner {
				return func(_ context.Context, args []string) error { return a.prog.Help(args) }
			}},
	}
}

func (a *app) serveCmd(*flag.FlagSet) cli.Runner {
	return func(ctx context.Context, args []string) error {
		if len(args) > 0 {
			return cli.Usagef("unexpected argument %q", args[0])
		}
		cfg, err := a.loadConfig()
		if err != nil {
			return err
		}
		return service.Serve(ctx, cfg, a.serviceOptions())
	}
}

func (a *app) demoCmd(*flag.FlagSet) cli.Runner {
	return func(ctx context.Context, args []string) error {
		if len(args) > 0 {
			return cli.Usagef("unexpected argument %q", args[0])
		}
		cfg, err := a.loadConfig()
		if err != nil {
			return err
		}
		return demo.Run(ctx, demo.Options{Config: cfg, Logger: a.log, Stdout: a.stdout, Getenv: a.getenv,
			OnListen: a.onListen, WrapHandler: a.wrap, Version: buildVersion()})
	}
}

func (a *app) rankCmd(fs *flag.FlagSet) cli.Runner {
	force := fs.Bool("force", false, "rebuild a published month, keeping the previous version")
	return func(ctx context.Context, args []string) error {
		if len(args) != 1 {
			return cli.Usagef("expected one month, YYYY-MM, got %d arguments", len(args))
		}
		year, month, err := parseMonth(args[0])
		if err != nil {
			return err
		}
		cfg, err := a.loadConfig()
		if err != nil {
			return err
		}
		if err := service.RequireRedis(cfg); err != nil {
			return err
		}
		return service.Rank(ctx, cfg, a.log, a.stdout, year, month, *force)
	}
}

func (a *app) reportCmd(fs *flag.FlagSet) cli.Runner {
	out := fs.String("out", ".", "the `directory` to write orders-YYYY-Qn.json, .csv and .html into")
	return func(ctx context.Context, args []string) error {
		if len(args) != 2 || args[0] != "orders" {
			return cli.Usagef("expected: report orders YYYY-Qn")
		}
		cfg, err := a.loadConfig()
		if err != nil {
			return err
		}
		if err := service.RequireRedis(cfg); err != nil {
			return err
		}
		files, err := service.WriteOrderReport(ctx, cfg, args[1], *out, a.log)
		for _, f := range files {
			fmt.Fprintln(a.stdout, "wrote", f)
		}
		return err
	}
}

func parseMonth(s string) (int, time.Month, error) {
	t, err := time.Parse("2006-01", s)
	if err != nil || len(s) != len("2006-01") {
		return 0, 0, cli.Usagef("month %q is not YYYY-MM, like 2026-03", s)
	}
	return t.Year(), t.Month(), nil
}

func (a *app) importCmd(flags *flag.FlagSet) cli.Runner {
	format := flags.String("format", "", "the file's `format`: ndjson or csv (default: from its extension)")
	historical := flags.Bool("historical", false, "set each event's received_at to its own at: records kept before duban watched (no late_report)")
	return func(ctx context.Context, args []string) error {
		if len(args) != 1 {
			return cli.Usagef("expected one FILE (NDJSON or CSV, - for standard input), got %d arguments", len(args))
		}
		file := args[0]
		if file != "-" {
			if st, err := os.Stat(file); err != nil {
				var pe *fs.PathError
				if errors.As(err, &pe) {
					err = fmt.Errorf("%s: %w", file, pe.Err) // not "stat FILE: …"
				}
				return err
			} else if st.IsDir() {
				return fmt.Errorf("%s is a directory", file)
			}
		}
		f, err := importFormat(file, *format)
		if err != nil {
			return err
		}
		cfg, err := a.loadConfig()
		if err != nil {
			return err
		}
		if err := service.RequireRedis(cfg); err != nil {
			return err
		}
		return a.importFile(ctx, cfg, file, f, *historical)
	}
}

func (a *app) benchCmd(fs *flag.FlagSet) cli.Runner {
	o := benchmark.Flags(fs)
	return func(ctx context.Context, args []string) error {
		if len(args) > 0 {
			return cli.Usagef("unexpected argument %q", args[0])
		}
		if a.getenv(benchmark.ChildEnv) == "1" { // the service the bench started
			cfg, err := a.loadConfig()
			if err != nil {
				return err
			}
			return benchmark.RunChild(ctx, cfg, a.serviceOptions(), a.stdout)
		}
		return benchmark.Run(ctx, *o, a.stdout, a.stderr)
	}
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

	reportAbout = `Report orders writes the quarterly report of supervision orders (责任追究情况报告)
of quarter YYYY-Qn, counting the orders opened in it as they stand now, as
orders-YYYY-Qn.json, .csv (UTF-8 with BOM) and .html into --out (the current directory).`

	importAbout = `Import backfills the events of FILE, NDJSON or CSV ("-" reads standard input), each
checked and stored as the push API would. Each rejected event is one line on standard
error and the summary one line on standard output; the other events are stored, and the
exit code is 1 when any was rejected. Importing a file again stores nothing twice.`

	benchAbout = `Bench measures a duban service from a separate process, over its API: ingestion
rate and receipt-to-applied latency, timer lag, a midnight burst, Redis memory per open
case, the service's memory and the WebSocket fan-out. Without --url it starts a
redis-server and a service of its own, on a business clock it steers. docs/benchmarks.md.`
)
