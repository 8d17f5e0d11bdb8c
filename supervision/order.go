package supervision

import (
	"slices"
	"time"

	"github.com/duban-gov/duban/monitor"
	"github.com/duban-gov/duban/monitor/deadline"
)

// Kind is what an order asks of the department.
type Kind string

// The kinds of order.
const (
	Rectify Kind = "rectify" // 限期整改/办结
	Explain Kind = "explain" // 说明情况
)

// Valid reports whether k is a known kind.
func (k Kind) Valid() bool { return k == Rectify || k == Explain }

// State is where an order is in its workflow.
type State string

// The states: open (waiting for the department's reply) → replied (waiting for the
// bureau's review) → closed (accepted), or back to open (returned, a new round); withdrawn
// from open or replied.
const (
	Open      State = "open"
	Replied   State = "replied"
	Closed    State = "closed"
	Withdrawn State = "withdrawn"
)

// Active reports whether an order in this state is still pending (open or replied): such an
// order is "督办中", and an automatic order of the same case attaches to it.
func (s State) Active() bool { return s == Open || s == Replied }

// Responsibility is the share of responsibility a handler bears.
type Responsibility string

// The responsibilities (责任认定).
const (
	Direct     Responsibility = "direct"     // 直接责任
	Leadership Responsibility = "leadership" // 领导责任
	None       Responsibility = "none"       // 不负责任
)

// Valid reports whether r is a known responsibility.
func (r Responsibility) Valid() bool { return r == Direct || r == Leadership || r == None }

// Responsible is one handler's responsibility, as a reply states it or the review restates it.
type Responsible struct {
	Handler        string         `json:"handler"`
	Responsibility Responsibility `json:"responsibility"`
}

// Reply is a department's answer in one round.
type Reply struct {
	Round int       `json:"round"`
	At    time.Time `json:"at"`
	By    string    `json:"by"`
	// Late is true when the reply came at or after the round's reply deadline.
	Late      bool   `json:"late"`
	Cause     string `json:"cause"`
	Measures  string `json:"measures"`
	Completed bool   `json:"completed"`
	// Responsible is never nil on a stored reply (an empty statement is []), so that nil
	// means hidden (HideResponsible) and the field is then absent.
	Responsible []Responsible `json:"responsible,omitzero"`
}

// Decision is a supervisor's decision on an order.
type Decision string

// The decisions a review records.
const (
	Accepted       Decision = "accepted"
	Returned       Decision = "returned"
	WithdrawnOrder Decision = "withdrawn"
)

// Review is the bureau's latest decision on the order.
type Review struct {
	At       time.Time `json:"at"`
	By       string    `json:"by"`
	Decision Decision  `json:"decision"`
	Note     string    `json:"note"`
	// Responsible is, on acceptance, the determination that stands: the supervisor's
	// restatement, or the accepted reply's statement when the supervisor made none.
	// It is nil (absent) for other decisions and when hidden.
	Responsible []Responsible `json:"responsible,omitzero"`
}

// HistoryAction names one entry of an order's history.
type HistoryAction string

// The history actions.
const (
	HOpened    HistoryAction = "opened"
	HAttached  HistoryAction = "attached"
	HReplied   HistoryAction = "replied"
	HReturned  HistoryAction = "returned"
	HAccepted  HistoryAction = "accepted"
	HWithdrawn HistoryAction = "withdrawn"
	HOverdue   HistoryAction = "overdue"
	HEscalated HistoryAction = "escalated"
	HExempted  HistoryAction = "exempted"
)

// HistoryEntry is one thing that happened to an order: who, when, what, with which text.
type HistoryEntry struct {
	At     time.Time     `json:"at"`
	By     string        `json:"by"`
	Action HistoryAction `json:"action"`
	Note   string        `json:"note"`
	Round  int           `json:"round"`
	// Alert names the alert an `attached`, `overdue`, `escalated` or `exempted` entry is about.
	Alert string `json:"alert,omitempty"`
}

// Round is one round of an order: the first starts when it is opened, each later one when a
// reply is returned. Its deadlines are kept as computed when it started (recomputed only
// while they are provisional and have not fired, see Recompute).
type Round struct {
	Round     int       `json:"round"`
	StartedAt time.Time `json:"started_at"`
	// Days is the round's limit in working days: the order's reply_days for the first round,
	// supervision.return_days for the others.
	Days        int               `json:"days"`
	ReplyDue    deadline.Deadline `json:"reply_due"`
	EscalateDue deadline.Deadline `json:"escalate_due"`
	// EscalateDays is the supervision.escalate_days the round's escalation was computed with.
	EscalateDays int  `json:"escalate_days"`
	Provisional  bool `json:"provisional"`
	// Overdue and Escalated are set when the round's order_overdue and order_escalated fire.
	Overdue   bool `json:"overdue"`
	Escalated bool `json:"escalated"`
	// OverdueExempted and EscalatedExempted are set when a supervisor exempts that alert; an
	// exempted order_overdue is no fault of the department.
	OverdueExempted   bool `json:"overdue_exempted,omitempty"`
	EscalatedExempted bool `json:"escalated_exempted,omitempty"`
}

// Order is a supervision order (督办单), as stored and as the API shows it. The fields up to
// History are the external shape; the rest are kept so that every rule can be computed from
// the order alone.
type Order struct {
	ID          string            `json:"id"`     // DB-YYYY-NNNNNN
	Number      string            `json:"number"` // 督〔YYYY〕NNNNNN号
	Department  string            `json:"department"`
	CaseIDs     []string          `json:"case_ids"`
	Alerts      []string          `json:"alerts"`
	Kind        Kind              `json:"kind"`
	Opinion     string            `json:"opinion"`
	State       State             `json:"state"`
	Round       int               `json:"round"`
	OpenedAt    time.Time         `json:"opened_at"`
	OpenedBy    string            `json:"opened_by"`
	ReplyDue    deadline.Deadline `json:"reply_due"`
	Provisional bool              `json:"provisional"`
	Replies     []Reply           `json:"replies"`
	Review      *Review           `json:"review"`
	Overdue     bool              `json:"overdue"`
	Escalated   bool              `json:"escalated"`
	History     []HistoryEntry    `json:"history"`
	ReplyDays   int               `json:"reply_days"`
	Rounds      []Round           `json:"rounds"`
	Auto        bool              `json:"auto"`
	// EarliestAlertAt is the earliest instant among the order's alerts, which decides the
	// year of its confirmed faults; nil for an order without alerts.
	EarliestAlertAt *time.Time `json:"earliest_alert_at,omitempty"`
	UpdatedAt       time.Time  `json:"updated_at"`
	// Revision grows by one with each change, for idempotent consumers of the live feed.
	Revision int `json:"revision"`
}

// current returns the current round, or nil for an order not yet opened.
func (o *Order) current() *Round {
	if len(o.Rounds) == 0 {
		return nil
	}
	return &o.Rounds[len(o.Rounds)-1]
}

// CurrentRound returns a copy of the current round; ok is false for an order not yet opened.
func (o *Order) CurrentRound() (Round, bool) {
	if r := o.current(); r != nil {
		return *r, true
	}
	return Round{}, false
}

// roundReply returns the reply of round n, or nil.
func (o *Order) roundReply(n int) *Reply {
	for i := len(o.Replies) - 1; i >= 0; i-- {
		if o.Replies[i].Round == n {
			return &o.Replies[i]
		}
	}
	return nil
}

// Clone returns a deep copy of the order.
func (o Order) Clone() Order { return o.clone() }

// clone returns a deep copy, so that Apply never changes the order it was given.
func (o Order) clone() Order {
	c := o
	c.CaseIDs = slices.Clone(o.CaseIDs) // an empty list stays a list ([], not null)
	c.Alerts = slices.Clone(o.Alerts)
	c.Replies = make([]Reply, len(o.Replies))
	for i, r := range o.Replies {
		r.Responsible = cloneResp(r.Responsible)
		c.Replies[i] = r
	}
	if o.Review != nil {
		r := *o.Review
		r.Responsible = cloneResp(r.Responsible)
		c.Review = &r
	}
	c.History = slices.Clone(o.History)
	c.Rounds = slices.Clone(o.Rounds)
	if o.EarliestAlertAt != nil {
		t := *o.EarliestAlertAt
		c.EarliestAlertAt = &t
	}
	return c
}

// InZone puts every time of the order in loc, the configured zone, for display.
func (o *Order) InZone(loc *time.Location) {
	if loc == nil {
		return
	}
	z := func(t *time.Time) { *t = monitor.InZone(*t, loc) }
	z(&o.OpenedAt)
	z(&o.ReplyDue.At)
	z(&o.UpdatedAt)
	for i := range o.Replies {
		z(&o.Replies[i].At)
	}
	if o.Review != nil {
		z(&o.Review.At)
	}
	for i := range o.History {
		z(&o.History[i].At)
	}
	for i := range o.Rounds {
		z(&o.Rounds[i].StartedAt)
		z(&o.Rounds[i].ReplyDue.At)
		z(&o.Rounds[i].EscalateDue.At)
	}
	if o.EarliestAlertAt != nil {
		z(o.EarliestAlertAt)
	}
}

// HideResponsible removes the `responsible` statements, which name officials, for a reader
// who may not see them (an all-department viewer, the demo's tokenless reads). The fields
// are then absent from the JSON, not empty.
func (o *Order) HideResponsible() {
	for i := range o.Replies {
		o.Replies[i].Responsible = nil
	}
	if o.Review != nil {
		o.Review.Responsible = nil
	}
}

// cloneResp copies a statement, keeping nil nil and empty empty.
func cloneResp(rs []Responsible) []Responsible {
	if rs == nil {
		return nil
	}
	return append([]Responsible{}, rs...)
}
