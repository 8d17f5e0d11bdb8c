// Package alertmanager forwards duban's alerts to a Prometheus Alertmanager (the
// `alertmanager.url` setting), so that a bureau that already routes alerts through
// Alertmanager (SMS, DingTalk, WeCom, e-mail) needs no second routing system.
//
// One replica at a time (the holder of a lease in Redis) follows the alert stream from a
// position kept in Redis and posts each new or changed alert to Alertmanager's
// /api/v2/alerts. Alerts still open (firing or acknowledged) are kept in Redis and resent
// every minute, as Alertmanager expects of its clients; an alert that is resolved or
// exempted is sent once more with endsAt set, and forgotten.
package alertmanager

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"time"

	"github.com/duban-gov/duban/monitor"
	"github.com/duban-gov/duban/monitor/alerting"
)

// System is the value of the `system` label of every forwarded alert: the same as the
// external label of the shipped Prometheus configuration, so that one Alertmanager route
// (`system="duban"`) takes both duban's alerts and the alerts of its Prometheus rules.
const System = "duban"

// Severity is the `severity` label of an alert of level l, in the vocabulary of the shipped
// Prometheus rules: red is critical, yellow is warning.
func Severity(l monitor.Level) string {
	switch l {
	case monitor.Red:
		return "critical"
	case monitor.Yellow:
		return "warning"
	}
	return string(l)
}

// Handlers says how the alerts sent name the handlers (承办人) they are about — personal
// data, which leaves duban only when the bureau configures it.
type Handlers struct {
	// Send sends handlers' names as they are (`alertmanager.send_handler_names`).
	Send bool
	// Key, when names are not sent, keys the pseudonym that stands for a handler in a
	// fault_threshold alert's alert_id: "h" and the first 16 hex digits of
	// HMAC-SHA256(Key, handler). It is the deployment's secret (rdb's AlertmanagerKey), so a
	// pseudonym is the same on every replica and resend, yet cannot be recomputed from a
	// list of names without it.
	Key []byte
}

// pseudonym is the stand-in for a handler's name.
func (h Handlers) pseudonym(handler string) string {
	m := hmac.New(sha256.New, h.Key)
	m.Write([]byte(handler))
	return "h" + hex.EncodeToString(m.Sum(nil)[:8])
}

// id is the alert_id label: the alert's id, except that a fault_threshold alert's id ends
// with its handler's name, replaced by a pseudonym unless names are sent.
func (h Handlers) id(r *alerting.Record) string {
	if h.Send || !namesHandler(r.Kind) || r.Handler == "" {
		return r.ID
	}
	if r.Kind == monitor.FaultThresholdConfirmed {
		// "~fault_threshold_confirmed~<year>~<dept>~<handler>", the handler pseudonymous.
		return alerting.Sep + string(r.Kind) + alerting.Sep + strconv.Itoa(r.Year) + alerting.Sep +
			r.Department + alerting.Sep + h.pseudonym(r.Handler)
	}
	return alerting.FaultThresholdID(r.Year, r.Department, h.pseudonym(r.Handler))
}

// namesHandler reports whether alerts of kind name a handler (in their id and message).
func namesHandler(k monitor.AlertKind) bool {
	return k == monitor.FaultThreshold || k == monitor.FaultThresholdConfirmed
}

// message is the summary and description: the alert's Chinese message, except that a
// fault_threshold alert's message names its handler and is written anew without the name
// unless names are sent. The messages of the other kinds name cases, never people.
func (h Handlers) message(r *alerting.Record) string {
	if h.Send || !namesHandler(r.Kind) {
		return r.Message
	}
	if r.Kind == monitor.FaultThresholdConfirmed {
		return fmt.Sprintf("%s 一名承办人%d年度经督办确认负直接责任的过错已达上限（姓名不外发，请在督办系统中查看）",
			r.Department, r.Year)
	}
	reached := "已达上限"
	if r.Faults > 0 {
		reached = "已达" + strconv.Itoa(r.Faults) + "次"
	}
	return fmt.Sprintf("%s 一名承办人%d年度过错%s，不得定为称职（姓名不外发，请在督办系统中查看）",
		r.Department, r.Year, reached)
}

// Alert is one alert as Alertmanager's API v2 takes it (postableAlert).
type Alert struct {
	Labels       map[string]string `json:"labels"`
	Annotations  map[string]string `json:"annotations"`
	StartsAt     time.Time         `json:"startsAt"`
	EndsAt       time.Time         `json:"endsAt"`
	GeneratorURL string            `json:"generatorURL,omitempty"`
}

// CaseLink is the API path of a case, the link an alert's annotations carry.
func CaseLink(caseID string) string { return "/api/v1/cases/" + url.PathEscape(caseID) }

// FromRecord turns an alert record into Alertmanager's form; h says how handlers are named.
//
// Labels identify the alert and are what Alertmanager routes, groups and silences on:
// alertname (the kind), severity (critical for red, warning for yellow, as in the shipped
// Prometheus rules), level (red or yellow), system ("duban"), department, matter, case_id
// (case alerts only) and alert_id (one alert, so two alerts of one case and kind at
// different deadlines stay apart; a fault_threshold alert's under a pseudonym, see
// Handlers). Empty values are left out, as Alertmanager treats them. The state is not a
// label: acknowledging an alert must not make it a new one.
//
// Annotations: summary and description (the Chinese message), state, due (the deadline's
// last day, time alerts only), fired_at, case_url, and handler only when h.Send. No
// generatorURL is sent.
//
// startsAt is when the alert fired. An open alert gets endsAt = now + validFor, so that if
// duban stops resending it Alertmanager resolves it by itself; an ended one gets the time it
// was resolved or exempted. Neither is later than now (wall time), so that an alert ended
// on a business clock running ahead of the wall clock still reads as ended.
func FromRecord(r *alerting.Record, now time.Time, validFor time.Duration, h Handlers) Alert {
	labels := map[string]string{
		"alertname": string(r.Kind), "severity": Severity(r.Level), "level": string(r.Level),
		"system": System, "alert_id": h.id(r),
	}
	for k, v := range map[string]string{"department": r.Department, "matter": r.Matter, "case_id": r.CaseID,
		"order_id": r.OrderID} {
		if v != "" {
			labels[k] = v
		}
	}
	msg := h.message(r)
	ann := map[string]string{"summary": msg, "description": msg, "state": string(r.State)}
	if h.Send && r.Handler != "" {
		ann["handler"] = r.Handler
	}
	if r.CaseID != "" {
		ann["case_url"] = CaseLink(r.CaseID)
	}
	if r.OrderID != "" { // a supervision order's alert
		ann["order_url"] = "/api/v1/orders/" + url.PathEscape(r.OrderID)
	}
	if r.Due != nil {
		ann["due"] = r.Due.Date.String()
	}
	start := r.FiredAt
	if start.IsZero() {
		start = r.Instant
	}
	if !start.IsZero() {
		ann["fired_at"] = start.Format(time.RFC3339)
	}
	if start.IsZero() || start.After(now) {
		start = now
	}
	a := Alert{Labels: labels, Annotations: ann, StartsAt: start}
	if r.State.Open() {
		a.EndsAt = now.Add(validFor)
	} else {
		a.EndsAt = r.Updated
		if a.EndsAt.IsZero() || a.EndsAt.After(now) {
			a.EndsAt = now
		}
		if a.EndsAt.Before(start) {
			a.EndsAt = start
		}
	}
	return a
}

// decode reads an alert record from the stream, with its times in loc (a record stored by
// an earlier version may carry another zone).
func decode(doc []byte, loc *time.Location) (*alerting.Record, error) {
	var r alerting.Record
	if err := json.Unmarshal(doc, &r); err != nil {
		return nil, fmt.Errorf("alertmanager: decode alert: %w", err)
	}
	r.InZone(loc)
	if r.ID == "" {
		return nil, fmt.Errorf("alertmanager: an alert without an id")
	}
	return &r, nil
}
