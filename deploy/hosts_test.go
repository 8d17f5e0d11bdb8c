package deploy_test

import (
	"bufio"
	"bytes"
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/duban-gov/duban/internal/eventually"
)

// tool finds a command-line tool; without it the check is skipped, or fails under CI=true
// where .ci/run installs it.
func tool(t *testing.T, name string, ci bool) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err == nil {
		return p
	}
	if ci && os.Getenv("CI") == "true" {
		t.Fatalf("%s not found (CI=true)", name)
	}
	t.Skipf("SKIPPED: %s not installed — %s did not run; install it or run .ci/run", name, t.Name())
	return ""
}

func TestRedisConf(t *testing.T) {
	conf := redisConf(t)
	for k, want := range map[string]string{
		"appendonly": "yes", "appendfsync": "everysec", "maxmemory-policy": "noeviction", "protected-mode": "yes",
	} {
		if conf[k] != want {
			t.Errorf("%s %q, want %q", k, conf[k], want)
		}
	}
	if conf["maxmemory"] == "" || conf["requirepass"] == "" || conf["save"] == "" {
		t.Errorf("maxmemory, requirepass and save must be chosen explicitly: %v", conf)
	}
	// The appendfsync choice is explained where it is made.
	text := string(read(t, "redis/redis.conf"))
	i := strings.Index(text, "\nappendfsync ")
	if i < 0 || !strings.Contains(text[max(0, i-1500):i], "power") || !strings.Contains(text[max(0, i-1500):i], "always") {
		t.Error("redis.conf does not explain its appendfsync choice just above it")
	}

	// The real redis-server takes the file (the Redis 7 of .ci/run), with /data replaced by a
	// temporary folder and the port by a free one.
	bin := tool(t, "redis-server", true)
	cli := tool(t, "redis-cli", true)
	dir := t.TempDir()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
	l.Close()
	local := regexp.MustCompile(`(?m)^(dir|port|bind) .*$`).ReplaceAllString(text, "")
	local += "\ndir " + dir + "\nport " + port + "\nbind 127.0.0.1\n"
	path := filepath.Join(dir, "redis.conf")
	if err := os.WriteFile(path, []byte(local), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	srv := exec.CommandContext(ctx, bin, path)
	var log bytes.Buffer
	srv.Stdout, srv.Stderr = &log, &log
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { srv.Process.Kill(); srv.Wait() }()
	ask := func(args ...string) string {
		full := append([]string{"-p", port, "--no-auth-warning", "-a", conf["requirepass"]}, args...)
		out, _ := exec.CommandContext(ctx, cli, full...).CombinedOutput()
		return strings.TrimSpace(string(out))
	}
	eventually.Describing(t, 10*time.Second, func() string {
		return "redis-server to start with deploy/redis/redis.conf:\n" + log.String()
	}, func() bool { return ask("PING") == "PONG" })
	if got := ask("CONFIG", "GET", "appendonly"); got != "appendonly\nyes" {
		t.Errorf("CONFIG GET appendonly: %q", got)
	}
	if got := ask("CONFIG", "GET", "maxmemory-policy"); got != "maxmemory-policy\nnoeviction" {
		t.Errorf("CONFIG GET maxmemory-policy: %q", got)
	}
}

// unit reads a systemd unit as key → values (a key may repeat).
func unit(t *testing.T, path string) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	sc := bufio.NewScanner(bytes.NewReader(read(t, path)))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' || line[0] == '[' {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			t.Fatalf("%s: %q is not key=value", path, line)
		}
		out[k] = append(out[k], v)
	}
	return out
}

func TestSystemdUnit(t *testing.T) {
	u := unit(t, "systemd/duban.service")
	one := func(k string) string {
		if len(u[k]) != 1 {
			t.Errorf("%s: %v, want one value", k, u[k])
			return ""
		}
		return u[k][0]
	}
	if got := one("ExecStart"); got != "/usr/local/bin/duban serve --config "+configPath {
		t.Errorf("ExecStart=%s", got)
	}
	for k, want := range map[string]string{
		"Restart": "on-failure", "LimitNOFILE": "65536", "RestartPreventExitStatus": "2",
		"NoNewPrivileges": "yes", "ProtectSystem": "strict", "ProtectHome": "yes", "PrivateTmp": "yes",
		"PrivateDevices": "yes", "CapabilityBoundingSet": "", "MemoryDenyWriteExecute": "yes",
		"RestrictAddressFamilies": "AF_INET AF_INET6 AF_UNIX", "User": "duban", "KillSignal": "SIGTERM",
	} {
		if got := one(k); got != want {
			t.Errorf("%s=%s, want %s", k, got, want)
		}
	}
	// The drain takes up to 10 s: systemd must wait longer before SIGKILL.
	if d, err := time.ParseDuration(one("TimeoutStopSec")); err != nil || d <= 10*time.Second {
		t.Errorf("TimeoutStopSec=%s: must exceed the 10 s drain", one("TimeoutStopSec"))
	}
	// The EnvironmentFile shipped beside the unit names a Redis the service can parse.
	if one("EnvironmentFile") != "/etc/duban/duban.env" {
		t.Errorf("EnvironmentFile=%s", one("EnvironmentFile"))
	}
	env := unit(t, "systemd/duban.env")
	if len(env["DUBAN_REDIS_URL"]) != 1 {
		t.Fatalf("duban.env sets DUBAN_REDIS_URL %d times", len(env["DUBAN_REDIS_URL"]))
	}
	checkRedisURL(t, "duban.env", env["DUBAN_REDIS_URL"][0], "")

	// systemd's own check, with ExecStart pointed at an executable that exists here.
	sa := tool(t, "systemd-analyze", false)
	self, _ := os.Executable()
	text := strings.Replace(string(read(t, "systemd/duban.service")), "ExecStart=/usr/local/bin/duban", "ExecStart="+self, 1)
	path := filepath.Join(t.TempDir(), "duban.service")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(sa, "verify", path).CombinedOutput(); err != nil || len(bytes.TrimSpace(out)) > 0 {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
}

func TestDockerfile(t *testing.T) {
	text := string(read(t, "../Dockerfile"))
	var froms []string
	for _, line := range strings.Split(text, "\n") {
		if f, ok := strings.CutPrefix(line, "FROM "); ok {
			froms = append(froms, f)
		}
	}
	if len(froms) != 2 || !strings.Contains(froms[0], " AS build") || !strings.HasPrefix(froms[1], "gcr.io/distroless/static") {
		t.Errorf("want a build stage and a distroless static stage: %q", froms)
	}
	// The builder's Go is the one go.mod asks for.
	gomod := string(read(t, "../go.mod"))
	goVersion := regexp.MustCompile(`(?m)^go (\d+\.\d+)`).FindStringSubmatch(gomod)
	if goVersion == nil || !strings.HasPrefix(froms[0], "golang:"+goVersion[1]+"-") {
		t.Errorf("builder %q, go.mod wants go %v", froms[0], goVersion)
	}
	for _, want := range []string{
		"CGO_ENABLED=0",                   // static
		"USER " + strconv.Itoa(nonrootID), // non-root, the ids the pods run as
		"EXPOSE 8080",                     // the configuration's listen port
		"ENV DUBAN_CONFIG=" + configPath,
		"docker build -t " + image, // how to build the image the manifests name
		`ENTRYPOINT ["/usr/local/bin/duban"]`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("the Dockerfile lacks %q", want)
		}
	}
	cfg := loadConfig(t, map[string]string{"duban.yaml": string(read(t, "config/duban.yaml")),
		"catalog.yaml": string(read(t, "config/catalog.yaml"))}, "duban.yaml", nil)
	if listenPort(t, cfg) != "8080" {
		t.Errorf("the configuration listens on %s; the image exposes 8080", cfg.Listen)
	}
}
