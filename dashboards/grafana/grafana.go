// Package grafana holds the Grafana dashboard for duban's Prometheus metrics, duban.json,
// and the provisioning files (provisioning/) that load it with its data source. See
// docs/metrics.md for how to provision them. The tests check that every PromQL expression
// of the dashboard parses (promtool) and names only metrics that internal/metrics exports.
package grafana

import _ "embed"

// Dashboard is duban.json, the provisionable dashboard (uid duban-overview), for a service
// or tool that wants to hand it out.
//
//go:embed duban.json
var Dashboard []byte
