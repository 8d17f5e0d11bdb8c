package catalogfile

import (
	"errors"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/duban-gov/duban/monitor"
)

func readCatalog(tb testing.TB, path string) *monitor.Catalog {
	tb.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	c, err := Parse(data)
	if err != nil {
		tb.Fatalf("Parse(%s): %v", path, err)
	}
	return c
}

func fenPtr(v int64) *int64 { return &v }

func TestParseCatalogFile(t *testing.T) {
	c := readCatalog(t, "testdata/catalog.yaml")
	wantDepts := []monitor.Department{{Code: "env", Name: "区生态环境局"}, {Code: "transport", Name: "区交通运输局"}}
	if !reflect.DeepEqual(c.Departments, wantDepts) {
		t.Errorf("departments = %+v", c.Departments)
	}
	wantMatters := []monitor.Matter{
		{Code: "ENV-EIA-001", Name: "建设项目环境影响报告表审批", Department: "env",
			StatutoryDays: 20, PromisedDays: 10, WarnDays: 3, AcceptanceDays: 4, DeliveryDays: 8,
			MaxExtensionDays: 15, FeeMaxFen: fenPtr(0),
			MaxSuspensionDays: map[string]int{"expert_review": 30, "hearing": 10}},
		// Only the required keys: promised_days = statutory_days, the rest the defaults.
		{Code: "ENV-DISCHARGE-002", Name: "排污许可证核发", Department: "env",
			StatutoryDays: 20, PromisedDays: 20, WarnDays: monitor.DefaultWarnDays,
			AcceptanceDays: monitor.DefaultAcceptanceDays, DeliveryDays: monitor.DefaultDeliveryDays,
			MaxExtensionDays: monitor.DefaultMaxExtensionDays},
		{Code: "TR-ROAD-001", Name: "道路运输经营许可", Department: "transport",
			StatutoryDays: 0, PromisedDays: 0, WarnDays: 2, AcceptanceDays: 5, DeliveryDays: 10,
			MaxExtensionDays: 10, FeeMaxFen: fenPtr(12050)},
		{Code: "TR-TAXI-002", Name: "出租汽车经营许可", Department: "transport",
			StatutoryDays: 30, PromisedDays: 15, WarnDays: 2, AcceptanceDays: 5, DeliveryDays: 10,
			MaxExtensionDays: 10, FeeMaxFen: fenPtr(8050)},
	}
	if !reflect.DeepEqual(c.Matters, wantMatters) {
		t.Errorf("matters =\n%+v\nwant\n%+v", c.Matters, wantMatters)
	}
	if m, ok := c.Matter("TR-ROAD-001"); !ok || m.Department != "transport" {
		t.Errorf("Matter(TR-ROAD-001) = %+v, %v", m, ok)
	}
	if d, ok := c.Department("env"); !ok || d.Name != "区生态环境局" {
		t.Errorf("Department(env) = %+v, %v", d, ok)
	}
	if m, _ := c.Matter("ENV-DISCHARGE-002"); m != nil {
		if _, monitored := m.FeeMax(); monitored {
			t.Error("fees of ENV-DISCHARGE-002 monitored without fee_max_yuan")
		}
	}
	if m := monitor.NewMatter("ENV-DISCHARGE-002", "排污许可证核发", "env", 20, 20); !reflect.DeepEqual(m, wantMatters[1]) {
		t.Errorf("NewMatter = %+v, want the defaults Parse applies %+v", m, wantMatters[1])
	}
}

func TestParseCatalogYAMLFeatures(t *testing.T) {
	const doc = `
departments:
  - code: env
    name: 区生态环境局
matters:
  - &base
    code: ENV-A
    name: 甲
    department: env
    statutory_days: 20
    warn_days: ~               # null: the default
    max_suspension_days: &caps { hearing: 5 }
  - <<: *base
    code: ENV-B
    name: 乙
    promised_days: 12
    fee_max_yuan: "0.5"
  - { code: 0012, name: 丙, department: env, statutory_days: 0x0A, max_suspension_days: *caps }
`
	c, err := Parse([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	a, _ := c.Matter("ENV-A")
	b, _ := c.Matter("ENV-B")
	z, _ := c.Matter("0012")
	switch {
	case a == nil || b == nil || z == nil:
		t.Fatalf("matters = %+v", c.Matters)
	case a.WarnDays != monitor.DefaultWarnDays:
		t.Errorf("null warn_days = %d, want the default", a.WarnDays)
	case b.StatutoryDays != 20 || b.PromisedDays != 12 || b.Department != "env" || b.MaxSuspensionDays["hearing"] != 5:
		t.Errorf("merged matter = %+v", b)
	case b.FeeMaxFen == nil || *b.FeeMaxFen != 50:
		t.Errorf("fee_max_yuan \"0.5\" = %v", b.FeeMaxFen)
	case z.StatutoryDays != 10 || z.MaxSuspensionDays["hearing"] != 5:
		t.Errorf("matter 0012 = %+v", z)
	}
}

// catalogDoc builds a catalogue whose matters list is matters, after one department.
func catalogDoc(matters string) string {
	return "departments:\n  - { code: env, name: 区生态环境局 }\nmatters:\n" + matters
}

// okMatter is a valid first matter, so that the entry under test is matters[1].
const okMatter = "  - { code: OK-1, name: 好, department: env, statutory_days: 20 }\n"

func TestParseCatalogErrors(t *testing.T) {
	bad := func(fields string) string {
		return catalogDoc(okMatter + "  - { code: ENV-EIA-001, name: 审批, department: env, " + fields + " }\n")
	}
	const m1 = "matters[1] (ENV-EIA-001)."
	tests := []struct {
		name string
		doc  string
		want []string // the fields named, in order
	}{
		{"promised above statutory", bad("statutory_days: 20, promised_days: 21"), []string{m1 + "promised_days"}},
		{"promised negative", bad("statutory_days: 20, promised_days: -1"), []string{m1 + "promised_days"}},
		{"promised without statutory", bad("promised_days: 5"), []string{m1 + "statutory_days"}},
		{"statutory missing", bad("warn_days: 2"), []string{m1 + "statutory_days"}},
		{"statutory null", bad("statutory_days: ~"), []string{m1 + "statutory_days"}},
		{"statutory negative", bad("statutory_days: -1"), []string{m1 + "statutory_days"}},
		{"statutory too large", bad("statutory_days: 1001"), []string{m1 + "statutory_days"}},
		{"statutory huge", bad("statutory_days: 99999999999999999999"), []string{m1 + "statutory_days"}},
		{"statutory a string", bad(`statutory_days: "20"`), []string{m1 + "statutory_days"}},
		{"statutory 20.0", bad("statutory_days: 20.0"), []string{m1 + "statutory_days"}},
		{"statutory a list", bad("statutory_days: [20]"), []string{m1 + "statutory_days"}},
		{"warn_days negative", bad("statutory_days: 20, warn_days: -1"), []string{m1 + "warn_days"}},
		{"acceptance_days negative", bad("statutory_days: 20, acceptance_days: -1"), []string{m1 + "acceptance_days"}},
		{"delivery_days negative", bad("statutory_days: 20, delivery_days: -1"), []string{m1 + "delivery_days"}},
		{"delivery_days a word", bad("statutory_days: 20, delivery_days: ten"), []string{m1 + "delivery_days"}},
		{"max_extension_days 61", bad("statutory_days: 20, max_extension_days: 61"), []string{m1 + "max_extension_days"}},
		{"max_extension_days negative", bad("statutory_days: 20, max_extension_days: -1"), []string{m1 + "max_extension_days"}},
		{"fee negative", bad("statutory_days: 20, fee_max_yuan: -1"), []string{m1 + "fee_max_yuan"}},
		{"fee with 3 decimals", bad("statutory_days: 20, fee_max_yuan: 1.234"), []string{m1 + "fee_max_yuan"}},
		{"fee with an exponent", bad("statutory_days: 20, fee_max_yuan: 1e3"), []string{m1 + "fee_max_yuan"}},
		{"fee a word", bad("statutory_days: 20, fee_max_yuan: free"), []string{m1 + "fee_max_yuan"}},
		{"fee a boolean", bad("statutory_days: 20, fee_max_yuan: true"), []string{m1 + "fee_max_yuan"}},
		{"fee a list", bad("statutory_days: 20, fee_max_yuan: [1]"), []string{m1 + "fee_max_yuan"}},
		{"suspension cap for an unknown reason", bad("statutory_days: 20, max_suspension_days: { holiday: 3 }"),
			[]string{m1 + "max_suspension_days.holiday"}},
		{"suspension cap negative", bad("statutory_days: 20, max_suspension_days: { hearing: -1 }"),
			[]string{m1 + "max_suspension_days.hearing"}},
		{"suspension cap a word", bad("statutory_days: 20, max_suspension_days: { hearing: long }"),
			[]string{m1 + "max_suspension_days.hearing"}},
		{"suspension cap null", bad("statutory_days: 20, max_suspension_days: { hearing: ~ }"),
			[]string{m1 + "max_suspension_days.hearing"}},
		{"suspension caps a list", bad("statutory_days: 20, max_suspension_days: [hearing]"),
			[]string{m1 + "max_suspension_days"}},
		{"unknown key", bad("statutory_days: 20, colour: red"), []string{m1 + "colour"}},
		{"key given twice", bad("statutory_days: 20, statutory_days: 30"), []string{m1 + "statutory_days"}},
		{"unknown department", catalogDoc(okMatter + "  - { code: ENV-EIA-001, name: 审批, department: police, statutory_days: 20 }\n"),
			[]string{m1 + "department"}},
		{"department missing", catalogDoc(okMatter + "  - { code: ENV-EIA-001, name: 审批, statutory_days: 20 }\n"),
			[]string{m1 + "department"}},
		{"name missing", catalogDoc(okMatter + "  - { code: ENV-EIA-001, department: env, statutory_days: 20 }\n"),
			[]string{m1 + "name"}},
		{"name blank", catalogDoc(okMatter + "  - { code: ENV-EIA-001, name: ' ', department: env, statutory_days: 20 }\n"),
			[]string{m1 + "name"}},
		{"code missing", catalogDoc(okMatter + "  - { name: 审批, department: env, statutory_days: 20 }\n"),
			[]string{"matters[1].code"}},
		{"code malformed", catalogDoc(okMatter + "  - { code: ENV EIA, name: 审批, department: env, statutory_days: 20 }\n"),
			[]string{"matters[1].code"}},
		{"code a mapping", catalogDoc(okMatter + "  - { code: {a: 1}, name: 审批, department: env, statutory_days: 20 }\n"),
			[]string{"matters[1].code"}},
		{"code duplicated", catalogDoc(okMatter + okMatter), []string{"matters[1] (OK-1).code"}},
		{"matter not a mapping", catalogDoc(okMatter + "  - ENV-EIA-001\n"),
			[]string{"matters[1]"}},
		{"matters not a list", catalogDoc("  ENV-EIA-001: {}\n"), []string{"matters"}},
		{"no matters", catalogDoc(""), []string{"matters"}},
		{"department code missing", "departments:\n  - { name: 局 }\nmatters:\n" + okMatter,
			[]string{"departments[0].code", "matters[0] (OK-1).department"}},
		{"department code duplicated", "departments:\n  - { code: env, name: 甲 }\n  - { code: env, name: 乙 }\nmatters:\n" + okMatter,
			[]string{"departments[1] (env).code"}},
		{"department name missing", "departments:\n  - { code: env }\nmatters:\n" + okMatter,
			[]string{"departments[0] (env).name"}},
		{"department unknown key", "departments:\n  - { code: env, name: 局, head: 王 }\nmatters:\n" + okMatter,
			[]string{"departments[0] (env).head"}},
		{"no departments", "matters:\n" + okMatter, []string{"departments", "matters[0] (OK-1).department"}},
		{"unknown top-level key", catalogDoc(okMatter) + "version: 2\n", []string{"version"}},
		{"a list at the top", "- env\n", []string{""}},
		{"empty", "", []string{""}},
		{"only a comment", "# nothing\n", []string{""}},
		{"not YAML", "departments: [\n", []string{""}},
		{"two documents", catalogDoc(okMatter) + "---\n" + catalogDoc(okMatter), []string{""}},
		{"problems in several entries", catalogDoc(
			"  - { code: A-1, name: 甲, department: env, statutory_days: 10, promised_days: 11 }\n" +
				"  - { code: A-2, name: 乙, department: nowhere, statutory_days: -3 }\n"),
			[]string{"matters[0] (A-1).promised_days", "matters[1] (A-2).department", "matters[1] (A-2).statutory_days"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse([]byte(tt.doc))
			if c != nil {
				t.Errorf("Parse returned a catalogue along with %v", err)
			}
			var errs monitor.FieldErrors
			if !errors.As(err, &errs) {
				t.Fatalf("Parse error = %v (%T), want monitor.FieldErrors", err, err)
			}
			if got := errs.Fields(); !slices.Equal(got, tt.want) {
				t.Errorf("fields = %q, want %q\n%v", got, tt.want, errs)
			}
		})
	}
}

func TestParseCatalogMessages(t *testing.T) {
	tests := []struct {
		name string
		doc  string
		want string // the whole error
	}{
		{"promised above statutory",
			catalogDoc(okMatter + okMatter[:len(okMatter)-3] + ", promised_days: 21 }\n"),
			"matters[1] (OK-1).code: duplicates matters[0] (OK-1); matters[1] (OK-1).promised_days: must not exceed statutory_days (20)"},
		{"unknown key with its line",
			catalogDoc("  - code: ENV-EIA-001\n    name: 审批\n    department: env\n    statutory_days: 20\n    colour: red\n"),
			"matters[0] (ENV-EIA-001).colour: unknown key (known: " + strings.Join(matterKeys, ", ") + ") (line 8)"},
		{"type error with its line",
			catalogDoc("  - code: ENV-EIA-001\n    name: 审批\n    department: env\n    statutory_days: twenty\n"),
			"matters[0] (ENV-EIA-001).statutory_days: must be a whole number of working days (line 7)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.doc))
			if err == nil || err.Error() != tt.want {
				t.Errorf("error =\n%v\nwant\n%s", err, tt.want)
			}
		})
	}
}

func TestParseCatalogGoodEdges(t *testing.T) {
	tests := []struct{ name, fields string }{
		{"即办件", "statutory_days: 0"},
		{"promised equal to statutory", "statutory_days: 20, promised_days: 20"},
		{"promised zero", "statutory_days: 20, promised_days: 0"},
		{"max_extension_days 60", "statutory_days: 20, max_extension_days: 60"},
		{"max_extension_days 0", "statutory_days: 20, max_extension_days: 0"},
		{"free of charge", "statutory_days: 20, fee_max_yuan: 0"},
		{"fee null", "statutory_days: 20, fee_max_yuan: ~"},
		{"statutory 1000", "statutory_days: 1000"},
		{"every reason capped", "statutory_days: 20, max_suspension_days: {hearing: 0, bidding: 1, auction: 1, testing: 1, " +
			"inspection: 1, quarantine: 1, appraisal: 1, expert_review: 1, supplement: 1, other: 1}"},
		{"empty caps", "statutory_days: 20, max_suspension_days: {}"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := catalogDoc("  - { code: ENV-EIA-001, name: 审批, department: env, " + tt.fields + " }\n")
			if _, err := Parse([]byte(doc)); err != nil {
				t.Errorf("Parse: %v", err)
			}
		})
	}
}

func TestCatalogValidateBuiltInCode(t *testing.T) {
	good := monitor.NewMatter("ENV-EIA-001", "审批", "env", 20, 10)
	bad := monitor.NewMatter("ENV-EIA-002", "", "police", 20, 30)
	bad.FeeMaxFen = fenPtr(-1)
	bad.MaxSuspensionDays = map[string]int{"nap": 1, "hearing": -2}
	c := monitor.NewCatalog([]monitor.Department{{Code: "env", Name: "局"}}, []monitor.Matter{good, bad})
	want := []string{
		"matters[1] (ENV-EIA-002).name",
		"matters[1] (ENV-EIA-002).department",
		"matters[1] (ENV-EIA-002).promised_days",
		"matters[1] (ENV-EIA-002).fee_max_yuan",
		"matters[1] (ENV-EIA-002).max_suspension_days.hearing",
		"matters[1] (ENV-EIA-002).max_suspension_days.nap",
	}
	if got := c.Validate().Fields(); !slices.Equal(got, want) {
		t.Errorf("Validate fields = %q, want %q", got, want)
	}
}

// FuzzParseCatalog checks that no catalogue text makes Parse panic, and that what it
// accepts is valid and fully indexed.
func FuzzParseCatalog(f *testing.F) {
	if data, err := os.ReadFile("testdata/catalog.yaml"); err == nil {
		f.Add(string(data))
	}
	f.Add(catalogDoc(okMatter))
	f.Add(catalogDoc("  - &a { code: A, name: a, department: env, statutory_days: 1 }\n  - { <<: *a, code: B }\n"))
	f.Fuzz(func(t *testing.T, doc string) {
		c, err := Parse([]byte(doc))
		if err != nil {
			if c != nil {
				t.Fatal("catalogue returned with an error")
			}
			var errs monitor.FieldErrors
			if !errors.As(err, &errs) || len(errs) == 0 {
				t.Fatalf("error %v is not a non-empty monitor.FieldErrors", err)
			}
			return
		}
		if errs := c.Validate(); errs != nil {
			t.Fatalf("accepted an invalid catalogue: %v", errs)
		}
		for _, m := range c.Matters {
			if got, ok := c.Matter(m.Code); !ok || got.Code != m.Code {
				t.Fatalf("matter %q not indexed", m.Code)
			}
		}
	})
}
