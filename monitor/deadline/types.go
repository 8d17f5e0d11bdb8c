// Package deadline implements the clock rules (docs/rules.md) as one pure function: a case's
// events, its matter, the calendar and "now" in; the case's stage, deadlines, day counts,
// level, the alerts the events imply and the future thresholds out. It does no I/O and reads
// no clock, so it is exhaustively testable and cheap enough to run on every applied event.
package deadline

import (
	"time"

	"github.com/duban-gov/duban/monitor"
	"github.com/duban-gov/duban/monitor/workday"
)

// Deadline is the end of a limit: the last counted working day, and the instant it ends
// (00:00 of the next calendar day in the configured zone).
type Deadline struct {
	Date workday.Date `json:"date"`
	At   time.Time    `json:"at"`
}

// Input is everything the clock rules read.
type Input struct {
	// Events of the case, in any order and possibly with duplicates removed already (the
	// store dedupes by event_id). Compute sorts this slice in place.
	Events   []monitor.Event
	Matter   *monitor.Matter
	Calendar *workday.Calendar
	Loc      *time.Location
	Now      time.Time
	// ReportWithin is how long after its `at` an event may reach the system before it is a
	// late_report (rules.report_within); zero disables the check.
	ReportWithin time.Duration
}

// Result is the computed state of a case at Input.Now.
type Result struct {
	Stage          monitor.Stage  `json:"stage"`
	Status         monitor.Status `json:"status"`
	SubmittedAt    *time.Time     `json:"submitted_at"`
	AcceptedAt     *time.Time     `json:"accepted_at"`
	DeemedAccepted bool           `json:"deemed_accepted"`
	DecidedAt      *time.Time     `json:"decided_at"`
	ClosedAt       *time.Time     `json:"closed_at"`
	Result         string         `json:"result"`
	Handler        string         `json:"handler"`

	AcceptanceDue        *Deadline `json:"acceptance_due"`
	DecisionDuePromised  *Deadline `json:"decision_due_promised"`
	DecisionDueStatutory *Deadline `json:"decision_due_statutory"`
	DeliveryDue          *Deadline `json:"delivery_due"`

	ClockStopped  bool `json:"clock_stopped"`
	ExtensionDays int  `json:"extension_days"`
	SuspendedDays int  `json:"suspended_days"`
	UsedDays      int  `json:"used_days"`
	RemainingDays *int `json:"remaining_days"`

	// Provisional is true when a deadline relies on a year whose calendar is not loaded;
	// MissingYears names those years.
	Provisional  bool  `json:"provisional"`
	MissingYears []int `json:"missing_years,omitempty"`

	// Level is the worst level among Alerts that are Active (green when none), ignoring
	// late_report, which is about the reporting, not the case. Supervisors' actions on
	// alerts are weighed later, by the alerts package.
	Level monitor.Level `json:"level"`

	// Alerts are every alert the events imply as of Now: time alerts whose instant is <= Now
	// and event alerts. An alert fired earlier that is no longer listed has been superseded.
	Alerts []Alert `json:"-"`
	// Thresholds are the future instants (> Now) at which Alerts will change, ascending.
	// While a clock is stopped only the suspension cap is listed.
	Thresholds []Threshold `json:"-"`

	// Decision facts for the monthly ranking, set once the case is decided.
	Decision *DecisionFacts `json:"decision,omitempty"`

	// FeesFen is the total of the fees charged so far, in fen.
	FeesFen int64 `json:"fees_fen"`
	// Applied counts the events that took part (all but retracted ones and those they name).
	Applied int `json:"-"`
}

// DecisionFacts are what the ranking needs of a decided case.
type DecisionFacts struct {
	At              time.Time    `json:"at"`
	Date            workday.Date `json:"date"`
	OnTime          bool         `json:"on_time"` // decided by the promised deadline
	WithinStatutory bool         `json:"within_statutory"`
	// UsedDays is the decision stage's counted working days up to and including the
	// decision day; PromisedDays the matter's promised limit (extensions not included).
	UsedDays     int  `json:"used_days"`
	PromisedDays int  `json:"promised_days"`
	Early        bool `json:"early"` // UsedDays*2 <= PromisedDays
}

// Alert is one alert the case's events imply. Key identifies it within the case: the same
// kind, deadline (time alerts) or triggering event (event alerts) gives the same Key, so the
// alerts package can fire each exactly once and supersede the ones that disappear.
type Alert struct {
	Key     string            `json:"key"`
	Kind    monitor.AlertKind `json:"kind"`
	Level   monitor.Level     `json:"level"`
	Instant time.Time         `json:"instant"`
	Due     *Deadline         `json:"due"`
	EventID string            `json:"event_id,omitempty"`
	// Active is true while the condition holds: a time alert until the case leaves the
	// stage (acceptance_overdue until accepted or decided); an event alert always.
	Active bool `json:"active"`
	// Handler is the case's handler at Instant.
	Handler string `json:"handler"`
	// Rule names the procedure rule broken (procedure_violation), e.g. "second_supplement".
	Rule    string `json:"rule,omitempty"`
	Message string `json:"message"` // Chinese, for screens and notifications
}

// Threshold is a future instant at which the case's alerts change.
type Threshold struct {
	Kind monitor.AlertKind `json:"kind"`
	At   time.Time         `json:"at"`
}

// TimelineEntry explains one day (or one step) of a case's clocks, for the case view.
type TimelineEntry struct {
	Date  workday.Date `json:"date"`
	Clock string       `json:"clock"` // acceptance, decision or delivery
	// Kind: start, counted, stopped, off (not a working day), extension, deadline,
	// supplement_wait, provisional.
	Kind  string `json:"kind"`
	Count int    `json:"count,omitempty"` // the running count of counted days, for counted
	Note  string `json:"note,omitempty"`  // Chinese explanation
}
