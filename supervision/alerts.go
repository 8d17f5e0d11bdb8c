package supervision

import (
	"strconv"
	"time"

	"github.com/duban-gov/duban/monitor"
	"github.com/duban-gov/duban/monitor/deadline"
)

// The alert kinds of orders, beside the case kinds of package monitor.
const (
	// OrderOverdue fires when a round's reply deadline passes with no reply (催办).
	OrderOverdue = monitor.OrderOverdue
	// OrderEscalated fires when still no reply has come escalate_days working days later.
	OrderEscalated = monitor.OrderEscalated
	// FaultThresholdConfirmed fires once per handler and year when the handler's confirmed
	// faults reach rules.fault_threshold.
	FaultThresholdConfirmed = monitor.FaultThresholdConfirmed
)

// Resolutions of order alerts.
const (
	ResolvedReplied   = "replied"   // the department replied
	ResolvedWithdrawn = "withdrawn" // the order was withdrawn; the alert counts nowhere
)

// SystemPrincipal is who acts when the system does: automatic opening, the timers.
const SystemPrincipal = "system"

// Alert is an alert an order raises or resolves, as a Transition carries it. Order alerts
// belong to the order: they name it, its department and its cases, never a case or a handler.
type Alert struct {
	ID         string             `json:"id"`
	Kind       monitor.AlertKind  `json:"kind"`
	Level      monitor.Level      `json:"level"`
	OrderID    string             `json:"order_id,omitempty"`
	Department string             `json:"department"`
	CaseIDs    []string           `json:"case_ids,omitempty"`
	Handler    string             `json:"handler,omitempty"` // fault_threshold_confirmed only
	Year       int                `json:"year,omitempty"`    // fault_threshold_confirmed only
	Round      int                `json:"round,omitempty"`
	Due        *deadline.Deadline `json:"due"`
	Instant    time.Time          `json:"instant"`
	FiredAt    time.Time          `json:"fired_at"`
	Message    string             `json:"message"`
	// Resolution is set on an alert_resolved transition: replied or withdrawn.
	Resolution string `json:"resolution,omitempty"`
}

// AlertID is the id of an order's alert of kind in round: the order id and a key joined by
// '~', as a case's alerts are, so that the alert lives in the order's partition:
// "DB-2026-000001~order_overdue:1".
func AlertID(orderID string, kind monitor.AlertKind, round int) string {
	return orderID + "~" + string(kind) + ":" + strconv.Itoa(round)
}

// ConfirmedThresholdID is the id of a handler's fault_threshold_confirmed alert of a year,
// a system alert like fault_threshold's: one per handler and year, whatever the replicas.
func ConfirmedThresholdID(year int, dept, handler string) string {
	return "~" + string(FaultThresholdConfirmed) + "~" + strconv.Itoa(year) + "~" + dept + "~" + handler
}

// ThresholdCrossed reports whether a handler's confirmed faults of one year, going from
// before to after, reach threshold now: fault_threshold_confirmed fires then, once (its id
// makes a second firing a duplicate should a count be re-applied).
func ThresholdCrossed(before, after, threshold int) bool {
	return threshold > 0 && before < threshold && after >= threshold
}

// ConfirmedThresholdAlert is the fault_threshold_confirmed alert of a handler whose
// confirmed faults in year reached count at now. Its instant is now; it counts nowhere.
func ConfirmedThresholdAlert(year int, dept, handler string, count int, now time.Time) Alert {
	return Alert{
		ID: ConfirmedThresholdID(year, dept, handler), Kind: FaultThresholdConfirmed, Level: monitor.Red,
		Department: dept, Handler: handler, Year: year, Instant: now, FiredAt: now,
		Message: "承办人 " + handler + " " + strconv.Itoa(year) + "年经督办确认负直接责任的过错已达" + strconv.Itoa(count) + "次",
	}
}

// roundAlert builds the alert of kind for round c of order o.
func roundAlert(o *Order, c *Round, kind monitor.AlertKind, now time.Time) Alert {
	due := c.ReplyDue
	msg := "督办单 " + o.Number + " 逾期未反馈（回复期限 " + c.ReplyDue.Date.String() + "）"
	if kind == OrderEscalated {
		due = c.EscalateDue
		msg = "督办单 " + o.Number + " 逾期" + strconv.Itoa(c.EscalateDays) + "个工作日仍未反馈，升级督办（回复期限 " +
			c.ReplyDue.Date.String() + "）"
	}
	if c.Round > 1 {
		msg += "，第" + strconv.Itoa(c.Round) + "轮"
	}
	return Alert{
		ID: AlertID(o.ID, kind, c.Round), Kind: kind, Level: monitor.Red, OrderID: o.ID,
		Department: o.Department, CaseIDs: append([]string(nil), o.CaseIDs...), Round: c.Round,
		Due: &due, Instant: due.At, FiredAt: now, Message: msg,
	}
}
