package deploy_test

import (
	"io/fs"
	"net"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/duban-gov/duban/internal/metrics/metricstest"
)

const composeFile = "compose/docker-compose.yml"

// mount is one bind mount of a compose service: a path in the repository (relative to the
// compose file) and where the container sees it.
type mount struct{ source, target string }

func mounts(t *testing.T, svc any) []mount {
	t.Helper()
	var out []mount
	for _, v := range at(t, svc, "volumes").([]any) {
		parts := strings.Split(v.(string), ":")
		if !strings.HasPrefix(parts[0], ".") {
			continue // a named volume
		}
		out = append(out, mount{source: filepath.Join("compose", parts[0]), target: parts[1]})
	}
	return out
}

// materialize copies a service's bind mounts into a fresh folder laid out as the container
// sees them, so the files can be checked where they will be, relative paths and all. Every
// source must exist.
func materialize(t *testing.T, svc any) string {
	t.Helper()
	root := t.TempDir()
	for _, m := range mounts(t, svc) {
		dst := filepath.Join(root, filepath.FromSlash(m.target))
		err := filepath.WalkDir(m.source, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(m.source, p)
			to := filepath.Join(dst, rel)
			if d.IsDir() {
				return os.MkdirAll(to, 0o755)
			}
			if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
				return err
			}
			return os.WriteFile(to, read(t, p), 0o644)
		})
		if err != nil {
			t.Fatalf("mount %s → %s: %v", m.source, m.target, err)
		}
	}
	return root
}

func environment(t *testing.T, svc any) map[string]string {
	t.Helper()
	env := map[string]string{}
	if e, ok := svc.(map[string]any)["environment"]; ok {
		for k, v := range e.(map[string]any) {
			env[k] = v.(string)
		}
	}
	return env
}

func TestCompose(t *testing.T) {
	doc := yamlDoc(t, composeFile)
	services := at(t, doc, "services").(map[string]any)
	for _, name := range []string{"redis", "duban", "prometheus", "grafana"} {
		if services[name] == nil {
			t.Fatalf("no service %s", name)
		}
		mounts(t, services[name]) // every service mounts its files from the repository
	}
	conf := redisConf(t)

	t.Run("duban", func(t *testing.T) {
		d := services["duban"]
		if got := str(t, d, "image"); got != image {
			t.Errorf("image %s, want %s", got, image)
		}
		if _, err := os.Stat(filepath.Join("compose", str(t, d, "build", "context"), str(t, d, "build", "dockerfile"))); err != nil {
			t.Errorf("build: %v", err)
		}
		env := environment(t, d)
		if env["DUBAN_CONFIG"] != configPath {
			t.Errorf("DUBAN_CONFIG %q, want %s", env["DUBAN_CONFIG"], configPath)
		}
		root := materialize(t, d)
		files := map[string]string{}
		filepath.WalkDir(root, func(p string, e fs.DirEntry, err error) error {
			if err == nil && !e.IsDir() {
				rel, _ := filepath.Rel(root, p)
				files[filepath.ToSlash(rel)] = string(read(t, p))
			}
			return nil
		})
		cfg := loadConfig(t, files, strings.TrimPrefix(configPath, "/"), env)
		checkRedisURL(t, "compose's DUBAN_REDIS_URL", env["DUBAN_REDIS_URL"], "redis")
		port := at(t, d, "ports", 0).(string)
		if _, container, _ := strings.Cut(port, ":"); container != listenPort(t, cfg) {
			t.Errorf("published port %s, the configuration listens on %s", port, cfg.Listen)
		}
	})

	t.Run("redis", func(t *testing.T) {
		r := services["redis"]
		cmd := at(t, r, "command").([]any)
		var confTarget string
		for _, m := range mounts(t, r) {
			if filepath.ToSlash(m.source) == "redis/redis.conf" {
				confTarget = m.target
			}
		}
		if confTarget == "" || len(cmd) < 2 || cmd[1] != confTarget {
			t.Errorf("redis-server does not run with deploy/redis/redis.conf: command %v, mounted at %q", cmd, confTarget)
		}
		hc := anyStrings(at(t, r, "healthcheck", "test"))
		if i := slices.Index(hc, "-a"); i < 0 || i+1 >= len(hc) || hc[i+1] != conf["requirepass"] {
			t.Errorf("the health check %q does not use redis.conf's password", hc)
		}
	})

	t.Run("prometheus", func(t *testing.T) {
		p := services["prometheus"]
		root := materialize(t, p)
		cfgFile := filepath.Join(root, "etc/prometheus/prometheus.yml")
		// The same configuration as deploy/prometheus/prometheus.yml but for the target,
		// which is the duban service on its listen port.
		own, shared := yamlDoc(t, cfgFile), yamlDoc(t, "prometheus/prometheus.yml")
		targets := at(t, own, "scrape_configs", 0, "static_configs", 0, "targets").([]any)
		if len(targets) != 1 || targets[0] != "duban:8080" {
			t.Errorf("compose scrapes %v, want duban:8080", targets)
		}
		at(t, shared, "scrape_configs", 0, "static_configs", 0).(map[string]any)["targets"] = targets
		if !reflect.DeepEqual(own, shared) {
			t.Error("compose/prometheus.yml differs from prometheus/prometheus.yml in more than the target")
		}
		rules, _ := filepath.Glob(filepath.Join(root, "etc/prometheus/rules/*.rules.yml"))
		if len(rules) == 0 {
			t.Error("no rules where prometheus.yml's rule_files look")
		}
		// promtool checks the configuration and the rules it loads, as the container has them.
		if out := metricstest.RunPromtool(t, nil, "check", "config", cfgFile); !strings.Contains(out, "rules found") {
			t.Errorf("promtool check config loaded no rules:\n%s", out)
		}
	})

	t.Run("grafana", func(t *testing.T) {
		g := services["grafana"]
		root := materialize(t, g)
		prov := filepath.Join(root, "etc/grafana/provisioning")
		ds := yamlDoc(t, filepath.Join(prov, "datasources/prometheus.yml"))
		u, err := url.Parse(str(t, ds, "datasources", 0, "url"))
		if err != nil {
			t.Fatal(err)
		}
		host, port, _ := net.SplitHostPort(u.Host)
		if services[host] == nil || port != "9090" {
			t.Errorf("the data source %s is not the compose Prometheus (service prometheus, port 9090)", u)
		}
		dash := yamlDoc(t, filepath.Join(prov, "dashboards/duban.yml"))
		dir := filepath.Join(root, filepath.FromSlash(str(t, dash, "providers", 0, "options", "path")))
		got, _ := filepath.Glob(filepath.Join(dir, "*.json"))
		if len(got) != 1 || string(read(t, got[0])) != string(read(t, "../dashboards/grafana/duban.json")) {
			t.Errorf("the dashboard provider's folder %s holds %v, want dashboards/grafana/duban.json", path.Clean(str(t, dash, "providers", 0, "options", "path")), got)
		}
	})
}

func anyStrings(v any) []string {
	var out []string
	for _, x := range v.([]any) {
		out = append(out, x.(string))
	}
	return out
}
