package cli

import (
	"io"
	"log/slog"
	"sync/atomic"
	"time"
)

// LogZone is the zone a log writes its times in: the configured zone once a configuration
// is loaded (the host's before), so that a log line's time and its time fields read like
// every other time duban shows.
type LogZone struct{ loc atomic.Pointer[time.Location] }

// Set makes the log write its times in loc from now on.
func (z *LogZone) Set(loc *time.Location) { z.loc.Store(loc) }

// NewLogger returns a logger writing text lines to w with times in z.
func NewLogger(w io.Writer, z *LogZone) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if loc := z.loc.Load(); loc != nil && a.Value.Kind() == slog.KindTime {
				a.Value = slog.TimeValue(a.Value.Time().In(loc))
			}
			return a
		},
	}))
}
