package docs

import (
	"os"
	"strings"
	"testing"
)

// TestReadmeListsEveryDoc: every document in docs/ (and the screenshots) is listed in the
// README, so a newcomer finds it.
func TestReadmeListsEveryDoc(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	listed := 0
	for _, e := range entries {
		name := e.Name()
		if strings.HasSuffix(name, ".go") {
			continue
		}
		if e.IsDir() {
			name += "/"
		}
		if !strings.Contains(string(readme), "(docs/"+name+")") {
			t.Errorf("README.md does not link docs/%s", name)
		}
		listed++
	}
	if listed < 10 {
		t.Errorf("only %d documents found in docs/", listed)
	}
}
