// Package docs carries the project's machine-readable reference: the OpenAPI description of
// the HTTP API (openapi.yaml), embedded so that tests and tools read the very file that is
// published, wherever they run. The prose documents beside it are for people.
package docs

import _ "embed"

// OpenAPI is docs/openapi.yaml: the OpenAPI 3.1 description of duban's HTTP API.
//
//go:embed openapi.yaml
var OpenAPI []byte
