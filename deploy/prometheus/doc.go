// Package prometheus holds the Prometheus configuration for duban: prometheus.yml (the
// scrape config), rules/duban.rules.yml (the alerting rules) and, in testdata, their
// promtool unit tests. It has no code; its tests check the files with promtool and against
// the metrics internal/metrics exports. See docs/metrics.md.
package prometheus
