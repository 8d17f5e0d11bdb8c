package supervision

import "github.com/duban-gov/duban/monitor"

// alertKindNames are the Chinese names of the alert kinds, as the screen shows them.
var alertKindNames = map[monitor.AlertKind]string{
	monitor.DecisionDue:       "即将到期",
	monitor.PromiseOverdue:    "超承诺时限",
	monitor.StatutoryOverdue:  "超法定时限",
	monitor.AcceptanceOverdue: "受理超期",
	monitor.DeliveryOverdue:   "送达超期",
	monitor.SuspensionOverdue: "暂停超限",
	monitor.ProcedureViolate:  "程序违规",
	monitor.FeeViolation:      "违规收费",
	monitor.LateReport:        "迟报",
	monitor.CalendarMissing:   "节假日未发布",
	monitor.FaultThreshold:    "过错达限",
	OrderOverdue:              "督办逾期未反馈",
	OrderEscalated:            "督办升级",
	FaultThresholdConfirmed:   "确认过错达限",
}

// AlertKindName is the Chinese name of an alert kind; an unknown kind is shown as given.
func AlertKindName(k monitor.AlertKind) string {
	if n, ok := alertKindNames[k]; ok {
		return n
	}
	return string(k)
}

// Name is the Chinese name of an order's kind.
func (k Kind) Name() string {
	switch k {
	case Rectify:
		return "限期整改"
	case Explain:
		return "说明情况"
	}
	return string(k)
}

// Name is the Chinese name of an order's state.
func (s State) Name() string {
	switch s {
	case Open:
		return "待反馈"
	case Replied:
		return "待审核"
	case Closed:
		return "已办结"
	case Withdrawn:
		return "已撤销"
	}
	return string(s)
}

// Name is the Chinese name of a responsibility.
func (r Responsibility) Name() string {
	switch r {
	case Direct:
		return "直接责任"
	case Leadership:
		return "领导责任"
	case None:
		return "无责任"
	}
	return string(r)
}
