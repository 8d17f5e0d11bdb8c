package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"time"
)

// demoCmd runs the service on an embedded Redis with simulated departments. Unlike serve
// it needs no Redis URL; a configured one is ignored, so a demo never writes into a real
// deployment's data.
func (c *cli) demoCmd(*flag.FlagSet) runner {
	return func(ctx context.Context, args []string) error {
		if len(args) > 0 {
			return usagef("unexpected argument %q", args[0])
		}
		cfg, err := c.loadConfig()
		if err != nil {
			return err
		}
		return c.demo(ctx, cfg)
	}
}

// rankCmd builds one month's ranking: `duban rank [--force] YYYY-MM`.
func (c *cli) rankCmd(fs *flag.FlagSet) runner {
	force := fs.Bool("force", false, "rebuild a published month, keeping the previous version")
	return func(ctx context.Context, args []string) error {
		if len(args) != 1 {
			return usagef("expected one month, YYYY-MM, got %d arguments", len(args))
		}
		year, month, err := parseMonth(args[0])
		if err != nil {
			return err
		}
		cfg, err := c.loadConfig()
		if err != nil {
			return err
		}
		if err := requireRedis(cfg); err != nil {
			return err
		}
		return c.rank(ctx, cfg, year, month, *force)
	}
}

// parseMonth parses YYYY-MM strictly: a four-digit year and a two-digit month.
func parseMonth(s string) (int, time.Month, error) {
	t, err := time.Parse("2006-01", s)
	if err != nil || len(s) != len("2006-01") {
		return 0, 0, usagef("month %q is not YYYY-MM, like 2026-03", s)
	}
	return t.Year(), t.Month(), nil
}

// importCmd backfills events from a file: `duban import [--format ndjson|csv]
// [--historical] FILE`, FILE "-" being standard input.
func (c *cli) importCmd(flags *flag.FlagSet) runner {
	format := flags.String("format", "", "the file's `format`: ndjson or csv (default: from its extension)")
	historical := flags.Bool("historical", false, "set each event's received_at to its own at: records kept before duban watched (no late_report)")
	return func(ctx context.Context, args []string) error {
		if len(args) != 1 {
			return usagef("expected one FILE (NDJSON or CSV, - for standard input), got %d arguments", len(args))
		}
		file := args[0]
		// Checked before the configuration, so a typo in the file name is reported as such.
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
		cfg, err := c.loadConfig()
		if err != nil {
			return err
		}
		if err := requireRedis(cfg); err != nil {
			return err
		}
		return c.importFile(ctx, cfg, file, f, *historical)
	}
}
