package monitor

import (
	"testing"
	"time"
)

func TestInZone(t *testing.T) {
	urumqi := time.FixedZone("XJT", 6*3600)
	at := time.Date(2026, 3, 2, 2, 15, 0, 0, time.UTC)
	if got := InZone(at, urumqi); !got.Equal(at) || got.Format(time.RFC3339) != "2026-03-02T08:15:00+06:00" {
		t.Errorf("InZone = %s", got.Format(time.RFC3339))
	}
	if got := InZone(time.Time{}, urumqi); got != (time.Time{}) {
		t.Errorf("the zero time became %v", got)
	}
	if got := InZone(at, nil); got != at {
		t.Errorf("a nil zone changed %v to %v", at, got)
	}
	e := Event{At: at, ReceivedAt: at.Add(time.Hour)}
	e.InZone(urumqi)
	if e.At.Format(time.RFC3339) != "2026-03-02T08:15:00+06:00" || e.ReceivedAt.Format(time.RFC3339) != "2026-03-02T09:15:00+06:00" ||
		!e.StoredAt.IsZero() {
		t.Errorf("event: at %v, received_at %v, stored_at %v", e.At, e.ReceivedAt, e.StoredAt)
	}
}
