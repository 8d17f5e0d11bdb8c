package monitor

// Department is an approving agency, known by a short code (`env`, `transport`).
type Department struct {
	Code string `json:"department" yaml:"code"`
	Name string `json:"name" yaml:"name"`
}

// Default time limits of a matter, in working days (行政许可法 Art. 32, 42, 44; docs/rules.md).
const (
	DefaultWarnDays         = 2
	DefaultAcceptanceDays   = 5
	DefaultDeliveryDays     = 10
	DefaultMaxExtensionDays = 10
)

// Matter is a catalogued kind of approval (事项) with its time limits. All limits are in
// working days; the Default* constants fill the ones a catalogue leaves out.
type Matter struct {
	Code             string `json:"code"`
	Name             string `json:"name"`
	Department       string `json:"department"`
	StatutoryDays    int    `json:"statutory_days"`
	PromisedDays     int    `json:"promised_days"`
	WarnDays         int    `json:"warn_days"`
	AcceptanceDays   int    `json:"acceptance_days"`
	DeliveryDays     int    `json:"delivery_days"`
	MaxExtensionDays int    `json:"max_extension_days"`
	// FeeMaxFen is the most the matter may charge, in fen (1/100 yuan); nil means fees are
	// not monitored, 0 that the matter is free of charge.
	FeeMaxFen *int64 `json:"fee_max_fen,omitempty"`
	// MaxSuspensionDays caps, per suspension reason, how many working days suspensions of
	// that reason may remove from the decision clock over the whole case. Absent: no cap.
	MaxSuspensionDays map[string]int `json:"max_suspension_days,omitempty"`
}

// Catalog is the loaded catalogue: the departments and the matters they handle. It is
// immutable once built by catalogfile.Parse or NewCatalog.
type Catalog struct {
	Departments []Department
	Matters     []Matter

	deptIndex   map[string]int
	matterIndex map[string]int
}

// NewCatalog indexes already-validated departments and matters.
func NewCatalog(depts []Department, matters []Matter) *Catalog {
	c := &Catalog{Departments: depts, Matters: matters,
		deptIndex: make(map[string]int, len(depts)), matterIndex: make(map[string]int, len(matters))}
	for i, d := range depts {
		c.deptIndex[d.Code] = i
	}
	for i, m := range matters {
		c.matterIndex[m.Code] = i
	}
	return c
}

// Department returns the department with the given code.
func (c *Catalog) Department(code string) (*Department, bool) {
	i, ok := c.deptIndex[code]
	if !ok {
		return nil, false
	}
	return &c.Departments[i], true
}

// Matter returns the matter with the given code.
func (c *Catalog) Matter(code string) (*Matter, bool) {
	i, ok := c.matterIndex[code]
	if !ok {
		return nil, false
	}
	return &c.Matters[i], true
}

// NewMatter returns a matter with the given limits and the Default* values for the others,
// as catalogfile.Parse would build it from a catalogue entry that sets only these keys. For tests
// and for building catalogues in code with NewCatalog.
func NewMatter(code, name, department string, statutoryDays, promisedDays int) Matter {
	return Matter{
		Code: code, Name: name, Department: department,
		StatutoryDays: statutoryDays, PromisedDays: promisedDays,
		WarnDays: DefaultWarnDays, AcceptanceDays: DefaultAcceptanceDays,
		DeliveryDays: DefaultDeliveryDays, MaxExtensionDays: DefaultMaxExtensionDays,
	}
}
