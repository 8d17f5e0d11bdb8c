package main

import (
	"context"
	"fmt"
	"os"
	"time"
)

// demoCmd runs the service on an embedded Redis with simulated departments. Unlike serve
// it needs no Redis URL; a configured one is ignored, so a demo never writes into a real
// deployment's data.
func (c *cli) demoCmd(ctx context.Context, args []string) error {
	fs, path := c.flags("demo")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("demo takes no arguments, got %q", fs.Args())
	}
	cfg, err := c.loadConfig(*path)
	if err != nil {
		return err
	}
	return c.demo(ctx, cfg)
}

// rankCmd builds one month's ranking: `duban rank [--force] YYYY-MM`.
func (c *cli) rankCmd(ctx context.Context, args []string) error {
	fs, path := c.flags("rank")
	force := fs.Bool("force", false, "rebuild a published month, keeping the previous version")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usagef("rank takes one month, YYYY-MM, after its flags")
	}
	year, month, err := parseMonth(fs.Arg(0))
	if err != nil {
		return err
	}
	cfg, err := c.loadConfig(*path)
	if err != nil {
		return err
	}
	if err := requireRedis(cfg); err != nil {
		return err
	}
	return c.rank(ctx, cfg, year, month, *force)
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
func (c *cli) importCmd(ctx context.Context, args []string) error {
	fs, path := c.flags("import")
	format := fs.String("format", "", "the file's `format`, ndjson or csv (default: from its extension)")
	historical := fs.Bool("historical", false, "stamp each event's received_at with its own at (records made before duban watched them: no late_report)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usagef("import takes one FILE (NDJSON or CSV, - for standard input) after its flags")
	}
	file := fs.Arg(0)
	// Checked before the configuration, so a typo in the file name is reported as such.
	if file != "-" {
		if st, err := os.Stat(file); err != nil {
			return err
		} else if st.IsDir() {
			return fmt.Errorf("%s is a directory", file)
		}
	}
	f, err := importFormat(file, *format)
	if err != nil {
		return err
	}
	cfg, err := c.loadConfig(*path)
	if err != nil {
		return err
	}
	if err := requireRedis(cfg); err != nil {
		return err
	}
	return c.importFile(ctx, cfg, file, f, *historical)
}
