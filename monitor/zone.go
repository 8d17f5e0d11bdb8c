package monitor

import "time"

// InZone returns t as the same instant shown in loc, the configured zone: every time duban
// writes for people or other systems is in it (docs/api.md, "Times"). The zero time stays
// the zero time (In would give it the zone's local mean time, e.g. +08:05:43, where an
// omitzero field or IsZero expects zero), and a nil loc leaves t as it is.
func InZone(t time.Time, loc *time.Location) time.Time {
	if loc == nil || t.IsZero() {
		return t
	}
	return t.In(loc)
}

// InZone puts the event's times in loc (InZone). Its `at` keeps its instant, so the clock
// rules read the same event; only the offset it is shown with changes.
func (e *Event) InZone(loc *time.Location) {
	e.At = InZone(e.At, loc)
	e.ReceivedAt = InZone(e.ReceivedAt, loc)
	e.StoredAt = InZone(e.StoredAt, loc)
}
