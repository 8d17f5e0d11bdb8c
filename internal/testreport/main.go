// Command testreport reads `go test -json` on standard input and prints what a person needs:
// one line per package as `go test` does, the whole output of every failed test, and at the
// end every skipped test with its reason — so that a test that could not run (no Chromium,
// no promtool, no Alertmanager, no Redis) is seen, not lost in -v output. It exits 1 when
// anything failed. `make test` pipes the tests through it.
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
)

// event is one line of `go test -json` (test2json).
type event struct {
	Action     string
	Package    string
	ImportPath string // build-output, build-fail: the package being built
	Test       string
	Elapsed    float64
	Output     string
}

type key struct{ pkg, test string }

func main() {
	os.Exit(report(os.Stdin, os.Stdout))
}

func report(in io.Reader, out io.Writer) int {
	outputs := map[key]*strings.Builder{}
	var skipped []key
	running := map[key]bool{} // tests started and not yet ended: a hang or a crash names them
	failed := false
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		var e event
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			fmt.Fprintln(out, sc.Text()) // not test2json: a build error, say
			continue
		}
		k := key{e.Package, e.Test}
		switch e.Action {
		case "build-output":
			fmt.Fprint(out, e.Output) // the compiler's message: shown as go test shows it
			continue
		case "build-fail":
			failed = true
			continue
		case "output":
			b := outputs[k]
			if b == nil {
				b = &strings.Builder{}
				outputs[k] = b
			}
			b.WriteString(e.Output)
		case "run":
			running[k] = true
		case "skip":
			if e.Test != "" {
				skipped = append(skipped, k)
			}
		case "fail":
			failed = true
			if e.Test != "" {
				fmt.Fprintf(out, "--- FAIL: %s (%s)\n%s", e.Test, e.Package, text(outputs[k]))
			} else {
				// A package that timed out or crashed ends without ending its running tests:
				// their output (the panic's goroutines among it) says where they stood.
				var stuck []key
				for r := range running {
					if r.pkg == e.Package {
						stuck = append(stuck, r)
					}
				}
				sort.Slice(stuck, func(i, j int) bool { return stuck[i].test < stuck[j].test })
				for _, r := range stuck {
					fmt.Fprintf(out, "--- DID NOT FINISH: %s (%s)\n%s", r.test, r.pkg, text(outputs[r]))
					delete(running, r)
				}
				fmt.Fprintf(out, "%sFAIL\t%s\t%.3fs\n", text(outputs[k]), e.Package, e.Elapsed)
			}
		case "pass":
			if e.Test == "" {
				fmt.Fprintf(out, "ok  \t%s\t%.3fs\n", e.Package, e.Elapsed)
			}
		}
		if e.Action == "pass" || e.Action == "fail" || e.Action == "skip" {
			delete(running, k)
		}
		if e.Action != "output" && e.Action != "run" && e.Action != "pause" && e.Action != "cont" && e.Action != "skip" {
			delete(outputs, k)
		}
	}
	if len(skipped) > 0 {
		sort.Slice(skipped, func(i, j int) bool {
			return skipped[i].pkg+skipped[i].test < skipped[j].pkg+skipped[j].test
		})
		fmt.Fprintf(out, "\n%d tests SKIPPED (they did not run; install what they name, or run .ci/run):\n", len(skipped))
		for _, k := range skipped {
			fmt.Fprintf(out, "  %s %s: %s\n", k.pkg, k.test, reason(outputs[k]))
		}
	}
	if failed {
		return 1
	}
	return 0
}

func text(b *strings.Builder) string {
	if b == nil {
		return ""
	}
	return b.String()
}

// reason is the skip message out of a skipped test's output: its last non-framework line.
func reason(b *strings.Builder) string {
	lines := strings.Split(strings.TrimSpace(text(b)), "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		l := strings.TrimSpace(lines[i])
		if l != "" && !strings.HasPrefix(l, "=== ") && !strings.HasPrefix(l, "--- SKIP") {
			return l
		}
	}
	return "(no reason given)"
}
