package fold

import (
	"encoding/json"
	"time"

	"github.com/duban-gov/duban/monitor"
	"github.com/duban-gov/duban/monitor/alerting"
	"github.com/duban-gov/duban/monitor/deadline"
)

// Transition types. Counters, aggregates, the alert stream and the live feed are built from
// these (docs/architecture.md, invariant 8), so every figure on a screen can be traced to events.
const (
	// TCaseOpened: the case was applied for the first time (it counts as received on the
	// day of its submitted_at).
	TCaseOpened = "case_opened"
	// TStageChanged: From → To stage.
	TStageChanged = "stage_changed"
	// TLevelChanged: From → To level.
	TLevelChanged = "level_changed"
	// TDecided: the case has a decision (Decision carries the ranking facts).
	TDecided = "decided"
	// TDecisionUndone: a decision counted before no longer holds (its event was retracted
	// or corrected); Decision carries the facts to take back, so aggregates stay exact.
	TDecisionUndone = "decision_undone"
	// TAlert: an alert record of the case is new (New) or changed; Alert carries it whole.
	TAlert = "alert"
	// TFault: a fault count of accountability changes by Fault.Delta.
	TFault = "fault"
	// TCalendarMissing: a deadline of the case needs Year, whose calendar is not loaded.
	TCalendarMissing = "calendar_missing"
	// TClosedUndecided: the case closed without a decision (withdrawn, not accepted) while
	// its promised deadline was overdue: it leaves the ranking's open_overdue from then on.
	TClosedUndecided = "closed_undecided"
	// TCounted: the case moved between the (stage, level) cells the screen counts open
	// cases by: From and To are "stage|level" ("" before the first apply).
	TCounted = "counted"
)

// Transition is one change of a case, written to its partition's outbox in the same atomic
// step as the state that caused it, and so emitted exactly once.
type Transition struct {
	Type       string                  `json:"type"`
	CaseID     string                  `json:"case_id"`
	Department string                  `json:"department"`
	Matter     string                  `json:"matter"`
	At         time.Time               `json:"at"` // the business instant it refers to
	From       string                  `json:"from,omitempty"`
	To         string                  `json:"to,omitempty"`
	Decision   *deadline.DecisionFacts `json:"decision,omitempty"`
	// Key is the TAlert record's alert key: its record rides in the outbox entry's field of
	// that key (rdb.OutboxEntry.Records), not by position.
	Key string `json:"key,omitempty"`
	// Alert is the TAlert record, whole in the process that made the transition, and rebuilt
	// from Facts in the relay. AlertDoc is its JSON exactly as stored: it rides in the outbox
	// entry's own field, and the relay puts it on the alert stream as it is, never decoding
	// and encoding a record again on the midnight-burst path. Facts are what the relay's
	// figures read of it. SetAlert sets all four.
	Alert     *alerting.Record `json:"-"`
	AlertDoc  json.RawMessage  `json:"-"`
	Facts     *AlertFacts      `json:"facts,omitempty"`
	Scheduled bool             `json:"scheduled,omitempty"` // TAlert: fired by a threshold
	New       bool             `json:"new,omitempty"`       // TAlert: the alert fired now
	// TAlert: whether the record counted (alerting.Record.Counts) and was open before.
	WasCounting   bool                 `json:"was_counting,omitempty"`
	WasOpen       bool                 `json:"was_open,omitempty"`
	WasSuperseded bool                 `json:"was_superseded,omitempty"`
	Fault         *alerting.FaultDelta `json:"fault,omitempty"`
	Year          int                  `json:"year,omitempty"`
}

// SetAlert makes t a TAlert transition of r, whose stored JSON is doc (set by the engine,
// which encodes records; nil until then).
func (t *Transition) SetAlert(r *alerting.Record, doc []byte) {
	t.Type, t.Key, t.Alert, t.AlertDoc, t.Facts = TAlert, r.Key, r, doc, FactsOf(r)
}

// AlertFacts are the fields of an alert record that the figures count by.
type AlertFacts struct {
	Kind       monitor.AlertKind   `json:"kind"`
	Level      monitor.Level       `json:"level"`
	State      alerting.State      `json:"state"`
	Resolution alerting.Resolution `json:"resolution,omitempty"`
	Department string              `json:"department,omitempty"`
	Instant    time.Time           `json:"instant"`
	FiredAt    time.Time           `json:"fired_at"`
}

// FactsOf are r's facts.
func FactsOf(r *alerting.Record) *AlertFacts {
	return &AlertFacts{Kind: r.Kind, Level: r.Level, State: r.State, Resolution: r.Resolution,
		Department: r.Department, Instant: r.Instant, FiredAt: r.FiredAt}
}

// Record is a record with just the facts set (for the figures, which read no more).
func (f *AlertFacts) Record() *alerting.Record {
	return &alerting.Record{Kind: f.Kind, Level: f.Level, State: f.State, Resolution: f.Resolution,
		Department: f.Department, Instant: f.Instant, FiredAt: f.FiredAt}
}

// Diff lists the transitions from old (nil before the case was first applied) to cur.
func Diff(old, cur *CaseState) []Transition {
	base := Transition{CaseID: cur.CaseID, Department: cur.Department, Matter: cur.Matter, At: cur.At}
	var out []Transition
	add := func(t Transition) {
		out = append(out, t)
	}
	oldStage, oldLevel := "", ""
	var oldDec *deadline.DecisionFacts
	if old == nil {
		t := base
		t.Type = TCaseOpened
		if cur.SubmittedAt != nil {
			t.At = *cur.SubmittedAt
		}
		add(t)
	} else {
		oldStage, oldLevel, oldDec = string(old.Stage), string(old.Level), old.Decision
	}
	if oldStage != string(cur.Stage) {
		t := base
		t.Type, t.From, t.To = TStageChanged, oldStage, string(cur.Stage)
		add(t)
	}
	if oldLevel != string(cur.Level) {
		t := base
		t.Type, t.From, t.To = TLevelChanged, oldLevel, string(cur.Level)
		add(t)
	}
	if oldStage != string(cur.Stage) || oldLevel != string(cur.Level) {
		t := base
		t.Type, t.To = TCounted, monitor.Cell{Stage: cur.Stage, Level: cur.Level}.StageLevel()
		if old != nil {
			t.From = monitor.Cell{Stage: monitor.Stage(oldStage), Level: monitor.Level(oldLevel)}.StageLevel()
		}
		add(t)
	}
	if !sameDecision(oldDec, cur.Decision) {
		if oldDec != nil {
			t := base
			t.Type, t.Decision, t.At = TDecisionUndone, oldDec, oldDec.At
			add(t)
		}
		if cur.Decision != nil {
			t := base
			t.Type, t.Decision, t.At = TDecided, cur.Decision, cur.Decision.At
			add(t)
		}
	}
	return out
}

// sameDecision compares decision facts by value; times compare as instants, since a state
// read back from JSON carries a fixed-offset zone where a fresh one carries the named zone.
func sameDecision(a, b *deadline.DecisionFacts) bool {
	if a == nil || b == nil {
		return a == b
	}
	x, y := *a, *b
	if !x.At.Equal(y.At) {
		return false
	}
	x.At, y.At = time.Time{}, time.Time{}
	return x == y
}
