package supervision

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/duban-gov/duban/monitor"
)

// ActionType names what is done to an order.
type ActionType string

// The actions. Open, Reply, Accept, Return, Withdraw and Exempt come from people (through
// the API), Attach from automatic opening, Tick from the timer engine.
const (
	ActOpen     ActionType = "open"
	ActAttach   ActionType = "attach"
	ActReply    ActionType = "reply"
	ActAccept   ActionType = "accept"
	ActReturn   ActionType = "return"
	ActWithdraw ActionType = "withdraw"
	ActExempt   ActionType = "exempt"
	ActTick     ActionType = "tick"
)

// AlertRef is what the order rules need to know of an alert an order is opened on or takes in.
type AlertRef struct {
	ID         string            `json:"id"`
	Kind       monitor.AlertKind `json:"kind"`
	Level      monitor.Level     `json:"level"`
	CaseID     string            `json:"case_id"`
	Department string            `json:"department"`
	// Instant is the alert's instant (its deadline's end, or its triggering event's time).
	Instant time.Time `json:"instant"`
	// FiredAt is when it fired; automatic opening compares it with Instant.
	FiredAt    time.Time `json:"fired_at"`
	Exempted   bool      `json:"exempted"`
	Superseded bool      `json:"superseded"`
	Message    string    `json:"message"`
}

// CaseRef is a case an order is opened on: its id, department and alerts. The alerts that
// may be supervised (Supervisable) are taken into the order; the others are left out.
type CaseRef struct {
	ID         string
	Department string
	Alerts     []AlertRef
}

// ReplyInput is a department's reply.
type ReplyInput struct {
	Cause       string        `json:"cause"`
	Measures    string        `json:"measures"`
	Completed   bool          `json:"completed"`
	Responsible []Responsible `json:"responsible"`
}

// Action is one thing done to an order; which fields count depends on Type.
type Action struct {
	Type ActionType
	// By is who acts: the principal's name, or SystemPrincipal.
	By string
	// Note: the reason of a return, a withdrawal or an exemption (required), or the
	// reviewer's note on acceptance (optional).
	Note string

	// Open: the number the store gave, the kind, the opinion, an optional reply limit (nil:
	// supervision.reply_days), and either Alerts (for attach: exactly one) or Case.
	Number    Number
	Kind      Kind
	Opinion   string
	ReplyDays *int
	Alerts    []AlertRef
	Case      *CaseRef
	// Auto marks an order opened by automatic opening.
	Auto bool

	// Reply: the department's answer.
	Reply *ReplyInput

	// Accept: the supervisor's restatement of the responsibilities; nil keeps the accepted
	// reply's statement, an empty non-nil list states that nobody is responsible.
	Responsible []Responsible

	// Exempt: the round and kind of the order alert exempted.
	Round     int
	AlertKind monitor.AlertKind
}

// TransitionKind names one change an action made.
type TransitionKind string

// The transitions.
const (
	// TChanged: the order changed; Action is the history entry added, From and To the states.
	TChanged TransitionKind = "changed"
	// TAlertFired: an order alert fired (Alert).
	TAlertFired TransitionKind = "alert_fired"
	// TAlertResolved: an order alert was resolved (Alert, with its Resolution).
	TAlertResolved TransitionKind = "alert_resolved"
	// TFault: an accountability count changed (Fault).
	TFault TransitionKind = "fault"
)

// Transition is one change made by Apply, for the alert stream, the live feed, the audit
// log and the counters. Apply emits each once; re-applying an action that changed nothing
// emits none.
type Transition struct {
	Kind   TransitionKind `json:"kind"`
	Action HistoryAction  `json:"action,omitempty"`
	From   State          `json:"from,omitempty"`
	To     State          `json:"to,omitempty"`
	Alert  *Alert         `json:"alert,omitempty"`
	Fault  *FaultDelta    `json:"fault,omitempty"`
}

// Apply applies a to order o at now and returns the new order and what changed. o is never
// modified. An action that does not fit the order's state is a *ConflictError (HTTP 409);
// bad input is a *FieldError naming the field (HTTP 400). Retried actions are safe: the
// identical reply again in the same round, an alert attached twice, an exemption repeated
// and a Tick with nothing due return o unchanged and no transitions.
//
// Open applies to the zero Order; every other action to an opened one.
func Apply(o Order, a Action, now time.Time, r Rules) (Order, []Transition, error) {
	if r.Calendar == nil || r.Loc == nil {
		return o, nil, errors.New("supervision: Apply needs a calendar and a zone")
	}
	if a.Type != ActTick {
		if msg := checkName(a.By); msg != "" {
			return o, nil, fieldErr("by", "%s", msg)
		}
	}
	if a.Type == ActOpen {
		if o.ID != "" {
			return o, nil, conflict(a.Type, o.State, "the order %s is already open", o.ID)
		}
		return open(a, now, r)
	}
	if o.ID == "" || o.current() == nil {
		return o, nil, conflict(a.Type, o.State, "no such order")
	}
	s := &step{in: o, out: o.clone(), now: now, by: a.By, r: r}
	var err error
	switch a.Type {
	case ActAttach:
		err = s.attach(a)
	case ActReply:
		err = s.reply(a)
	case ActAccept:
		err = s.accept(a)
	case ActReturn:
		err = s.ret(a)
	case ActWithdraw:
		err = s.withdraw(a)
	case ActExempt:
		err = s.exempt(a)
	case ActTick:
		s.tick()
	default:
		return o, nil, fieldErr("action", "unknown action %q", a.Type)
	}
	if err != nil {
		return o, nil, err
	}
	if len(s.ts) == 0 {
		return o, nil, nil
	}
	s.out.syncRound()
	s.out.UpdatedAt = now
	s.out.Revision++
	for _, d := range DiffFaults(Faults(o, r.Loc), Faults(s.out, r.Loc)) {
		s.ts = append(s.ts, Transition{Kind: TFault, Fault: &d})
	}
	return s.out, s.ts, nil
}

// step is one application of an action.
type step struct {
	in, out Order
	now     time.Time
	by      string
	r       Rules
	ts      []Transition
}

// record adds a history entry and its transition.
func (s *step) record(act HistoryAction, from State, note, alert string) {
	by := s.by
	if by == "" {
		by = SystemPrincipal
	}
	s.out.History = append(s.out.History, HistoryEntry{
		At: s.now, By: by, Action: act, Note: note, Round: s.out.current().Round, Alert: alert,
	})
	s.ts = append(s.ts, Transition{Kind: TChanged, Action: act, From: from, To: s.out.State})
}

func (s *step) fire(kind monitor.AlertKind) {
	a := roundAlert(&s.out, s.out.current(), kind, s.now)
	s.ts = append(s.ts, Transition{Kind: TAlertFired, Alert: &a})
}

// resolveRound resolves the current round's fired alerts that are not exempted.
func (s *step) resolveRound(resolution string) {
	c := s.out.current()
	for _, k := range []struct {
		kind            monitor.AlertKind
		fired, exempted bool
	}{{OrderOverdue, c.Overdue, c.OverdueExempted}, {OrderEscalated, c.Escalated, c.EscalatedExempted}} {
		if k.fired && !k.exempted {
			a := roundAlert(&s.out, c, k.kind, s.now)
			a.Resolution = resolution
			s.ts = append(s.ts, Transition{Kind: TAlertResolved, Alert: &a})
		}
	}
}

// open makes a new order.
func open(a Action, now time.Time, r Rules) (Order, []Transition, error) {
	if !a.Number.Valid() {
		return Order{}, nil, fmt.Errorf("supervision: order number %d/%d is out of range", a.Number.Year, a.Number.Seq)
	}
	if y := now.In(r.Loc).Year(); a.Number.Year != y {
		return Order{}, nil, fmt.Errorf("supervision: order number of %d for an order opened in %d", a.Number.Year, y)
	}
	if a.Kind == "" {
		return Order{}, nil, fieldErr("kind", "is required: rectify or explain")
	}
	if !a.Kind.Valid() {
		return Order{}, nil, fieldErr("kind", "must be rectify or explain, not %q", a.Kind)
	}
	if msg := checkText(a.Opinion, true, MaxTextLen); msg != "" {
		return Order{}, nil, fieldErr("opinion", "%s", msg)
	}
	days := r.Settings.ReplyDays
	if a.ReplyDays != nil {
		days = *a.ReplyDays
		if days < 0 || days > MaxReplyDays {
			return Order{}, nil, fieldErr("reply_days", "must be 0 to %d working days, not %d", MaxReplyDays, days)
		}
	}
	alerts, dept, caseIDs, err := subjects(a)
	if err != nil {
		return Order{}, nil, err
	}
	o := Order{
		ID: a.Number.ID(), Number: a.Number.Chinese(), Department: dept, CaseIDs: caseIDs,
		Alerts: []string{}, Kind: a.Kind, Opinion: a.Opinion, State: Open, OpenedAt: now,
		OpenedBy: a.By, Replies: []Reply{}, ReplyDays: days, Auto: a.Auto,
		Rounds: []Round{newRound(r, 1, now, days)}, UpdatedAt: now, Revision: 1,
	}
	for _, al := range alerts {
		o.addAlert(al)
	}
	o.History = []HistoryEntry{{At: now, By: a.By, Action: HOpened, Note: a.Opinion, Round: 1}}
	o.syncRound()
	ts := []Transition{{Kind: TChanged, Action: HOpened, To: Open}}
	// An order opened on a deadline already past (reply_days 0 late in the day cannot be,
	// but a clock set back can) fires at its first Tick, not here: NextDue says when.
	return o, ts, nil
}

// subjects checks an open action's alerts or case and returns the alerts to take in, the
// order's department and its cases.
func subjects(a Action) ([]AlertRef, string, []string, error) {
	switch {
	case len(a.Alerts) > 0 && a.Case != nil:
		return nil, "", nil, fieldErr("case_id", "give either alerts or case_id, not both")
	case a.Case != nil:
		c := a.Case
		if !monitor.ValidID(c.ID) {
			return nil, "", nil, fieldErr("case_id", "is not a valid case id")
		}
		if c.Department == "" {
			return nil, "", nil, fieldErr("case_id", "case %s has no department", c.ID)
		}
		var keep []AlertRef
		for _, al := range c.Alerts {
			if Supervisable(al) == "" && al.CaseID == c.ID && al.Department == c.Department {
				keep = append(keep, al)
			}
		}
		return keep, c.Department, []string{c.ID}, nil
	case len(a.Alerts) == 0:
		return nil, "", nil, fieldErr("alerts", "give the alerts (at least one) or a case_id")
	}
	var (
		keep    []AlertRef
		dept    string
		caseIDs []string
		seen    = map[string]bool{}
	)
	for i, al := range a.Alerts {
		field := fmt.Sprintf("alerts[%d]", i)
		if al.ID == "" {
			return nil, "", nil, fieldErr(field, "is required")
		}
		if seen[al.ID] {
			continue // the same alert named twice: taken once
		}
		seen[al.ID] = true
		if why := Supervisable(al); why != "" {
			return nil, "", nil, fieldErr(field, "alert %s %s", al.ID, why)
		}
		if dept == "" {
			dept = al.Department
		} else if al.Department != dept {
			return nil, "", nil, fieldErr(field, "alert %s belongs to department %s, the others to %s: an order is for one department", al.ID, al.Department, dept)
		}
		if !slices.Contains(caseIDs, al.CaseID) {
			caseIDs = append(caseIDs, al.CaseID)
		}
		keep = append(keep, al)
	}
	return keep, dept, caseIDs, nil
}

// Supervisable returns why an alert cannot be supervised, or "" when it can: it must have a
// case and a department (not calendar_missing, fault_threshold or fault_threshold_confirmed),
// must not be an order's own alert, and must be neither exempted nor superseded. An alert
// resolved because its case left the stage may be supervised after the fact.
func Supervisable(al AlertRef) string {
	switch {
	case al.Kind == OrderOverdue || al.Kind == OrderEscalated:
		return "is an order's own alert"
	case al.Kind == monitor.CalendarMissing || al.Kind == monitor.FaultThreshold || al.Kind == FaultThresholdConfirmed:
		return "is a system alert, not about a case"
	case al.CaseID == "":
		return "has no case"
	case al.Department == "":
		return "has no department"
	case al.Exempted:
		return "is exempted"
	case al.Superseded:
		return "is superseded"
	}
	return ""
}

// addAlert takes an alert into the order: its id, its case, its instant.
func (o *Order) addAlert(al AlertRef) {
	o.Alerts = append(o.Alerts, al.ID)
	if !slices.Contains(o.CaseIDs, al.CaseID) {
		o.CaseIDs = append(o.CaseIDs, al.CaseID)
	}
	if !al.Instant.IsZero() && (o.EarliestAlertAt == nil || al.Instant.Before(*o.EarliestAlertAt)) {
		t := al.Instant
		o.EarliestAlertAt = &t
	}
}

func (s *step) attach(a Action) error {
	if len(a.Alerts) != 1 {
		return fieldErr("alerts", "attach takes exactly one alert, not %d", len(a.Alerts))
	}
	al := a.Alerts[0]
	if slices.Contains(s.out.Alerts, al.ID) {
		return nil // attached already: a retry
	}
	if !s.out.State.Active() {
		return conflict(a.Type, s.out.State, "only an open or replied order takes in alerts")
	}
	if why := Supervisable(al); why != "" {
		return fieldErr("alerts[0]", "alert %s %s", al.ID, why)
	}
	if al.Department != s.out.Department {
		return fieldErr("alerts[0]", "alert %s belongs to department %s, the order to %s", al.ID, al.Department, s.out.Department)
	}
	s.out.addAlert(al)
	s.record(HAttached, s.out.State, al.Message, al.ID)
	return nil
}

// normalize returns a statement with nil made empty.
func normalize(rs []Responsible) []Responsible {
	if rs == nil {
		return []Responsible{}
	}
	return rs
}

func checkResponsible(rs []Responsible) error {
	seen := map[string]bool{}
	for i, p := range rs {
		f := fmt.Sprintf("responsible[%d]", i)
		if msg := checkName(p.Handler); msg != "" {
			return fieldErr(f+".handler", "%s", msg)
		}
		if seen[p.Handler] {
			return fieldErr(f+".handler", "%s is named twice", p.Handler)
		}
		seen[p.Handler] = true
		if !p.Responsibility.Valid() {
			return fieldErr(f+".responsibility", "must be direct, leadership or none, not %q", p.Responsibility)
		}
	}
	return nil
}

func sameReply(r *Reply, in *ReplyInput) bool {
	return r.Cause == in.Cause && r.Measures == in.Measures && r.Completed == in.Completed &&
		slices.Equal(normalize(r.Responsible), normalize(in.Responsible))
}

func (s *step) reply(a Action) error {
	in := a.Reply
	if in == nil {
		return fieldErr("cause", "is required")
	}
	c := s.out.current()
	if prev := s.out.roundReply(c.Round); prev != nil && sameReply(prev, in) {
		return nil // the same reply again in the same round: answered as the first was
	}
	if s.out.State != Open {
		return conflict(a.Type, s.out.State, "the order is not waiting for a reply")
	}
	if msg := checkText(in.Cause, true, MaxTextLen); msg != "" {
		return fieldErr("cause", "%s", msg)
	}
	if msg := checkText(in.Measures, true, MaxTextLen); msg != "" {
		return fieldErr("measures", "%s", msg)
	}
	if err := checkResponsible(in.Responsible); err != nil {
		return err
	}
	if c.Round > 1 {
		if prev := s.out.roundReply(c.Round - 1); prev != nil && sameReply(prev, in) {
			return conflict(a.Type, s.out.State, "this is the reply returned in round %d, unchanged: answer the reason it was returned for", c.Round-1)
		}
	}
	late := !s.now.Before(c.ReplyDue.At)
	s.out.Replies = append(s.out.Replies, Reply{
		Round: c.Round, At: s.now, By: s.by, Late: late, Cause: in.Cause, Measures: in.Measures,
		Completed: in.Completed, Responsible: append([]Responsible{}, in.Responsible...),
	})
	s.out.State = Replied
	note := ""
	if late {
		note = "逾期反馈"
	}
	s.record(HReplied, Open, note, "")
	s.resolveRound(ResolvedReplied)
	return nil
}

func (s *step) accept(a Action) error {
	if s.out.State != Replied {
		return conflict(a.Type, s.out.State, "only a replied order can be accepted")
	}
	if msg := checkText(a.Note, false, MaxNoteLen); msg != "" {
		return fieldErr("note", "%s", msg)
	}
	resp := a.Responsible
	if resp == nil {
		resp = s.out.roundReply(s.out.current().Round).Responsible
	} else if err := checkResponsible(resp); err != nil {
		return err
	}
	s.out.Review = &Review{At: s.now, By: s.by, Decision: Accepted, Note: a.Note, Responsible: append([]Responsible{}, resp...)}
	s.out.State = Closed
	s.record(HAccepted, Replied, a.Note, "")
	return nil
}

func (s *step) ret(a Action) error {
	if s.out.State != Replied {
		return conflict(a.Type, s.out.State, "only a replied order can be returned")
	}
	if msg := checkText(a.Note, true, MaxNoteLen); msg != "" {
		return fieldErr("note", "%s (the reason the reply is returned)", msg)
	}
	s.out.Review = &Review{At: s.now, By: s.by, Decision: Returned, Note: a.Note}
	s.out.State = Open
	s.out.Rounds = append(s.out.Rounds, newRound(s.r, s.out.current().Round+1, s.now, s.r.Settings.ReturnDays))
	s.record(HReturned, Replied, a.Note, "")
	return nil
}

func (s *step) withdraw(a Action) error {
	if !s.out.State.Active() {
		return conflict(a.Type, s.out.State, "only an open or replied order can be withdrawn")
	}
	if msg := checkText(a.Note, true, MaxNoteLen); msg != "" {
		return fieldErr("note", "%s (the reason the order is withdrawn)", msg)
	}
	from := s.out.State
	s.out.Review = &Review{At: s.now, By: s.by, Decision: WithdrawnOrder, Note: a.Note}
	s.out.State = Withdrawn
	s.record(HWithdrawn, from, a.Note, "")
	if from == Open {
		s.resolveRound(ResolvedWithdrawn)
	}
	return nil
}

func (s *step) exempt(a Action) error {
	if a.Round < 1 || a.Round > len(s.out.Rounds) {
		return fieldErr("round", "the order has no round %d", a.Round)
	}
	rd := &s.out.Rounds[a.Round-1]
	var (
		fired bool
		flag  *bool
	)
	switch a.AlertKind {
	case OrderOverdue:
		fired, flag = rd.Overdue, &rd.OverdueExempted
	case OrderEscalated:
		fired, flag = rd.Escalated, &rd.EscalatedExempted
	default:
		return fieldErr("kind", "must be order_overdue or order_escalated, not %q", a.AlertKind)
	}
	if !fired {
		return conflict(a.Type, s.out.State, "%s of round %d has not fired", a.AlertKind, a.Round)
	}
	if *flag {
		return nil // exempted already
	}
	if msg := checkText(a.Note, true, MaxNoteLen); msg != "" {
		return fieldErr("note", "%s (the reason of the exemption)", msg)
	}
	*flag = true
	s.out.History = append(s.out.History, HistoryEntry{
		At: s.now, By: s.by, Action: HExempted, Note: a.Note, Round: a.Round,
		Alert: AlertID(s.out.ID, a.AlertKind, a.Round),
	})
	s.ts = append(s.ts, Transition{Kind: TChanged, Action: HExempted, From: s.out.State, To: s.out.State})
	return nil
}

// tick fires what is due at s.now: order_overdue once the round's reply deadline has
// passed with the order still open, then order_escalated once its escalation deadline has.
// Both may fire in one tick when the timer ran late (a restart).
func (s *step) tick() {
	c := s.out.current()
	if s.out.State != Open {
		return
	}
	if !c.Overdue && !s.now.Before(c.ReplyDue.At) {
		c.Overdue = true
		s.out.syncRound()
		s.record(HOverdue, Open, "", AlertID(s.out.ID, OrderOverdue, c.Round))
		s.fire(OrderOverdue)
	}
	if c.Overdue && !c.Escalated && !s.now.Before(c.EscalateDue.At) {
		c.Escalated = true
		s.out.syncRound()
		s.record(HEscalated, Open, "", AlertID(s.out.ID, OrderEscalated, c.Round))
		s.fire(OrderEscalated)
	}
}
