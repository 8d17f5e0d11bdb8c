package monitor

import (
	"slices"
	"strings"
	"testing"
	"time"
)

var (
	testZone = time.FixedZone("CST", 8*3600)
	testNow  = time.Date(2026, 3, 2, 10, 0, 0, 0, testZone)
)

// exampleCatalog is a small catalogue built in code, as other packages' tests build theirs.
func exampleCatalog(tb testing.TB) *Catalog {
	tb.Helper()
	c := NewCatalog(
		[]Department{{Code: "env", Name: "区生态环境局"}, {Code: "transport", Name: "区交通运输局"}},
		[]Matter{
			NewMatter("ENV-EIA-001", "建设项目环境影响报告表审批", "env", 20, 10),
			NewMatter("TR-ROAD-001", "道路运输经营许可", "transport", 0, 0),
		})
	if errs := c.Validate(); errs != nil {
		tb.Fatalf("test catalogue: %v", errs)
	}
	return c
}

// validEvent returns a valid event of type t: the fields every event needs plus those t does.
func validEvent(t EventType) Event {
	e := Event{
		EventID: "env-2026-000123-03", CaseID: "env-2026-000123", Department: "env",
		Type: t, At: testNow.Add(-time.Hour),
	}
	switch t {
	case Submitted:
		e.Matter = "ENV-EIA-001"
	case Extended:
		e.Days, e.Approver = 10, "li.si"
	case Suspended:
		e.Reason = ReasonExpertReview
	case Decided:
		e.Result = ResultApproved
	case NotAccepted:
		e.Note = "材料不符合法定形式"
	case FeeCharged:
		e.AmountYuan = "120.00"
	case Retracted:
		e.Ref = "env-2026-000123-02"
	case Step:
		e.Handler = "wang.wu"
	}
	return e
}

func TestValidID(t *testing.T) {
	tests := []struct {
		name string
		id   string
		want bool
	}{
		{"simple", "env-2026-000123", true},
		{"every allowed character", "aZ09-_.:/", true},
		{"one character", "x", true},
		{"128 characters", strings.Repeat("a", 128), true},
		{"empty", "", false},
		{"129 characters", strings.Repeat("a", 129), false},
		{"space", "env 1", false},
		{"hash", "env#1", false},
		{"non-ASCII letter", "环境-1", false},
		{"fullwidth digit", "env-１", false},
		{"newline", "env\n", false},
		{"NUL", "env\x00", false},
		{"plus", "a+b", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ValidID(tt.id); got != tt.want {
				t.Errorf("ValidID(%q) = %v, want %v", tt.id, got, tt.want)
			}
		})
	}
}

func TestValidateEventValidOfEveryType(t *testing.T) {
	cat := exampleCatalog(t)
	for _, typ := range EventTypes {
		t.Run(string(typ), func(t *testing.T) {
			e := validEvent(typ)
			if errs := ValidateEvent(&e, cat, testNow); errs != nil {
				t.Errorf("ValidateEvent: %v", errs)
			}
		})
	}
}

func TestValidateEvent(t *testing.T) {
	cat := exampleCatalog(t)
	tests := []struct {
		name   string
		typ    EventType
		mutate func(*Event)
		want   []string // the fields named, in order
	}{
		// Required everywhere.
		{"no event_id", Accepted, func(e *Event) { e.EventID = "" }, []string{"event_id"}},
		{"no case_id", Accepted, func(e *Event) { e.CaseID = "" }, []string{"case_id"}},
		{"no department", Accepted, func(e *Event) { e.Department = "" }, []string{"department"}},
		{"no type", Accepted, func(e *Event) { e.Type = "" }, []string{"type"}},
		{"no at", Accepted, func(e *Event) { e.At = time.Time{} }, []string{"at"}},
		{"nothing at all", Accepted, func(e *Event) { *e = Event{} },
			[]string{"event_id", "case_id", "department", "type", "at"}},

		// IDs.
		{"event_id with a space", Accepted, func(e *Event) { e.EventID = "env 1" }, []string{"event_id"}},
		{"event_id of 129 characters", Accepted, func(e *Event) { e.EventID = strings.Repeat("e", 129) }, []string{"event_id"}},
		{"event_id of 128 characters", Accepted, func(e *Event) { e.EventID = strings.Repeat("e", 128) }, nil},
		{"case_id with a hash", Accepted, func(e *Event) { e.CaseID = "env#1" }, []string{"case_id"}},
		{"case_id in Chinese", Accepted, func(e *Event) { e.CaseID = "环境-1" }, []string{"case_id"}},
		{"case_id ..", Accepted, func(e *Event) { e.CaseID = ".." }, []string{"case_id"}},
		{"case_id with a .. segment", Accepted, func(e *Event) { e.CaseID = "env/../x" }, []string{"case_id"}},
		{"event_id .", Accepted, func(e *Event) { e.EventID = "." }, []string{"event_id"}},
		{"event_id with a . segment", Accepted, func(e *Event) { e.EventID = "a/./b" }, []string{"event_id"}},
		{"dots inside a segment", Accepted, func(e *Event) { e.CaseID, e.EventID = "env..2026/.x", "a.b/...c" }, nil},
		{"a ref to an event stored before the rule", Retracted, func(e *Event) { e.Ref = "env/../old" }, nil},

		// Catalogue.
		{"unknown department", Accepted, func(e *Event) { e.Department = "police" }, []string{"department"}},
		{"malformed department", Accepted, func(e *Event) { e.Department = "env dept" }, []string{"department"}},
		{"submitted without matter", Submitted, func(e *Event) { e.Matter = "" }, []string{"matter"}},
		{"unknown matter on submitted", Submitted, func(e *Event) { e.Matter = "ENV-XXX-999" }, []string{"matter"}},
		{"malformed matter", Submitted, func(e *Event) { e.Matter = "ENV EIA" }, []string{"matter"}},
		{"matter of another department", Submitted, func(e *Event) { e.Matter = "TR-ROAD-001" }, []string{"matter"}},
		{"matter of its department on a later event", Accepted, func(e *Event) { e.Matter = "ENV-EIA-001" }, nil},
		{"unknown matter on a later event", Accepted, func(e *Event) { e.Matter = "ENV-XXX-999" }, []string{"matter"}},
		{"unknown department and matter", Submitted, func(e *Event) { e.Department = "police" }, []string{"department"}},

		// type and at.
		{"unknown type", Accepted, func(e *Event) { e.Type = "approved" }, []string{"type"}},
		{"type in capitals", Accepted, func(e *Event) { e.Type = "ACCEPTED" }, []string{"type"}},
		{"at exactly 5 minutes ahead", Accepted, func(e *Event) { e.At = testNow.Add(5 * time.Minute) }, nil},
		{"at 5 minutes and 1 ns ahead", Accepted, func(e *Event) { e.At = testNow.Add(5*time.Minute + 1) }, []string{"at"}},
		{"at ahead in another zone", Accepted, func(e *Event) { e.At = testNow.Add(time.Hour).UTC() }, []string{"at"}},
		{"at long ago", Accepted, func(e *Event) { e.At = time.Date(2019, 1, 1, 0, 0, 0, 0, testZone) }, nil},
		{"at the Unix epoch", Accepted, func(e *Event) { e.At = time.Unix(0, 0) }, []string{"at"}},
		{"negative seq", Accepted, func(e *Event) { e.Seq = -1 }, []string{"seq"}},

		// extended.
		{"extended without days", Extended, func(e *Event) { e.Days = 0 }, []string{"days"}},
		{"extended by 61 days", Extended, func(e *Event) { e.Days = 61 }, []string{"days"}},
		{"extended by -1 days", Extended, func(e *Event) { e.Days = -1 }, []string{"days"}},
		{"extended by 1 day", Extended, func(e *Event) { e.Days = 1 }, nil},
		{"extended by 60 days", Extended, func(e *Event) { e.Days = 60 }, nil},
		{"extended without approver", Extended, func(e *Event) { e.Approver = "" }, []string{"approver"}},
		{"extended with neither", Extended, func(e *Event) { e.Days, e.Approver = 0, "" }, []string{"days", "approver"}},
		{"approver of 129 characters", Extended, func(e *Event) { e.Approver = strings.Repeat("李", 129) }, []string{"approver"}},
		{"approver of 128 characters", Extended, func(e *Event) { e.Approver = strings.Repeat("李", 128) }, nil},
		{"days out of range on another type", Accepted, func(e *Event) { e.Days = 90 }, []string{"days"}},

		// suspended.
		{"suspended without reason", Suspended, func(e *Event) { e.Reason = "" }, []string{"reason"}},
		{"suspended for an unknown reason", Suspended, func(e *Event) { e.Reason = "holiday" }, []string{"reason"}},
		{"suspended for supplement", Suspended, func(e *Event) { e.Reason = ReasonSupplement }, nil},
		{"suspended for other without note", Suspended, func(e *Event) { e.Reason = ReasonOther }, []string{"note"}},
		{"suspended for other with note", Suspended, func(e *Event) { e.Reason, e.Note = ReasonOther, "现场核查受阻" }, nil},
		{"unknown reason on resumed", Resumed, func(e *Event) { e.Reason = "holiday" }, []string{"reason"}},

		// decided.
		{"decided without result", Decided, func(e *Event) { e.Result = "" }, []string{"result"}},
		{"decided with an unknown result", Decided, func(e *Event) { e.Result = "maybe" }, []string{"result"}},
		{"decided denied", Decided, func(e *Event) { e.Result = ResultDenied }, nil},

		// not_accepted and notes.
		{"not_accepted without note", NotAccepted, func(e *Event) { e.Note = "" }, []string{"note"}},
		{"note of 2001 characters", NotAccepted, func(e *Event) { e.Note = strings.Repeat("字", 2001) }, []string{"note"}},
		{"note of 2000 characters", NotAccepted, func(e *Event) { e.Note = strings.Repeat("字", 2000) }, nil},
		{"note with line breaks and tabs", NotAccepted, func(e *Event) { e.Note = "一\r\n二\t三" }, nil},
		{"note with NUL", NotAccepted, func(e *Event) { e.Note = "a\x00b" }, []string{"note"}},
		{"note of invalid UTF-8", NotAccepted, func(e *Event) { e.Note = "a\xffb" }, []string{"note"}},

		// fee_charged.
		{"fee_charged without amount", FeeCharged, func(e *Event) { e.AmountYuan = "" }, []string{"amount_yuan"}},
		{"amount with 3 decimals", FeeCharged, func(e *Event) { e.AmountYuan = "1.234" }, []string{"amount_yuan"}},
		{"negative amount", FeeCharged, func(e *Event) { e.AmountYuan = "-1" }, []string{"amount_yuan"}},
		{"zero amount", FeeCharged, func(e *Event) { e.AmountYuan = "0" }, nil},

		// retracted.
		{"retracted without ref", Retracted, func(e *Event) { e.Ref = "" }, []string{"ref"}},
		{"retracted naming itself", Retracted, func(e *Event) { e.Ref = e.EventID }, []string{"ref"}},
		{"malformed ref", Retracted, func(e *Event) { e.Ref = "a b" }, []string{"ref"}},

		// step and handlers.
		{"step without handler", Step, func(e *Event) { e.Handler = "" }, []string{"handler"}},
		{"blank handler", Step, func(e *Event) { e.Handler = "   " }, []string{"handler"}},
		{"handler with a control character", Step, func(e *Event) { e.Handler = "wang\x1bwu" }, []string{"handler"}},
		{"handler of 129 characters", Accepted, func(e *Event) { e.Handler = strings.Repeat("h", 129) }, []string{"handler"}},
		{"handler in Chinese", Accepted, func(e *Event) { e.Handler = "张三" }, nil},

		// Several at once, in the contract's field order.
		{"many problems", Extended, func(e *Event) {
			e.EventID, e.Department, e.At, e.Days, e.Approver = "", "police", testNow.Add(time.Hour), 0, ""
		}, []string{"event_id", "department", "at", "days", "approver"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := validEvent(tt.typ)
			tt.mutate(&e)
			errs := ValidateEvent(&e, cat, testNow)
			if got := errs.Fields(); !slices.Equal(got, tt.want) {
				t.Errorf("fields = %q, want %q (%v)", got, tt.want, errs)
			}
			for _, fe := range errs {
				if fe.Message == "" {
					t.Errorf("%s: empty message", fe.Field)
				}
			}
		})
	}
}

func TestValidateEventMessages(t *testing.T) {
	cat := exampleCatalog(t)
	tests := []struct {
		name   string
		typ    EventType
		mutate func(*Event)
		want   FieldError
	}{
		{"future at", Accepted, func(e *Event) { e.At = testNow.Add(time.Hour) },
			FieldError{"at", "must be at most 5 minutes in the future (now 2026-03-02T10:00:00+08:00)"}},
		{"days", Extended, func(e *Event) { e.Days = 61 },
			FieldError{"days", "must be an integer from 1 to 60"}},
		{"unknown department", Accepted, func(e *Event) { e.Department = "police" },
			FieldError{"department", `unknown department "police": not in the catalogue`}},
		{"matter of another department", Submitted, func(e *Event) { e.Matter = "TR-ROAD-001" },
			FieldError{"matter", "matter TR-ROAD-001 belongs to department transport, not env"}},
		{"missing matter", Submitted, func(e *Event) { e.Matter = "" },
			FieldError{"matter", "is required on submitted events"}},
		{"unknown type is cut short", Accepted, func(e *Event) { e.Type = EventType(strings.Repeat("x", 100)) },
			FieldError{"type", `unknown event type "` + strings.Repeat("x", 40) + `"…: must be one of ` + joinTypes()}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := validEvent(tt.typ)
			tt.mutate(&e)
			errs := ValidateEvent(&e, cat, testNow)
			if len(errs) != 1 || errs[0] != tt.want {
				t.Errorf("errors = %v, want %v", errs, tt.want)
			}
		})
	}
}

func TestValidateEventWithoutCatalogue(t *testing.T) {
	e := validEvent(Submitted)
	e.Department, e.Matter = "police", "POL-1"
	if errs := ValidateEvent(&e, nil, testNow); errs != nil {
		t.Errorf("with a nil catalogue: %v", errs)
	}
	e.Department = "bad dept"
	if got := ValidateEvent(&e, nil, testNow).Fields(); !slices.Equal(got, []string{"department"}) {
		t.Errorf("fields = %q, want department", got)
	}
}

func TestDotSegment(t *testing.T) {
	for s, want := range map[string]bool{
		".": true, "..": true, "a/.": true, "./a": true, "a/../b": true, "a//.": true,
		"...": false, ".a": false, "a.": false, "a..b": false, "a/.b/c.": false, "": false,
	} {
		if got := DotSegment(s); got != want {
			t.Errorf("DotSegment(%q) = %v, want %v", s, got, want)
		}
	}
}
