// Package supervision is the pure core of supervision orders (督办单): the order a
// supervisor (or the system, after a red alert) sends a department, its reply clock in
// working days, the workflow of open → reply → accept / return / withdraw in rounds, the
// order_overdue and order_escalated alerts it owes, its numbering, the automatic-opening
// decision and the confirmed faults an accepted order adds (docs/supervision.md, "Rules").
//
// Like monitor/deadline it does no I/O and reads no clock: every function takes the
// instant it works at, the working-day calendar and the zone. Storage, the timer engine,
// the HTTP API and the pages call it and keep what it returns: Apply is the state machine,
// NextDue tells a timer engine when to call it again, and the Transitions it returns are
// what changed, for the alert stream, the live feed, the audit log and the counters.
package supervision
