package config

import (
	"os"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// docPath is the configuration reference, relative to this package.
const docPath = "../../docs/configuration.md"

// fileKeys lists every key the loader accepts, in dotted form with [] for list entries
// (`auth.tokens[].role`), by walking the YAML tags of the file's shape — the same walk that
// refuses unknown keys, so a key added to fileConfig shows up here.
func fileKeys(t reflect.Type, prefix string) []string {
	var keys []string
	for i := range t.NumField() {
		f := t.Field(i)
		name := f.Tag.Get("yaml")
		if name == "" || name == "-" {
			continue
		}
		key := join(prefix, name)
		keys = append(keys, key)
		ft := f.Type
		if ft == nodeType {
			continue // the catalogue: its keys are documented under "The catalogue"
		}
		switch {
		case ft.Kind() == reflect.Struct:
			keys = append(keys, fileKeys(ft, key)...)
		case ft.Kind() == reflect.Slice && ft.Elem().Kind() == reflect.Struct:
			keys = append(keys, fileKeys(ft.Elem(), key+"[]")...)
		}
	}
	return keys
}

// documentedKeys are the keys of the reference table: rows whose first cell is a key in
// backquotes.
func documentedKeys(t *testing.T, doc string) []string {
	t.Helper()
	_, table, ok := strings.Cut(doc, "\n## Keys\n")
	if !ok {
		t.Fatalf("%s has no \"## Keys\" section", docPath)
	}
	table, _, _ = strings.Cut(table, "\n### ")
	row := regexp.MustCompile("(?m)^\\| `([^`]+)` \\|")
	var keys []string
	for _, m := range row.FindAllStringSubmatch(table, -1) {
		keys = append(keys, m[1])
	}
	return keys
}

// TestConfigurationDocListsEveryKey keeps docs/configuration.md in step with the loader:
// every key the loader accepts has a row in its reference table and every row names a key
// the loader accepts; every environment variable the loader reads is described.
func TestConfigurationDocListsEveryKey(t *testing.T) {
	raw, err := os.ReadFile(docPath)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(raw)
	accepted := fileKeys(reflect.TypeFor[fileConfig](), "")
	if len(accepted) < 30 {
		t.Fatalf("walked only %d keys of fileConfig: %v", len(accepted), accepted)
	}
	documented := documentedKeys(t, doc)
	for _, k := range accepted {
		if !slices.Contains(documented, k) {
			t.Errorf("the loader accepts %q, but %s has no row for it in \"## Keys\"", k, docPath)
		}
	}
	for _, k := range documented {
		if !slices.Contains(accepted, k) {
			t.Errorf("%s documents %q, which the loader does not accept", docPath, k)
		}
	}

	// The environment variables: every one the loader asks for, with every override set so
	// that each branch that reads one runs.
	asked := map[string]bool{}
	if _, err := Load("", func(k string) string { asked[k] = true; return "" }); err != nil {
		t.Fatal(err)
	}
	if len(asked) < 5 {
		t.Fatalf("the loader read only %v", asked)
	}
	for k := range asked {
		if !strings.Contains(doc, "| `"+k+"` |") {
			t.Errorf("the loader reads %s, but %s has no row for it under \"Environment variables\"", k, docPath)
		}
	}
}
