package simulate

import (
	_ "embed"

	"github.com/duban-gov/duban/monitor"
	"github.com/duban-gov/duban/monitor/catalogfile"
)

// districtYAML is the sample district's catalogue, in the shape of a configured catalogue
// (docs/configuration.md, "The catalogue").
//
//go:embed district.yaml
var districtYAML []byte

// DistrictYAML returns the sample district's catalogue as YAML: nine departments and the
// matters they handle, with statutory and promised days and fee caps.
func DistrictYAML() []byte { return append([]byte(nil), districtYAML...) }

// District returns the sample district's catalogue, parsed. It is checked by the package's
// tests, so an error here is a build defect.
func District() (*monitor.Catalog, error) { return catalogfile.Parse(districtYAML) }
