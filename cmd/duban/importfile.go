package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/duban-gov/duban/collectors/fileimport"
	"github.com/duban-gov/duban/internal/cli"
	"github.com/duban-gov/duban/internal/config"
	"github.com/duban-gov/duban/monitor/clock"
	"github.com/duban-gov/duban/service"
)

// stdin is what `duban import -` reads.
var stdin io.Reader = os.Stdin

// importFormat is the --format given, else the one of the file's extension.
func importFormat(file, flag string) (fileimport.Format, error) {
	if flag != "" {
		f, err := fileimport.ParseFormat(flag)
		if err != nil {
			return "", cli.Usagef("--format: %v", err)
		}
		return f, nil
	}
	if file == "-" {
		return "", cli.Usagef("reading standard input (-) needs --format ndjson or --format csv")
	}
	f, ok := fileimport.FormatOf(file)
	if !ok {
		return "", cli.Usagef("cannot tell the format of %s from its extension (.ndjson, .jsonl, .json or .csv); give --format ndjson or --format csv", file)
	}
	return f, nil
}

// importFile stores the events of file ("-": standard input) through collectors/fileimport.
// Each rejected event is one line on stderr and the summary one line on stdout; an import
// with rejections returns an error (exit code 1), the good events being stored all the same.
func (a *app) importFile(ctx context.Context, cfg *config.Config, file string, format fileimport.Format, historical bool) error {
	if cfg.Catalog == nil {
		return &config.Error{Key: "catalog", Message: "no catalogue is configured; import checks each event's department and matter against it"}
	}
	r, name := stdin, "stdin"
	if file != "-" {
		f, err := os.Open(file)
		if err != nil {
			return err
		}
		defer f.Close()
		r, name = f, file
	}
	clk := service.BusinessClock(cfg, a.log)
	store, err := service.OpenStore(ctx, cfg, a.log)
	if err != nil {
		return err
	}
	defer store.Close()
	im, err := fileimport.New(fileimport.Options{Store: store, Catalog: cfg.Catalog, Clock: clk,
		Wall: clock.Wall, Historical: historical, Logger: a.log,
		OnRejected: func(r fileimport.Rejection) { fmt.Fprintln(a.stderr, r) }})
	if err != nil {
		return err
	}
	rep, err := im.Import(ctx, name, r, format)
	if err == nil || rep.Events() > 0 {
		fmt.Fprintln(a.stdout, rep)
	}
	if err != nil {
		return err
	}
	if rep.Rejected > 0 {
		return fmt.Errorf("%d of %d events rejected (listed above)", rep.Rejected, rep.Events())
	}
	return nil
}
