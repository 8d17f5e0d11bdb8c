package docs

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

const module = "github.com/duban-gov/duban"

// packages lists the project's packages with the project packages each imports (tests'
// imports left out: a test may reach anywhere).
func packages(t *testing.T) map[string][]string {
	t.Helper()
	goBin := filepath.Join(runtime.GOROOT(), "bin", "go")
	cmd := exec.Command(goBin, "list", "-f", "{{.ImportPath}}{{range .Imports}} {{.}}{{end}}", module+"/...")
	cmd.Dir = ".."
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	pkgs := map[string][]string{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		name := strings.TrimPrefix(strings.TrimPrefix(f[0], module), "/")
		var deps []string
		for _, d := range f[1:] {
			if d == module || strings.HasPrefix(d, module+"/") {
				deps = append(deps, strings.TrimPrefix(strings.TrimPrefix(d, module), "/"))
			}
		}
		pkgs[name] = deps
	}
	return pkgs
}

func under(pkg string, roots ...string) bool {
	for _, r := range roots {
		if pkg == r || strings.HasPrefix(pkg, r+"/") {
			return true
		}
	}
	return false
}

// TestLayers checks that imports point one way (docs/architecture.md, "Where things live").
func TestLayers(t *testing.T) {
	pkgs := packages(t)
	if len(pkgs) < 30 {
		t.Fatalf("only %d packages listed", len(pkgs))
	}
	for pkg, deps := range pkgs {
		for _, d := range deps {
			switch {
			// The domain: only itself.
			case under(pkg, "monitor", "supervision") && !under(d, "monitor", "supervision"):
				t.Errorf("domain package %s imports %s", pkg, d)
			// Storage: the domain and the apply path's codec.
			case pkg == "rdb" && !under(d, "monitor", "supervision", "internal/codec"):
				t.Errorf("rdb imports %s", d)
			// The loops: storage, the domain, the codec.
			case under(pkg, "engine", "schedule") && !under(d, "monitor", "supervision", "rdb", "internal/codec",
				"internal/loop", "internal/wake", "internal/lease"):
				t.Errorf("%s imports %s", pkg, d)
			// Nothing but the program and the tests' helpers imports the wiring.
			case under(d, "service", "demo") && !under(pkg, "cmd", "demo", "service", "e2e", "benchmark"):
				t.Errorf("%s imports the wiring package %s", pkg, d)
			case under(d, "cmd", "e2e"):
				t.Errorf("%s imports %s", pkg, d)
			case d == "internal/cli" && !under(pkg, "cmd", "service/servicetest"):
				t.Errorf("%s imports internal/cli", pkg)
			}
		}
	}
}

// TestArchitectureNamesEveryPackage: a newcomer finds every package in docs/architecture.md.
func TestArchitectureNamesEveryPackage(t *testing.T) {
	doc, err := os.ReadFile("architecture.md")
	if err != nil {
		t.Fatal(err)
	}
	for pkg := range packages(t) {
		if pkg != "" && !strings.Contains(string(doc), "`"+pkg+"`") {
			t.Errorf("docs/architecture.md does not name package %s", pkg)
		}
	}
}

// TestCommandIsDispatchOnly: cmd/duban holds the subcommands, flags, configuration and
// signals, not the work: at most 500 lines of non-test code.
func TestCommandIsDispatchOnly(t *testing.T) {
	files, err := filepath.Glob("../cmd/duban/*.go")
	if err != nil {
		t.Fatal(err)
	}
	lines := 0
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		lines += bytes.Count(b, []byte("\n"))
	}
	if lines == 0 || lines > 500 {
		t.Errorf("cmd/duban has %d lines of non-test code, want 1–500", lines)
	}
}
