// Package webhook delivers alerts to outbound subscriptions (docs/webhooks.md,
// docs/api.md "Outbound subscriptions"): supervisors register a URL, filters and a secret over the API; every
// matching alert stream entry (a new or changed alert) is POSTed to the URL as signed JSON, in
// stream order, at least once, retried with backoff for 24 hours.
//
// Each subscription is served by one replica at a time, the holder of its lease in Redis,
// in a goroutine of its own, so a dead or slow receiver delays nobody else. Its position in
// the alert stream is kept in Redis and moved by compare-and-set only after a receiver
// answered 2xx (or the entry was dropped), so a restart or a lease hand-over resends at most
// the entry that was in flight.
package webhook

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"time"
	"unicode/utf8"

	"github.com/duban-gov/duban/internal/web"
	"github.com/duban-gov/duban/monitor"
)

// Limits on what a subscription may hold.
const (
	// MinSecretBytes is the shortest secret accepted: 16 bytes, 128 bits if random.
	MinSecretBytes = 16
	// MaxSecretBytes bounds a secret.
	MaxSecretBytes = 256
	// MaxURLBytes bounds a receiver URL.
	MaxURLBytes = 2048
	// maxFilterValues bounds each filter list.
	maxFilterValues = 100
)

// Subscription is a registered webhook as stored. The secret is kept in Redis as given (it
// is needed to sign), so whoever reads Redis can read it; the API never shows it.
type Subscription struct {
	ID          string    `json:"id"`
	URL         string    `json:"url"`
	Departments []string  `json:"departments"`
	Levels      []string  `json:"levels"`
	Kinds       []string  `json:"kinds"`
	Secret      string    `json:"secret"`
	CreatedAt   time.Time `json:"created_at"`
	CreatedBy   string    `json:"created_by"`
}

// Request is the body of POST /api/v1/subscriptions.
type Request struct {
	URL         string   `json:"url"`
	Departments []string `json:"departments"`
	Levels      []string `json:"levels"`
	Kinds       []string `json:"kinds"`
	Secret      string   `json:"secret"`
}

// Validate checks a request; the error names the field. known, when not nil, says whether a
// department is in the catalogue.
func (r *Request) Validate(known func(string) bool) *web.Error {
	u, err := url.Parse(r.URL)
	switch {
	case r.URL == "":
		return web.Errorf(web.Invalid, "url", "required")
	case len(r.URL) > MaxURLBytes:
		return web.Errorf(web.Invalid, "url", "at most %d bytes", MaxURLBytes)
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Opaque != "":
		return web.Errorf(web.Invalid, "url", "must be an absolute http:// or https:// URL")
	case u.Fragment != "":
		return web.Errorf(web.Invalid, "url", "must not have a #fragment")
	}
	if e := checkList("departments", r.Departments, func(d string) error {
		if !monitor.ValidID(d) {
			return fmt.Errorf("%q is not a department code", d)
		}
		if known != nil && !known(d) {
			return fmt.Errorf("%q is not a department of the catalogue", d)
		}
		return nil
	}); e != nil {
		return e
	}
	if e := checkList("levels", r.Levels, func(l string) error {
		if l != string(monitor.Yellow) && l != string(monitor.Red) {
			return fmt.Errorf("%q is not a level: yellow or red", l)
		}
		return nil
	}); e != nil {
		return e
	}
	if e := checkList("kinds", r.Kinds, func(k string) error {
		if !monitor.AlertKind(k).Valid() {
			return fmt.Errorf("%q is not an alert kind", k)
		}
		return nil
	}); e != nil {
		return e
	}
	switch {
	case r.Secret == "":
		return web.Errorf(web.Invalid, "secret", "required: the key receivers verify X-Duban-Signature with")
	case len(r.Secret) < MinSecretBytes:
		return web.Errorf(web.Invalid, "secret", "at least %d bytes", MinSecretBytes)
	case len(r.Secret) > MaxSecretBytes:
		return web.Errorf(web.Invalid, "secret", "at most %d bytes", MaxSecretBytes)
	case !utf8.ValidString(r.Secret):
		return web.Errorf(web.Invalid, "secret", "must be UTF-8 text")
	}
	return nil
}

func checkList(field string, vs []string, check func(string) error) *web.Error {
	if len(vs) > maxFilterValues {
		return web.Errorf(web.Invalid, field, "at most %d values", maxFilterValues)
	}
	for _, v := range vs {
		if err := check(v); err != nil {
			return web.Errorf(web.Invalid, field, "%v", err)
		}
	}
	return nil
}

// newID returns a fresh subscription id: "sub-" and 16 hex digits.
func newID() string {
	b := make([]byte, 8)
	rand.Read(b) // never fails (crypto/rand, Go 1.24+)
	return "sub-" + hex.EncodeToString(b)
}

// alertHead is what the filters look at in an alert record.
type alertHead struct {
	Department string `json:"department"`
	Level      string `json:"level"`
	Kind       string `json:"kind"`
}

// Matches reports whether an alert record passes the subscription's filters: each list
// that is not empty must contain the alert's value. An alert of no department (a
// calendar_missing) passes only an empty department list.
func (s *Subscription) Matches(doc []byte) bool {
	var h alertHead
	if json.Unmarshal(doc, &h) != nil {
		return false
	}
	in := func(list []string, v string) bool { return len(list) == 0 || slices.Contains(list, v) }
	return in(s.Departments, h.Department) && in(s.Levels, h.Level) && in(s.Kinds, h.Kind)
}
