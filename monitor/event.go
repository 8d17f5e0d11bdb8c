// Package monitor is duban's domain vocabulary: events reported by department systems, the
// catalogue of matters and their time limits, cases and alert kinds. It depends on no other
// project package and does no I/O; the clock rules live in monitor/deadline, the calendar in
// monitor/workday and everything that touches Redis in rdb.
package monitor

import (
	"time"
)

// EventType is the kind of step an event reports (docs/api.md, "POST /api/v1/events").
type EventType string

// The event types.
const (
	Submitted           EventType = "submitted"
	Accepted            EventType = "accepted"
	NotAccepted         EventType = "not_accepted"
	SupplementRequested EventType = "supplement_requested"
	SupplementReceived  EventType = "supplement_received"
	Suspended           EventType = "suspended"
	Resumed             EventType = "resumed"
	Extended            EventType = "extended"
	Decided             EventType = "decided"
	Delivered           EventType = "delivered"
	FeeCharged          EventType = "fee_charged"
	Withdrawn           EventType = "withdrawn"
	Step                EventType = "step"
	Retracted           EventType = "retracted"
)

// EventTypes lists every valid event type, in the contract's order.
var EventTypes = []EventType{
	Submitted, Accepted, NotAccepted, SupplementRequested, SupplementReceived, Suspended,
	Resumed, Extended, Decided, Delivered, FeeCharged, Withdrawn, Step, Retracted,
}

// Valid reports whether t is one of the contract's event types.
func (t EventType) Valid() bool {
	for _, v := range EventTypes {
		if v == t {
			return true
		}
	}
	return false
}

// Suspension reasons (行政许可法 Art. 45, plus supplement and other).
const (
	ReasonHearing      = "hearing"
	ReasonBidding      = "bidding"
	ReasonAuction      = "auction"
	ReasonTesting      = "testing"
	ReasonInspection   = "inspection"
	ReasonQuarantine   = "quarantine"
	ReasonAppraisal    = "appraisal"
	ReasonExpertReview = "expert_review"
	ReasonSupplement   = "supplement"
	ReasonOther        = "other"
)

// SuspensionReasons lists every valid `reason` of a `suspended` event.
var SuspensionReasons = []string{
	ReasonHearing, ReasonBidding, ReasonAuction, ReasonTesting, ReasonInspection,
	ReasonQuarantine, ReasonAppraisal, ReasonExpertReview, ReasonSupplement, ReasonOther,
}

// ValidReason reports whether r is a known suspension reason.
func ValidReason(r string) bool {
	for _, v := range SuspensionReasons {
		if v == r {
			return true
		}
	}
	return false
}

// Decision results.
const (
	ResultApproved = "approved"
	ResultDenied   = "denied"
)

// Event is one step of one case, as a department system reported it. Optional fields are
// their zero value when absent. ReceivedAt is not sent by departments: the service stamps it
// (from the business clock) when it first stores the event, and it is kept with the event so
// that the case state stays a pure function of the stored event set.
type Event struct {
	EventID    string    `json:"event_id"`
	CaseID     string    `json:"case_id"`
	Department string    `json:"department"`
	Matter     string    `json:"matter,omitempty"`
	Type       EventType `json:"type"`
	At         time.Time `json:"at"`
	Seq        int64     `json:"seq,omitempty"`
	Handler    string    `json:"handler,omitempty"`
	Days       int       `json:"days,omitempty"`
	Approver   string    `json:"approver,omitempty"`
	Reason     string    `json:"reason,omitempty"`
	Note       string    `json:"note,omitempty"`
	AmountYuan string    `json:"amount_yuan,omitempty"`
	Result     string    `json:"result,omitempty"`
	Ref        string    `json:"ref,omitempty"`
	ReceivedAt time.Time `json:"received_at,omitzero"`
	// StoredAt is set, to the business instant of storing, only when ReceivedAt is not that
	// instant: an event backfilled by `duban import --historical` keeps ReceivedAt = At (no
	// late_report), and its receipt-to-applied latency is measured from StoredAt. Like
	// ReceivedAt it is never read from a department's input.
	StoredAt time.Time `json:"stored_at,omitzero"`
}

// Receipt is when the service took the event in (for receipt-to-applied latency): StoredAt
// when set, else ReceivedAt.
func (e *Event) Receipt() time.Time {
	if !e.StoredAt.IsZero() {
		return e.StoredAt
	}
	return e.ReceivedAt
}

// Before reports whether e sorts before o in the one order the clock rules use: by `at`, then
// `seq`, then `event_id` (docs/rules.md). Any arrival order of the same set sorts the same way.
func (e *Event) Before(o *Event) bool {
	if !e.At.Equal(o.At) {
		return e.At.Before(o.At)
	}
	if e.Seq != o.Seq {
		return e.Seq < o.Seq
	}
	return e.EventID < o.EventID
}

// SortEvents sorts events in place by Before. Cases hold a handful of events, so an insertion
// sort beats sort.Slice (no allocation, no reflection) on the hot path.
func SortEvents(evs []Event) {
	for i := 1; i < len(evs); i++ {
		for j := i; j > 0 && evs[j].Before(&evs[j-1]); j-- {
			evs[j], evs[j-1] = evs[j-1], evs[j]
		}
	}
}
