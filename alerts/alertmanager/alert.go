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
	"encoding/json"
	"fmt"
	"net/url"
	"time"

	"github.com/duban-gov/duban/alerts"
)

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

// FromRecord turns an alert record into Alertmanager's form.
//
// Labels identify the alert and are what Alertmanager routes, groups and silences on:
// alertname (the kind), severity (the level: yellow or red), department, matter, case_id
// (case alerts only) and alert_id (one alert, so two alerts of one case and kind at
// different deadlines stay apart). Empty values are left out, as Alertmanager treats them.
// The state is not a label: acknowledging an alert must not make it a new one.
//
// Annotations: summary and description (the Chinese message), state, due (the deadline's
// last day, time alerts only), fired_at and case_url.
//
// startsAt is when the alert fired. An open alert gets endsAt = now + validFor, so that if
// duban stops resending it Alertmanager resolves it by itself; an ended one gets the time it
// was resolved or exempted. Neither is later than now (wall time), so that an alert ended
// on a business clock running ahead of the wall clock still reads as ended.
func FromRecord(r *alerts.Record, now time.Time, validFor time.Duration) Alert {
	labels := map[string]string{
		"alertname": string(r.Kind), "severity": string(r.Level), "alert_id": r.ID,
	}
	for k, v := range map[string]string{"department": r.Department, "matter": r.Matter, "case_id": r.CaseID} {
		if v != "" {
			labels[k] = v
		}
	}
	ann := map[string]string{"summary": r.Message, "description": r.Message, "state": string(r.State)}
	if r.CaseID != "" {
		ann["case_url"] = CaseLink(r.CaseID)
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
func decode(doc []byte, loc *time.Location) (*alerts.Record, error) {
	var r alerts.Record
	if err := json.Unmarshal(doc, &r); err != nil {
		return nil, fmt.Errorf("alertmanager: decode alert: %w", err)
	}
	r.InZone(loc)
	if r.ID == "" {
		return nil, fmt.Errorf("alertmanager: an alert without an id")
	}
	return &r, nil
}
