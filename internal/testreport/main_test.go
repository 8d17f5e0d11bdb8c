package main

import (
	"strings"
	"testing"
)

func TestReport(t *testing.T) {
	in := strings.Join([]string{
		`{"Action":"run","Package":"p","Test":"TestSkip"}`,
		`{"Action":"output","Package":"p","Test":"TestSkip","Output":"=== RUN   TestSkip\n"}`,
		`{"Action":"output","Package":"p","Test":"TestSkip","Output":"    x_test.go:9: SKIPPED: chromium not installed — the browser test did not run\n"}`,
		`{"Action":"output","Package":"p","Test":"TestSkip","Output":"--- SKIP: TestSkip (0.00s)\n"}`,
		`{"Action":"skip","Package":"p","Test":"TestSkip"}`,
		`{"Action":"run","Package":"p","Test":"TestBad"}`,
		`{"Action":"output","Package":"p","Test":"TestBad","Output":"    x_test.go:12: want 2, got 3\n"}`,
		`{"Action":"fail","Package":"p","Test":"TestBad"}`,
		`{"Action":"run","Package":"p","Test":"TestHangs"}`,
		`{"Action":"output","Package":"p","Test":"TestHangs","Output":"panic: test timed out after 30m0s\n\tTestHangs (30m0s)\n"}`,
		`{"Action":"fail","Package":"p","Elapsed":1.5}`,
		`{"Action":"pass","Package":"q","Elapsed":0.25}`,
		`{"ImportPath":"r","Action":"build-output","Output":"# r\nr/x.go:3:1: syntax error\n"}`,
		`{"ImportPath":"r","Action":"build-fail"}`,
	}, "\n")
	var out strings.Builder
	if code := report(strings.NewReader(in), &out); code != 1 {
		t.Errorf("exit code %d, want 1 after a failure", code)
	}
	got := out.String()
	if strings.Contains(got, "DID NOT FINISH: TestBad") || strings.Contains(got, "DID NOT FINISH: TestSkip") {
		t.Errorf("a test that ended is reported as not finished:\n%s", got)
	}
	for _, want := range []string{
		"--- FAIL: TestBad (p)\n    x_test.go:12: want 2, got 3\n",
		"FAIL\tp\t1.500s\n",
		"--- DID NOT FINISH: TestHangs (p)\npanic: test timed out after 30m0s\n",
		"ok  \tq\t0.250s\n",
		"1 tests SKIPPED",
		"p TestSkip: x_test.go:9: SKIPPED: chromium not installed — the browser test did not run",
		"r/x.go:3:1: syntax error",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("report lacks %q:\n%s", want, got)
		}
	}
	out.Reset()
	if code := report(strings.NewReader(`{"Action":"pass","Package":"q","Elapsed":0.25}`), &out); code != 0 {
		t.Errorf("exit code %d for a pass", code)
	}
}
