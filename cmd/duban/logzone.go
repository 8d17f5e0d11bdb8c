package main

import (
	"io"
	"log/slog"
	"sync/atomic"
	"time"
)

// logZone is the zone the log writes its times in: the configured zone once a
// configuration is loaded (the host's before), so that a log line's time and its time
// fields read like every other time duban shows.
type logZone struct{ loc atomic.Pointer[time.Location] }

// newLogger returns the program's logger, writing text lines to w with times in z.
func newLogger(w io.Writer, z *logZone) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if loc := z.loc.Load(); loc != nil && a.Value.Kind() == slog.KindTime {
				a.Value = slog.TimeValue(a.Value.Time().In(loc))
			}
			return a
		},
	}))
}
