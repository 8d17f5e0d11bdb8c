// Package report renders what supervision orders produce on paper: the quarterly report
// (责任追究情况报告) as JSON, CSV and printable HTML, and the printable notice of one order
// (督办通知书). It is pure: the caller reads the orders and the catalogue's names and passes
// them in; nothing here touches storage or a clock.
package report

import (
	"sort"
	"time"

	"github.com/duban-gov/duban/supervision"
)

// Department is a department's code and name, from the catalogue.
type Department struct {
	Code string
	Name string
}

// Input is what a quarterly report is made from.
type Input struct {
	Quarter Quarter
	// GeneratedAt is the instant the report stands at; orders are counted as they are then.
	GeneratedAt time.Time
	// Loc is the configured zone: it decides which orders were opened in the quarter.
	Loc *time.Location
	// Departments are the catalogue's departments, in its order; every one is listed, with
	// zeros when it had no order.
	Departments []Department
	// Orders are the orders to count; those not opened in the quarter are left out.
	Orders []supervision.Order
}

// Report is the quarterly report (责任追究情况报告), as the API answers it in JSON.
type Report struct {
	Quarter     Quarter         `json:"quarter"`
	GeneratedAt time.Time       `json:"generated_at"`
	Departments []DepartmentRow `json:"departments"`
	Handlers    []HandlerRow    `json:"handlers"`
	// Escalated lists the orders escalated for want of a reply, for 通报批评.
	Escalated []EscalatedOrder `json:"escalated_orders"`
}

// DepartmentRow is one department's figures over the orders opened in the quarter.
type DepartmentRow struct {
	Department string `json:"department"`
	Name       string `json:"name"`
	// Opened counts the orders opened, each once whatever its rounds.
	Opened int `json:"opened"`
	// RepliedOnTime and RepliedLate count first replies (round 1) by and after the deadline.
	RepliedOnTime int `json:"replied_on_time"`
	RepliedLate   int `json:"replied_late"`
	// Overdue counts orders that ever missed a reply deadline (any round); Escalated those
	// escalated in any round.
	Overdue   int `json:"overdue"`
	Escalated int `json:"escalated"`
	// Closed, Withdrawn and Open (open or replied) add up to Opened.
	Closed    int `json:"closed"`
	Withdrawn int `json:"withdrawn"`
	Open      int `json:"open"`
	// ConfirmedFaults counts accepted orders naming a handler with direct responsibility.
	ConfirmedFaults int `json:"confirmed_faults"`
}

// HandlerRow is one handler's confirmed faults over the orders opened in the quarter.
type HandlerRow struct {
	Handler         string `json:"handler"`
	Department      string `json:"department"`
	Name            string `json:"department_name"`
	ConfirmedFaults int    `json:"confirmed_faults"`
}

// EscalatedOrder is one escalated order.
type EscalatedOrder struct {
	ID         string    `json:"id"`
	Number     string    `json:"number"`
	Department string    `json:"department"`
	Name       string    `json:"name"`
	CaseIDs    []string  `json:"case_ids"`
	OpenedAt   time.Time `json:"opened_at"`
	State      string    `json:"state"`
}

// Build counts the report's figures. A withdrawn order counts as opened and withdrawn and
// nowhere else: it was opened in error. A missed deadline whose order_overdue was exempted
// is not counted as overdue.
func Build(in Input) Report {
	loc := in.Loc
	if loc == nil {
		loc = time.UTC
	}
	r := Report{Quarter: in.Quarter, GeneratedAt: in.GeneratedAt.In(loc), Departments: []DepartmentRow{},
		Handlers: []HandlerRow{}, Escalated: []EscalatedOrder{}}
	names := map[string]string{}
	idx := map[string]int{}
	for _, d := range in.Departments {
		if _, dup := idx[d.Code]; dup {
			continue
		}
		idx[d.Code] = len(r.Departments)
		names[d.Code] = d.Name
		r.Departments = append(r.Departments, DepartmentRow{Department: d.Code, Name: nameOr(d.Name, d.Code)})
	}
	orders := append([]supervision.Order(nil), in.Orders...)
	sort.Slice(orders, func(i, j int) bool { return orders[i].ID < orders[j].ID })
	var extra []string
	type hk struct{ dept, handler string }
	handlers := map[hk]int{}
	for _, o := range orders {
		if !in.Quarter.Contains(o.OpenedAt, loc) {
			continue
		}
		i, ok := idx[o.Department]
		if !ok {
			i = len(r.Departments)
			idx[o.Department] = i
			extra = append(extra, o.Department)
			r.Departments = append(r.Departments, DepartmentRow{Department: o.Department, Name: o.Department})
		}
		row := &r.Departments[i]
		row.Opened++
		switch {
		case o.State == supervision.Closed:
			row.Closed++
		case o.State == supervision.Withdrawn:
			row.Withdrawn++
			continue
		default:
			row.Open++
		}
		if first := firstReply(o); first != nil {
			if first.Late {
				row.RepliedLate++
			} else {
				row.RepliedOnTime++
			}
		}
		overdue, escalated := missed(o, in.GeneratedAt)
		if overdue {
			row.Overdue++
		}
		if escalated {
			row.Escalated++
			r.Escalated = append(r.Escalated, EscalatedOrder{
				ID: o.ID, Number: o.Number, Department: o.Department, Name: row.Name,
				CaseIDs: append([]string{}, o.CaseIDs...), OpenedAt: o.OpenedAt.In(loc), State: string(o.State),
			})
		}
		if hs := supervision.DirectHandlers(o); len(hs) > 0 {
			row.ConfirmedFaults++
			for _, h := range hs {
				handlers[hk{o.Department, h}]++
			}
		}
	}
	// Departments missing from the catalogue (removed since) come last, by code.
	if len(extra) > 1 {
		tail := r.Departments[len(r.Departments)-len(extra):]
		sort.Slice(tail, func(i, j int) bool { return tail[i].Department < tail[j].Department })
	}
	for k, n := range handlers {
		r.Handlers = append(r.Handlers, HandlerRow{Handler: k.handler, Department: k.dept, Name: nameOr(names[k.dept], k.dept), ConfirmedFaults: n})
	}
	sort.Slice(r.Handlers, func(i, j int) bool {
		a, b := r.Handlers[i], r.Handlers[j]
		if a.ConfirmedFaults != b.ConfirmedFaults {
			return a.ConfirmedFaults > b.ConfirmedFaults
		}
		if a.Department != b.Department {
			return a.Department < b.Department
		}
		return a.Handler < b.Handler
	})
	return r
}

func nameOr(name, code string) string {
	if name == "" {
		return code
	}
	return name
}

// firstReply is the reply of round 1, or nil.
func firstReply(o supervision.Order) *supervision.Reply {
	for i := range o.Replies {
		if o.Replies[i].Round == 1 {
			return &o.Replies[i]
		}
	}
	return nil
}

// missed reports whether the order ever missed a reply deadline and whether it was ever
// escalated, as of now: from the alerts that fired (unless exempted), from late replies, and
// from a current round whose deadlines have passed though its timer has not run yet.
func missed(o supervision.Order, now time.Time) (overdue, escalated bool) {
	for i, rd := range o.Rounds {
		var rep *supervision.Reply
		for j := range o.Replies {
			if o.Replies[j].Round == rd.Round {
				rep = &o.Replies[j]
			}
		}
		current := i == len(o.Rounds)-1 && o.State == supervision.Open
		switch {
		case rd.OverdueExempted:
		case rd.Overdue, rep != nil && rep.Late, current && rep == nil && !now.Before(rd.ReplyDue.At):
			overdue = true
		}
		switch {
		case rd.EscalatedExempted:
		case rd.Escalated, current && rep == nil && !now.Before(rd.EscalateDue.At):
			escalated = true
		}
	}
	return overdue, escalated
}

// totals adds up the department rows.
func (r Report) totals() DepartmentRow {
	t := DepartmentRow{Name: "合计"}
	for _, d := range r.Departments {
		t.Opened += d.Opened
		t.RepliedOnTime += d.RepliedOnTime
		t.RepliedLate += d.RepliedLate
		t.Overdue += d.Overdue
		t.Escalated += d.Escalated
		t.Closed += d.Closed
		t.Withdrawn += d.Withdrawn
		t.Open += d.Open
		t.ConfirmedFaults += d.ConfirmedFaults
	}
	return t
}
