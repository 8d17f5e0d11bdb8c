package fileimport_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/duban-gov/duban/collectors/fileimport"
)

// What Excel writes as "CSV UTF-8": a byte order mark, CRLF, quotes where needed.
const excelCSV = "\ufeffcase_id,event_id,department,matter,type,at,seq,handler,days,approver,note,amount_yuan,result\r\n" +
	"env-1,e1,env,ENV-EIA-001,submitted,2026-03-02T09:00:00+08:00,1,\"张三, 审批科\",,,\"申请人：王五，\"\"加急\"\"\",,\r\n" +
	"env-1,e2,env,,extended,2026-03-12T09:00:00+08:00,2,,5,li.si,\"延期理由：\r\n专家评审\",,\r\n" +
	"env-1,e3,env,,extended,2026-03-13T09:00:00+08:00,3,,5.0,li.si,,,\r\n" +
	"env-1,e4,env,,fee_charged,2026-03-14T09:00:00+08:00,,,,,,120.00,\r\n" +
	"\r\n" +
	"env-1,e5,env\r\n" +
	"env-2,e1,env,ENV-EIA-001,submitted,2026-03-40T09:00:00+08:00,x,,,,,,\r\n" +
	"env-2,e2,env,,decided,2026-03-20T09:00:00+08:00,,,,,,,approved"

func TestImportCSV(t *testing.T) {
	t.Parallel()
	im := newImporter(t)
	o := im.run(t, "events.csv", fileimport.CSV, excelCSV, nil)
	if o.err != nil {
		t.Fatal(o.err)
	}
	counts(t, o, 4, 0, 3)
	want := []string{
		"line 5: days: must be an integer from 1 to 60",
		"line 8: has 3 cells; the header has 13 columns",
		`line 9: at: must be an RFC 3339 time with a UTC offset, such as "2026-03-02T10:15:00+08:00" or "2026-03-02T02:15:00Z"; seq: must be a non-negative integer (a JSON number)`,
	}
	if got := o.lines(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("rejections:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	evs := im.events(t, "env-1")
	if len(evs) != 3 {
		t.Fatalf("case env-1: %d events stored, want e1, e2, e4: %+v", len(evs), evs)
	}
	if e := evs[0]; e.EventID != "e1" || e.Seq != 1 || e.Handler != "张三, 审批科" || e.Note != `申请人：王五，"加急"` || e.Matter != "ENV-EIA-001" {
		t.Errorf("e1: %+v", e)
	}
	if e := evs[1]; e.EventID != "e2" || e.Type != "extended" || e.Days != 5 || e.Approver != "li.si" || e.Note != "延期理由：\n专家评审" {
		t.Errorf("e2: %+v", e)
	}
	if e := evs[2]; e.EventID != "e4" || e.AmountYuan != "120.00" || e.Seq != 0 {
		t.Errorf("e4: %+v", e)
	}
	if evs := im.events(t, "env-2"); len(evs) != 1 || evs[0].Result != "approved" {
		t.Errorf("case env-2: %+v, want e2 (approved)", evs)
	}
}

// Rows that cannot be read are rejected one by one; the rows after them are read.
func TestImportCSVBadRows(t *testing.T) {
	t.Parallel()
	im := newImporter(t)
	file := "event_id,case_id,department,matter,type,at,handler\n" +
		"e1,c-1,env,ENV-EIA-001,submitted,2026-03-20T09:00:00+08:00,\xd5\xc5\xc8\xfd\n" + // 张三 in GBK
		"e2,c-1,env,,accepted,2026-03-21T09:00:00+08:00,a \"b\" c\n" +
		"e3,c-1,env,,step,2026-03-22T09:00:00+08:00,\n" +
		"e4,c-1,env,,step,2026-03-23T09:00:00+08:00,  wang.wu \n"
	o := im.run(t, "gbk.csv", fileimport.CSV, file, nil)
	if o.err != nil {
		t.Fatal(o.err)
	}
	counts(t, o, 1, 0, 3)
	want := []string{
		`line 2: handler: must be valid UTF-8 (save the file as "CSV UTF-8", not in a legacy encoding such as GBK)`,
		`line 3: is not valid CSV: bare " in non-quoted-field`,
		`line 4: handler: is required on step events (it names the new handler)`,
	}
	if got := o.lines(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("rejections:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if evs := im.events(t, "c-1"); len(evs) != 1 || evs[0].Handler != "  wang.wu " {
		t.Errorf("stored %+v, want e4 with its handler as written", evs)
	}
}

// A header that would drop data, or have every row rejected, stops the import before
// anything is stored.
func TestImportCSVHeader(t *testing.T) {
	t.Parallel()
	const row = "\ne1,c-1,env,ENV-EIA-001,submitted,2026-03-20T09:00:00+08:00,x\n"
	tests := []struct {
		name, header, err string
	}{
		{"unknown column", "event_id,case_id,department,matter,type,at,handlr",
			`line 1: header column 7, "handlr", is not an event field; the columns are named event_id, case_id, department, matter, type, at, seq, handler, days, approver, reason, note, amount_yuan, result, ref`},
		{"empty column", "event_id,case_id,department,matter,type,at,", "line 1: header column 7 is empty"},
		{"column twice", "event_id,case_id,department,matter,type,at,case_id", "line 1: header column 7, case_id, repeats column 2"},
		{"received_at", "event_id,case_id,department,matter,type,at,received_at", "header column 7, received_at, is not taken"},
		{"required column missing", "event_id,department,matter,note,type,handler,ref", "line 1: the header has no column case_id, at; every event needs event_id, case_id, department, type, at"},
		{"unreadable header", `event_id,"case_id,department`, "line 1: the header is not valid CSV"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			im := newImporter(t)
			o := im.run(t, "events.csv", fileimport.CSV, tc.header+row, nil)
			if o.err == nil || !strings.Contains(o.err.Error(), tc.err) {
				t.Fatalf("error %v, want one containing %q", o.err, tc.err)
			}
			if !strings.HasPrefix(o.err.Error(), "events.csv: ") {
				t.Errorf("error %q does not name the file", o.err)
			}
			if len(im.events(t, "c-1")) != 0 || o.rep.Events() != 0 {
				t.Errorf("something was imported: %+v", o.rep)
			}
			if log := im.audit(t); len(log) != 0 {
				t.Errorf("audit entries for an import that read nothing: %+v", log)
			}
		})
	}
}

// Header names are trimmed; the order of columns is free; an empty file holds no events.
func TestImportCSVLoose(t *testing.T) {
	t.Parallel()
	im := newImporter(t)
	o := im.run(t, "events.csv", fileimport.CSV, " at , type,department ,case_id,event_id\n2026-03-20T09:00:00+08:00,accepted,env,c-1,e1\n", nil)
	if o.err != nil {
		t.Fatal(o.err)
	}
	counts(t, o, 1, 0, 0)
	if o := im.run(t, "empty.csv", fileimport.CSV, "", nil); o.err != nil || o.rep.Events() != 0 {
		t.Errorf("empty file: %+v, %v", o.rep, o.err)
	}
}
