package deadline

import (
	"strconv"
	"time"

	"github.com/duban-gov/duban/monitor"
	"github.com/duban-gov/duban/monitor/workday"
)

// The procedure rules a procedure_violation names in Alert.Rule (docs/rules.md).
const (
	RuleBeforeSubmitted            = "before_submitted"
	RuleAfterClosing               = "after_closing"
	RuleSecondSupplement           = "second_supplement"
	RuleLateSupplement             = "late_supplement"
	RuleSupplementAfterAcceptance  = "supplement_after_acceptance"
	RuleNotAcceptedAfterAcceptance = "not_accepted_after_acceptance"
	RuleDecidedWithoutAcceptance   = "decided_without_acceptance"
	RuleDeliveredWithoutDecision   = "delivered_without_decision"
	RuleRepeatedDecision           = "repeated_decision"
	RuleSuspensionOutsideDecision  = "suspension_outside_decision"
	RuleExtensionOutsideDecision   = "extension_outside_decision"
	RuleExtensionInvalid           = "extension_invalid"
	RuleSecondExtension            = "second_extension"
	RuleExtensionLate              = "extension_late"
	RuleExtensionExcess            = "extension_excess"
)

// builder collects a Result's alerts and thresholds.
type builder struct {
	alerts []Alert
	thr    []Threshold
	hint   int // capacity for the alerts, when there are any
}

func (b *builder) add(a Alert) {
	if b.alerts == nil {
		b.alerts = make([]Alert, 0, b.hint)
	}
	b.alerts = append(b.alerts, a)
}

// alerts lists every alert implied as of now and every future threshold.
func (e *engine) alerts(b *builder) {
	if e.ph == phAcceptance {
		b.thr = append(b.thr, Threshold{Kind: monitor.AcceptanceOverdue, At: e.accEnd})
	}
	if e.accOverdue {
		if !e.accOverdueAt.After(e.now) {
			b.add(e.timeAlert(monitor.AcceptanceOverdue, e.accOverdueDue, e.accOverdueAt, e.accOverdueActive, nil))
		} else {
			b.thr = append(b.thr, Threshold{Kind: monitor.AcceptanceOverdue, At: e.accOverdueAt})
		}
	}
	if e.dec.on && !e.dec.implied {
		// While the clock is stopped a deadline that lies after the stop moves with "now":
		// it is no threshold. One counted before the stop began is fixed and stays one.
		if e.yellow {
			e.candidate(b, monitor.DecisionDue, e.promDue, e.startOf(e.yellowDay), &e.dec, e.stopped && e.yellowDay >= e.openA)
		}
		e.candidate(b, monitor.PromiseOverdue, e.promDue, e.promAt, &e.dec, e.stopped && e.promDue >= e.openA)
		e.candidate(b, monitor.StatutoryOverdue, e.statDue, e.statAt, &e.dec, e.stopped && e.statDue >= e.openA)
		for k := range e.stops {
			st := &e.stops[k]
			switch {
			case !st.hasCap:
			case st.capped && !st.capAt.After(e.now):
				b.add(e.timeAlert(monitor.SuspensionOverdue, st.last, st.capAt, st.open && e.ph == phDecision, st))
			case st.capped || st.open:
				b.thr = append(b.thr, Threshold{Kind: monitor.SuspensionOverdue, At: st.capAt})
			}
		}
	}
	if e.del.on {
		e.candidate(b, monitor.DeliveryOverdue, e.delDue, e.delAt, &e.del, false)
	}
	for k := range e.findings {
		b.add(e.eventAlert(&e.findings[k]))
	}
}

// candidate handles a time alert of clock c at instant: none if the stage ended before
// it, an alert if it has come (active while the stage lasts), else a threshold.
func (e *engine) candidate(b *builder, kind monitor.AlertKind, due workday.Date, instant time.Time, c *clock, suppress bool) {
	if c.ended && c.endAt.Before(instant) {
		return
	}
	if !instant.After(e.now) {
		b.add(e.timeAlert(kind, due, instant, !c.ended, nil))
		return
	}
	if !suppress {
		b.thr = append(b.thr, Threshold{Kind: kind, At: instant})
	}
}

// timeAlert builds a time alert; st is the stop of a suspension_overdue.
func (e *engine) timeAlert(kind monitor.AlertKind, due workday.Date, instant time.Time, active bool, st *stopRec) Alert {
	d := e.deadlineOf(due)
	key := string(kind) + ":" + due.String()
	if st != nil {
		key = string(kind) + ":" + st.reason + ":" + due.String()
	}
	return Alert{
		Key: key, Kind: kind, Level: kind.Level(), Instant: instant, Due: &d, Active: active,
		Handler: e.handlerAt(instant), Message: e.timeMessage(kind, due, st),
	}
}

// eventAlert builds the alert of a finding.
func (e *engine) eventAlert(f *finding) Alert {
	ev := &e.evs[f.ev]
	return Alert{
		Key: string(f.kind) + ":" + ev.EventID, Kind: f.kind, Level: f.kind.Level(), Instant: ev.At,
		EventID: ev.EventID, Active: true, Handler: e.handlerAt(ev.At), Rule: f.rule,
		Message: e.eventMessage(f),
	}
}

func (e *engine) caseID() string {
	for i := range e.evs {
		if e.evs[i].CaseID != "" {
			return e.evs[i].CaseID
		}
	}
	return ""
}

func days(n int) string { return strconv.Itoa(n) + "个工作日" }

func (e *engine) timeMessage(kind monitor.AlertKind, due workday.Date, st *stopRec) string {
	c := "办件 " + e.caseID()
	switch kind {
	case monitor.DecisionDue:
		return c + " 将于 " + due.String() + " 到期（承诺时限），剩余" + days(e.m.WarnDays)
	case monitor.PromiseOverdue:
		return c + " 超过承诺时限（" + days(e.promLimit) + "）"
	case monitor.StatutoryOverdue:
		return c + " 超过法定时限（" + days(e.statLimit) + "）"
	case monitor.AcceptanceOverdue:
		return c + " 受理超期（" + days(e.accOverdueLimit) + "），视为受理"
	case monitor.DeliveryOverdue:
		return c + " 超过送达时限（" + days(e.m.DeliveryDays) + "）"
	case monitor.SuspensionOverdue:
		limit, _ := e.capOf(st.reason)
		return c + " 暂停（" + reasonName(st.reason) + "）超过上限（累计" + days(limit) + "），恢复计时"
	}
	return c + " " + string(kind)
}

func (e *engine) eventMessage(f *finding) string {
	ev := &e.evs[f.ev]
	c := "办件 " + e.caseID()
	switch f.kind {
	case monitor.FeeViolation:
		return c + " 累计收费" + yuan(f.n1) + "元，超过上限" + yuan(f.n2) + "元"
	case monitor.LateReport:
		return c + " 事件 " + ev.EventID + "（" + typeName(ev.Type) + "）迟报：发生后" + lateBy(time.Duration(f.n1)) + "才报送"
	}
	return c + " 程序违规：" + ruleText(f, ev)
}

func ruleText(f *finding, ev *monitor.Event) string {
	switch f.rule {
	case RuleBeforeSubmitted:
		return "报送时间早于申请提交时间（" + typeName(ev.Type) + "）"
	case RuleAfterClosing:
		return "办结后仍报送事件（" + typeName(ev.Type) + "）"
	case RuleSecondSupplement:
		return "一次性告知违规：第二次补正通知"
	case RuleLateSupplement:
		return "一次性告知违规：受理期限届满后才发出补正通知"
	case RuleSupplementAfterAcceptance:
		return "受理后发出补正通知（审查中补正材料应报送暂停）"
	case RuleNotAcceptedAfterAcceptance:
		return "已受理（含视为受理）后又不予受理"
	case RuleDecidedWithoutAcceptance:
		return "未受理即作出决定"
	case RuleDeliveredWithoutDecision:
		return "未作出决定即送达"
	case RuleRepeatedDecision:
		return "重复作出决定"
	case RuleSuspensionOutsideDecision:
		return "非审查阶段暂停计时，不予暂停"
	case RuleExtensionOutsideDecision:
		return "非审查阶段延期，不予延期"
	case RuleExtensionInvalid:
		return "延期缺少天数或批准人，不予延期"
	case RuleSecondExtension:
		return "第二次延期，不予延期"
	case RuleExtensionLate:
		return "法定时限届满后才延期，不予延期"
	case RuleExtensionExcess:
		return "延期" + days(int(f.n1)) + "，超过上限" + days(int(f.n2)) + "，超出部分不予延期"
	}
	return f.rule
}

// lateBy formats a reporting delay in whole hours (minutes under an hour).
func lateBy(d time.Duration) string {
	if d < time.Hour {
		return strconv.FormatInt(int64(d/time.Minute), 10) + "分钟"
	}
	return strconv.FormatInt(int64(d/time.Hour), 10) + "小时"
}

// yuan formats fen as yuan with two decimals.
func yuan(fen int64) string { return monitor.FormatFen(fen) }

// parseFen reads a fee_charged amount with the push API's own parser (a decimal string of
// yuan with at most two decimals, exact integer arithmetic); anything it rejects is not an
// amount and adds nothing.
func parseFen(s string) (int64, bool) {
	fen, err := monitor.ParseAmountFen(s)
	return fen, err == nil
}

func reasonName(r string) string {
	switch r {
	case monitor.ReasonHearing:
		return "听证"
	case monitor.ReasonBidding:
		return "招标"
	case monitor.ReasonAuction:
		return "拍卖"
	case monitor.ReasonTesting:
		return "检测"
	case monitor.ReasonInspection:
		return "检验"
	case monitor.ReasonQuarantine:
		return "检疫"
	case monitor.ReasonAppraisal:
		return "鉴定"
	case monitor.ReasonExpertReview:
		return "专家评审"
	case monitor.ReasonSupplement:
		return "补正材料"
	case monitor.ReasonOther:
		return "其他"
	}
	return r
}

func typeName(t monitor.EventType) string {
	switch t {
	case monitor.Submitted:
		return "申请"
	case monitor.Accepted:
		return "受理"
	case monitor.NotAccepted:
		return "不予受理"
	case monitor.SupplementRequested:
		return "补正告知"
	case monitor.SupplementReceived:
		return "补正材料接收"
	case monitor.Suspended:
		return "暂停计时"
	case monitor.Resumed:
		return "恢复计时"
	case monitor.Extended:
		return "延期"
	case monitor.Decided:
		return "决定"
	case monitor.Delivered:
		return "送达"
	case monitor.FeeCharged:
		return "收费"
	case monitor.Withdrawn:
		return "撤回"
	case monitor.Step:
		return "环节流转"
	case monitor.Retracted:
		return "更正"
	}
	return string(t)
}
