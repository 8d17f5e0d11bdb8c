package deploy_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/duban-gov/duban/internal/config"
)

// The references every deployment shares; each test checks its files against them.
const (
	image      = "ghcr.io/duban-gov/duban:0.1.0"
	configPath = "/etc/duban/duban.yaml" // DUBAN_CONFIG in the image, the unit and the pods
	nonrootID  = 65532                   // distroless "nonroot"
)

// TestEveryFileParses: every YAML and JSON file under deploy/ and dashboards/grafana is
// well-formed (YAML files may hold several documents).
func TestEveryFileParses(t *testing.T) {
	n := 0
	for _, root := range []string{".", "../dashboards/grafana"} {
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			switch filepath.Ext(path) {
			case ".yml", ".yaml":
				yamlDocs(t, path)
			case ".json":
				var v any
				if err := json.Unmarshal(read(t, path), &v); err != nil {
					t.Errorf("%s: %v", path, err)
				}
			default:
				return nil
			}
			n++
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if n < 15 {
		t.Errorf("only %d YAML and JSON files found", n)
	}
}

func read(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// yamlDocs decodes every document of a YAML file.
func yamlDocs(t testing.TB, path string) []map[string]any {
	t.Helper()
	dec := yaml.NewDecoder(bytes.NewReader(read(t, path)))
	var docs []map[string]any
	for {
		var m map[string]any
		err := dec.Decode(&m)
		if errors.Is(err, io.EOF) {
			return docs
		}
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if m != nil {
			docs = append(docs, m)
		}
	}
}

func yamlDoc(t testing.TB, path string) map[string]any {
	t.Helper()
	docs := yamlDocs(t, path)
	if len(docs) != 1 {
		t.Fatalf("%s: %d documents, want 1", path, len(docs))
	}
	return docs[0]
}

// at walks a decoded YAML tree by map keys and list indexes ("spec", "ports", 0, "name"),
// failing the test when the path is not there.
func at(t testing.TB, v any, path ...any) any {
	t.Helper()
	for i, p := range path {
		switch k := p.(type) {
		case string:
			m, ok := v.(map[string]any)
			if !ok {
				t.Fatalf("%v: not a mapping at %v", path, path[:i])
			}
			if v, ok = m[k]; !ok {
				t.Fatalf("%v: no key %q", path, k)
			}
		case int:
			l, ok := v.([]any)
			if !ok || k >= len(l) {
				t.Fatalf("%v: no item %d", path, k)
			}
			v = l[k]
		}
	}
	return v
}

func str(t testing.TB, v any, path ...any) string {
	t.Helper()
	s, ok := at(t, v, path...).(string)
	if !ok {
		t.Fatalf("%v: not a string", path)
	}
	return s
}

// subset reports whether every label of sel is in labels.
func subset(sel, labels any) bool {
	s, _ := sel.(map[string]any)
	l, _ := labels.(map[string]any)
	for k, v := range s {
		if l[k] != v {
			return false
		}
	}
	return len(s) > 0
}

// loadConfig writes files (name → content) into a fresh folder and loads name with
// internal/config, as the service would: unknown keys and bad values fail the test.
func loadConfig(t testing.TB, files map[string]string, name string, env map[string]string) *config.Config {
	t.Helper()
	dir := t.TempDir()
	for n, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(n))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cfg, err := config.Load(filepath.Join(dir, filepath.FromSlash(name)), func(k string) string { return env[k] })
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if cfg.Catalog == nil || len(cfg.Catalog.Matters) == 0 {
		t.Fatalf("%s: no catalogue: the service would never be ready", name)
	}
	return cfg
}

// listenPort is the port of a configuration's listen address.
func listenPort(t testing.TB, cfg *config.Config) string {
	t.Helper()
	_, port, err := net.SplitHostPort(cfg.Listen)
	if err != nil {
		t.Fatal(err)
	}
	return port
}

// redisConf reads deploy/redis/redis.conf as directive → arguments (the last one wins, as
// in Redis).
func redisConf(t testing.TB) map[string]string {
	t.Helper()
	out := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(read(t, "redis/redis.conf")))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, _ := strings.Cut(line, " ")
		out[strings.ToLower(k)] = strings.TrimSpace(v)
	}
	return out
}

// checkRedisURL: a DUBAN_REDIS_URL parses as the service parses it and carries
// redis.conf's password and port.
func checkRedisURL(t testing.TB, where, raw string, wantHost string) {
	t.Helper()
	r, err := config.ParseRedisURL(raw)
	if err != nil {
		t.Fatalf("%s: DUBAN_REDIS_URL %q: %v", where, raw, err)
	}
	conf := redisConf(t)
	if r.Password != conf["requirepass"] {
		t.Errorf("%s: the Redis password is not redis.conf's requirepass", where)
	}
	host, port, _ := net.SplitHostPort(r.Addrs[0])
	if port != conf["port"] || wantHost != "" && host != wantHost {
		t.Errorf("%s: Redis at %s, want %s:%s", where, r.Addrs[0], wantHost, conf["port"])
	}
}
