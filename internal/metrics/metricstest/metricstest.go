// Package metricstest helps tests check what refers to the service's metrics — the Grafana
// dashboard, the Prometheus rules — against what package metrics exports, and run promtool.
package metricstest

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/duban-gov/duban/internal/metrics"
)

// Promtool returns the path of promtool (Debian's prometheus package installs it; .ci/run
// does so). Without it the test fails under CI=true and is skipped otherwise.
func Promtool(tb testing.TB) string {
	tb.Helper()
	path, err := exec.LookPath("promtool")
	if err == nil {
		return path
	}
	if os.Getenv("CI") == "true" {
		tb.Fatalf("promtool not found (CI=true): install Debian's prometheus package, as .ci/run does")
	}
	tb.Skip("SKIPPED: promtool not installed — " + tb.Name() + " did not check the metrics, rules or " +
		"dashboards with promtool; apt-get install prometheus (it ships promtool) or run .ci/run; " +
		"under CI=true this fails")
	return ""
}

// RunPromtool runs promtool with args, stdin fed from stdin when it is not nil, and returns
// its combined output; a non-zero exit fails tb with that output.
func RunPromtool(tb testing.TB, stdin []byte, args ...string) string {
	tb.Helper()
	cmd := exec.CommandContext(tb.Context(), Promtool(tb), args...)
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		tb.Fatalf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// Referenced returns the metric names starting with duban_ that a PromQL expression names,
// each once, in order of first appearance. It is a tokenizer, not a parser: identifiers in
// string literals and # comments are skipped; everything else that looks like an
// identifier is considered (label names and function names never start with duban_).
func Referenced(expr string) []string {
	var names []string
	for i := 0; i < len(expr); {
		switch ch := expr[i]; {
		case ch == '"' || ch == '\'' || ch == '`':
			i = skipString(expr, i)
		case ch == '#':
			for i < len(expr) && expr[i] != '\n' {
				i++
			}
		case isIdentStart(ch):
			j := i + 1
			for j < len(expr) && (isIdentStart(expr[j]) || isDigit(expr[j])) {
				j++
			}
			if id := expr[i:j]; strings.HasPrefix(id, "duban_") && !slices.Contains(names, id) {
				names = append(names, id)
			}
			i = j
		case isDigit(ch):
			// A number or a duration (5m, 1e3): its letters are not an identifier.
			for i < len(expr) && (isIdentStart(expr[i]) || isDigit(expr[i]) || expr[i] == '.') {
				i++
			}
		default:
			i++
		}
	}
	return names
}

// skipString returns the index just past the string literal opening at expr[i].
func skipString(expr string, i int) int {
	quote := expr[i]
	for i++; i < len(expr); i++ {
		switch {
		case expr[i] == '\\' && quote != '`':
			i++
		case expr[i] == quote:
			return i + 1
		}
	}
	return i
}

func isIdentStart(c byte) bool {
	return c == '_' || c == ':' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// Unknown returns the names Referenced(expr) finds that the service does not export:
// neither one of metrics.Names() or metrics.DeliveryNames() nor the _bucket, _sum or _count
// series of one of metrics.New's histograms.
func Unknown(expr string) []string {
	known := exported()
	var bad []string
	for _, n := range Referenced(expr) {
		if !known[n] {
			bad = append(bad, n)
		}
	}
	return bad
}

var (
	exportedOnce sync.Once
	exportedSet  map[string]bool
)

// exported is every series name the service exports: metrics.New's families and the
// delivery families alerts/webhook and alerts/alertmanager register on the same registry.
// Which of New's families are histograms is read off a fresh registry rather than assumed;
// the delivery families are counters and a gauge (metrics.DeliveryNames), so they have no
// suffixed series.
func exported() map[string]bool {
	exportedOnce.Do(func() {
		exportedSet = map[string]bool{}
		for _, n := range append(metrics.Names(), metrics.DeliveryNames()...) {
			exportedSet[n] = true
		}
		reg := prometheus.NewRegistry()
		_, err := metrics.New(reg, metrics.Options{Shared: func(context.Context) (metrics.Shared, error) {
			return metrics.Shared{}, nil
		}})
		if err != nil {
			panic("metricstest: " + err.Error())
		}
		mfs, err := reg.Gather()
		if err != nil {
			panic("metricstest: " + err.Error())
		}
		for _, mf := range mfs {
			if mf.GetType().String() == "HISTOGRAM" {
				for _, suffix := range []string{"_bucket", "_sum", "_count"} {
					exportedSet[mf.GetName()+suffix] = true
				}
			}
		}
	})
	return exportedSet
}
