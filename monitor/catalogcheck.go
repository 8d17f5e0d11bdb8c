package monitor

import (
	"fmt"
	"slices"
	"strings"
)

// MaxLimitDays bounds every day count of a catalogue (statutory, promised, warning,
// acceptance and delivery limits, suspension caps). No approval limit comes near four years
// of working days; the bound keeps a typo (2000 for 20) from making the deadline engine
// count working days for decades.
const MaxLimitDays = 1000

// Validate checks a catalogue, whether ParseCatalog or NewCatalog built it, and returns every
// problem at once (nil when there is none): at least one department and one matter; codes
// valid IDs (ValidID) and unique; names not blank; each matter's department in the
// catalogue; statutory_days 0..MaxLimitDays; promised_days 0..statutory_days; warn_days,
// acceptance_days and delivery_days 0..MaxLimitDays; max_extension_days 0..60 (the most one
// `extended` event may grant); a fee cap not negative; suspension caps only for known
// reasons, each 0..MaxLimitDays. Each error names the entry with its index and code, and the
// key: `matters[3] (ENV-EIA-001).promised_days`.
func (c *Catalog) Validate() FieldErrors {
	var errs FieldErrors
	add := func(path, key, format string, args ...any) {
		errs = append(errs, FieldError{Field: JoinPath(path, key), Message: fmt.Sprintf(format, args...)})
	}
	checkCode := func(path, code string, seen map[string]string) {
		switch {
		case code == "":
			add(path, "code", "is required")
		case !ValidID(code):
			add(path, "code", idMessage)
		case DotSegment(code):
			add(path, "code", dotSegmentMessage)
		case seen[code] != "":
			add(path, "code", "duplicates %s", seen[code])
		default:
			seen[code] = path
		}
	}
	checkDays := func(path, key string, v, hi int) {
		if v < 0 || v > hi {
			add(path, key, "must be from 0 to %d working days", hi)
		}
	}

	if len(c.Departments) == 0 {
		add("", "departments", "at least one department is required")
	}
	depts := make(map[string]string, len(c.Departments))
	for i := range c.Departments {
		d := &c.Departments[i]
		path := EntryPath("departments", i, d.Code)
		checkCode(path, d.Code, depts)
		if strings.TrimSpace(d.Name) == "" {
			add(path, "name", "is required")
		}
	}

	if len(c.Matters) == 0 {
		add("", "matters", "at least one matter is required")
	}
	matters := make(map[string]string, len(c.Matters))
	for i := range c.Matters {
		m := &c.Matters[i]
		path := EntryPath("matters", i, m.Code)
		checkCode(path, m.Code, matters)
		if strings.TrimSpace(m.Name) == "" {
			add(path, "name", "is required")
		}
		switch {
		case m.Department == "":
			add(path, "department", "is required")
		case depts[m.Department] == "":
			add(path, "department", "unknown department %q: not among departments", m.Department)
		}
		checkDays(path, "statutory_days", m.StatutoryDays, MaxLimitDays)
		switch {
		case m.PromisedDays < 0:
			add(path, "promised_days", "must not be negative")
		case m.PromisedDays > m.StatutoryDays:
			add(path, "promised_days", "must not exceed statutory_days (%d)", m.StatutoryDays)
		}
		checkDays(path, "warn_days", m.WarnDays, MaxLimitDays)
		checkDays(path, "acceptance_days", m.AcceptanceDays, MaxLimitDays)
		checkDays(path, "delivery_days", m.DeliveryDays, MaxLimitDays)
		checkDays(path, "max_extension_days", m.MaxExtensionDays, MaxExtendedDays)
		if m.FeeMaxFen != nil && *m.FeeMaxFen < 0 {
			add(path, "fee_max_yuan", "must not be negative")
		}
		reasons := make([]string, 0, len(m.MaxSuspensionDays))
		for r := range m.MaxSuspensionDays {
			reasons = append(reasons, r)
		}
		slices.Sort(reasons)
		for _, r := range reasons {
			key := "max_suspension_days." + r
			if !ValidReason(r) {
				add(path, key, "unknown suspension reason: must be one of %s", strings.Join(SuspensionReasons, ", "))
				continue
			}
			checkDays(path, key, m.MaxSuspensionDays[r], MaxLimitDays)
		}
	}
	return errs
}

// EntryPath names the i-th entry of a catalogue list in error messages, with its code once
// the code is a valid ID: `matters[3] (ENV-EIA-001)`.
func EntryPath(list string, i int, code string) string {
	if ValidID(code) {
		return fmt.Sprintf("%s[%d] (%s)", list, i, code)
	}
	return fmt.Sprintf("%s[%d]", list, i)
}

// JoinPath names key under path, as the catalogue's error messages do: "matters[3].name".
func JoinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}
