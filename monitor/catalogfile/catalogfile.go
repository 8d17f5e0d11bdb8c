package catalogfile

import (
	"bytes"
	"errors"
	"io"

	"github.com/duban-gov/duban/monitor"
	"go.yaml.in/yaml/v3"
)

// Parse reads a catalogue in its YAML shape (docs/configuration.md, "The catalogue"),
// applies the defaults and validates it (monitor.Catalog.Validate). On any problem it returns a
// monitor.FieldErrors listing all of them, each naming the entry and the key:
//
//	matters[3] (ENV-EIA-001).promised_days: must not exceed statutory_days (20)
//
// (indexes count from 0; the code is shown once it is a valid ID). Where the contract is
// silent:
//   - Unknown keys are rejected at every level, as are keys given twice, so that a typo
//     cannot silently drop a limit.
//   - `statutory_days` is required (0 means 即办件); an absent `promised_days` equals
//     `statutory_days`; absent `warn_days`, `acceptance_days`, `delivery_days` and
//     `max_extension_days` take the Default* constants. A null value counts as absent.
//   - Day counts must be YAML integers (20, not "20" or 20.0).
//   - `fee_max_yuan` may be a YAML number or string holding a decimal of yuan with at most
//     two decimals (monitor.ParseAmountFen): `0`, `120.5`, `"120.00"`; absent or null means fees
//     of the matter are not monitored.
//   - Codes and names are read as written (`code: 0012` is "0012").
//   - Anchors, aliases and merge keys (`<<: *defaults`) work as in any YAML.
func Parse(data []byte) (*monitor.Catalog, error) {
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, monitor.FieldErrors{{Field: "", Message: "the catalogue is empty"}}
		}
		return nil, monitor.FieldErrors{{Field: "", Message: "not valid YAML: " + err.Error()}}
	}
	var more yaml.Node
	if err := dec.Decode(&more); !errors.Is(err, io.EOF) {
		return nil, monitor.FieldErrors{{Field: "", Message: "must be a single YAML document"}}
	}
	return ParseNode(&doc)
}

// ParseNode is Parse for a catalogue already parsed as YAML, such as one given
// inline in the configuration file (the `catalog:` key); error messages then carry the
// configuration file's line numbers.
func ParseNode(n *yaml.Node) (*monitor.Catalog, error) {
	p := &catalogParser{}
	depts, matters, ok := p.root(n)
	if !ok {
		return nil, p.errs
	}
	c := monitor.NewCatalog(depts, matters)
	errs := p.errs
	for _, e := range c.Validate() {
		if !p.covered(e.Field) {
			errs = append(errs, e)
		}
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return c, nil
}

// root reads the whole catalogue; ok is false when it is not even a mapping.
func (p *catalogParser) root(n *yaml.Node) (depts []monitor.Department, matters []monitor.Matter, ok bool) {
	if n != nil && n.Kind == yaml.DocumentNode {
		if len(n.Content) == 0 {
			p.fail("", nil, "the catalogue is empty")
			return nil, nil, false
		}
		n = n.Content[0]
	}
	pairs, ok := p.mapping("", n)
	if !ok {
		return nil, nil, false
	}
	for _, kv := range p.knownOnly("", pairs, []string{"departments", "matters"}) {
		switch kv.key {
		case "departments":
			for i, item := range p.sequence("departments", kv.v) {
				depts = append(depts, p.department(i, item))
			}
		case "matters":
			for i, item := range p.sequence("matters", kv.v) {
				matters = append(matters, p.matter(i, item))
			}
		}
	}
	return depts, matters, true
}

func (p *catalogParser) department(i int, n *yaml.Node) monitor.Department {
	path, code, pairs, _ := p.entry("departments", i, n, []string{"code", "name"})
	d := monitor.Department{Code: code}
	for _, kv := range pairs {
		if kv.key == "name" {
			d.Name = p.str(monitor.JoinPath(path, "name"), kv.v)
		}
	}
	return d
}

// matterKeys are the keys of a catalogue matter, in the contract's order.
var matterKeys = []string{"code", "name", "department", "statutory_days", "promised_days",
	"warn_days", "acceptance_days", "delivery_days", "max_extension_days", "fee_max_yuan",
	"max_suspension_days"}

func (p *catalogParser) matter(i int, n *yaml.Node) monitor.Matter {
	m := monitor.Matter{WarnDays: monitor.DefaultWarnDays, AcceptanceDays: monitor.DefaultAcceptanceDays,
		DeliveryDays: monitor.DefaultDeliveryDays, MaxExtensionDays: monitor.DefaultMaxExtensionDays}
	path, code, pairs, ok := p.entry("matters", i, n, matterKeys)
	if !ok {
		return m
	}
	m.Code = code
	statutory, statutoryOK, promised := false, false, false
	setDays := func(dst *int, key string, v *yaml.Node) bool {
		d, ok := p.days(monitor.JoinPath(path, key), v)
		if ok {
			*dst = d
		}
		return ok
	}
	for _, kv := range pairs {
		field := monitor.JoinPath(path, kv.key)
		switch kv.key {
		case "name":
			m.Name = p.str(field, kv.v)
		case "department":
			m.Department = p.str(field, kv.v)
		case "statutory_days":
			statutoryOK = setDays(&m.StatutoryDays, kv.key, kv.v)
			statutory = statutoryOK || !yamlIsNull(kv.v)
		case "promised_days":
			promised = setDays(&m.PromisedDays, kv.key, kv.v) || !yamlIsNull(kv.v)
		case "warn_days":
			setDays(&m.WarnDays, kv.key, kv.v)
		case "acceptance_days":
			setDays(&m.AcceptanceDays, kv.key, kv.v)
		case "delivery_days":
			setDays(&m.DeliveryDays, kv.key, kv.v)
		case "max_extension_days":
			setDays(&m.MaxExtensionDays, kv.key, kv.v)
		case "fee_max_yuan":
			m.FeeMaxFen = p.feeMax(field, kv.v)
		case "max_suspension_days":
			m.MaxSuspensionDays = p.suspensionCaps(field, kv.v)
		}
	}
	if !statutory {
		p.fail(monitor.JoinPath(path, "statutory_days"), nil, "is required (working days; 0 for 即办件)")
	}
	if !promised {
		// Absent: the department promised no less than the law allows.
		m.PromisedDays = m.StatutoryDays
	}
	if !promised || !statutoryOK {
		// promised_days is then only as wrong as statutory_days, which is reported.
		p.skip = append(p.skip, monitor.JoinPath(path, "promised_days"))
	}
	return m
}

func (p *catalogParser) feeMax(path string, n *yaml.Node) *int64 {
	if yamlIsNull(n) {
		return nil
	}
	if n.Kind != yaml.ScalarNode {
		p.fail(path, n, "must be a decimal amount of yuan")
		return nil
	}
	switch n.ShortTag() {
	case "!!int", "!!float", "!!str":
	default:
		p.fail(path, n, "must be a decimal amount of yuan")
		return nil
	}
	fen, err := monitor.ParseAmountFen(n.Value)
	if err != nil {
		p.fail(path, n, "%s", err.Error())
		return nil
	}
	return &fen
}

func (p *catalogParser) suspensionCaps(path string, n *yaml.Node) map[string]int {
	if yamlIsNull(n) {
		return nil
	}
	pairs, ok := p.mapping(path, n)
	if len(pairs) == 0 {
		if ok {
			return nil
		}
		p.skip = append(p.skip, path)
		return nil
	}
	caps := make(map[string]int, len(pairs))
	for _, kv := range pairs {
		if d, ok := p.days(monitor.JoinPath(path, kv.key), kv.v); ok {
			caps[kv.key] = d
		} else if yamlIsNull(kv.v) {
			p.fail(monitor.JoinPath(path, kv.key), kv.v, "must be a whole number of working days")
		}
	}
	return caps
}
