package supervision

import (
	"slices"
	"time"

	"github.com/duban-gov/duban/monitor"
)

// AutoOpenable lists the alert kinds supervision.auto_open may name: the red kinds of a
// case. Order alerts, fault_threshold and fault_threshold_confirmed are not about a case;
// yellow kinds are warnings, not a red card.
var AutoOpenable = []monitor.AlertKind{
	monitor.PromiseOverdue, monitor.StatutoryOverdue, monitor.AcceptanceOverdue,
	monitor.DeliveryOverdue, monitor.SuspensionOverdue, monitor.ProcedureViolate,
	monitor.FeeViolation,
}

// Verdict is what automatic opening does with a firing alert.
type Verdict string

// The verdicts.
const (
	NoOrder  Verdict = "none"   // nothing: see AutoDecision.Reason
	NewOrder Verdict = "open"   // open a new order (Action is an ActOpen without its Number)
	AttachTo Verdict = "attach" // attach the alert to OrderID (Action is an ActAttach)
)

// AutoDecision is the answer of AutoOpen.
type AutoDecision struct {
	Verdict Verdict
	// OrderID is the order the alert is attached to (AttachTo).
	OrderID string
	// Reason says, in English for the logs, why no order (NoOrder).
	Reason string
	// Action is what to Apply: for NewOrder at the alert's firing, with the store's next
	// Number filled in first; for AttachTo to the order OrderID.
	Action Action
}

// AutoOpen decides what a red alert that has just fired does under supervision.auto_open:
//
//   - nothing when its kind is not listed, when it cannot be supervised (Supervisable), or
//     when its instant lies more than reportWithin before it fired (a backfill or a late
//     report: supervisors open those by hand);
//   - attached to the case's pending order when the case has one (open or replied; with
//     several, the one opened first, which has the smallest id), its deadline unchanged;
//   - else a new order: kind rectify (explain for a procedure violation, which cannot be
//     "completed"), the default reply limit, opened by the system with a generated opinion.
//
// activeOrders are the ids of the case's orders that are open or replied.
func AutoOpen(al AlertRef, activeOrders []string, s Settings, reportWithin time.Duration) AutoDecision {
	switch {
	case !slices.Contains(s.AutoOpen, al.Kind):
		return AutoDecision{Verdict: NoOrder, Reason: "kind " + string(al.Kind) + " is not in supervision.auto_open"}
	case al.Level != "" && al.Level != monitor.Red:
		return AutoDecision{Verdict: NoOrder, Reason: "not a red alert"}
	}
	if why := Supervisable(al); why != "" {
		return AutoDecision{Verdict: NoOrder, Reason: "the alert " + why}
	}
	if reportWithin > 0 && al.FiredAt.Sub(al.Instant) > reportWithin {
		return AutoDecision{Verdict: NoOrder, Reason: "the alert's instant lies more than report_within before it fired (a backfill)"}
	}
	if len(activeOrders) > 0 {
		id := slices.Min(activeOrders)
		return AutoDecision{Verdict: AttachTo, OrderID: id,
			Action: Action{Type: ActAttach, By: SystemPrincipal, Alerts: []AlertRef{al}}}
	}
	kind := Rectify
	if al.Kind == monitor.ProcedureViolate {
		kind = Explain
	}
	return AutoDecision{Verdict: NewOrder, Action: Action{
		Type: ActOpen, By: SystemPrincipal, Kind: kind, Opinion: AutoOpinion(al, kind),
		Alerts: []AlertRef{al}, Auto: true,
	}}
}

// AutoOpinion is the opinion (督办意见) of an automatic order on alert al.
func AutoOpinion(al AlertRef, kind Kind) string {
	fact := al.Message
	if fact == "" {
		fact = "办件 " + al.CaseID + " " + AlertKindName(al.Kind)
	}
	ask := "请查明原因，限期办结，落实整改措施，认定相关责任人员的责任，并按期书面反馈。"
	if kind == Explain {
		ask = "请查明原因，书面说明情况，落实整改措施，认定相关责任人员的责任，并按期反馈。"
	}
	return "经行政审批电子监察系统监测：" + fact + "。" + ask
}
