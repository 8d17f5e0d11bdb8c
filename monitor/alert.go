package monitor

// Level is a traffic-light level of an alert or a case.
type Level string

// The levels, from best to worst.
const (
	Green  Level = "green"
	Yellow Level = "yellow"
	Red    Level = "red"
)

// Worse returns the worse of two levels.
func (l Level) Worse(o Level) Level {
	if l.rank() >= o.rank() {
		return l
	}
	return o
}

func (l Level) rank() int {
	switch l {
	case Red:
		return 2
	case Yellow:
		return 1
	}
	return 0
}

// AlertKind is the kind of an alert (docs/rules.md, section 7).
type AlertKind string

// The alert kinds.
const (
	DecisionDue       AlertKind = "decision_due"
	PromiseOverdue    AlertKind = "promise_overdue"
	StatutoryOverdue  AlertKind = "statutory_overdue"
	AcceptanceOverdue AlertKind = "acceptance_overdue"
	DeliveryOverdue   AlertKind = "delivery_overdue"
	SuspensionOverdue AlertKind = "suspension_overdue"
	ProcedureViolate  AlertKind = "procedure_violation"
	FeeViolation      AlertKind = "fee_violation"
	LateReport        AlertKind = "late_report"
	CalendarMissing   AlertKind = "calendar_missing"
	FaultThreshold    AlertKind = "fault_threshold"
	// The kinds of supervision orders (package supervision): they belong to an order, not
	// to a case.
	OrderOverdue            AlertKind = "order_overdue"
	OrderEscalated          AlertKind = "order_escalated"
	FaultThresholdConfirmed AlertKind = "fault_threshold_confirmed"
)

// AlertKinds lists every kind, in the order of docs/rules.md.
var AlertKinds = []AlertKind{
	DecisionDue, PromiseOverdue, StatutoryOverdue, AcceptanceOverdue, DeliveryOverdue,
	SuspensionOverdue, ProcedureViolate, FeeViolation, LateReport, CalendarMissing, FaultThreshold,
	OrderOverdue, OrderEscalated, FaultThresholdConfirmed,
}

// Level is the fixed level of an alert kind.
func (k AlertKind) Level() Level {
	switch k {
	case DecisionDue, LateReport, CalendarMissing:
		return Yellow
	}
	return Red
}

// Timed reports whether the kind fires at a deadline's end (a time alert, with `due`) rather
// than on a triggering event (an event alert).
func (k AlertKind) Timed() bool {
	switch k {
	case DecisionDue, PromiseOverdue, StatutoryOverdue, AcceptanceOverdue, DeliveryOverdue,
		SuspensionOverdue:
		return true
	}
	return false
}

// Valid reports whether k is a known kind.
func (k AlertKind) Valid() bool {
	for _, v := range AlertKinds {
		if v == k {
			return true
		}
	}
	return false
}

// Stage is the stage of a case, each with its own clock.
type Stage string

// The stages of a case: acceptance (受理), decision (审查决定), delivery (送达), closed.
const (
	StageAcceptance Stage = "acceptance"
	StageDecision   Stage = "decision"
	StageDelivery   Stage = "delivery"
	StageClosed     Stage = "closed"
)

// Status is what the case is waiting for.
type Status string

// The statuses a case shows (its `status`).
const (
	StatusReceived      Status = "received"
	StatusSupplementing Status = "supplementing"
	StatusAccepted      Status = "accepted"
	StatusSuspended     Status = "suspended"
	StatusDecided       Status = "decided"
	StatusDelivered     Status = "delivered"
	StatusNotAccepted   Status = "not_accepted"
	StatusWithdrawn     Status = "withdrawn"
)
