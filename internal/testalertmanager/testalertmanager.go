// Package testalertmanager starts a real Prometheus Alertmanager for tests: Debian's
// prometheus-alertmanager (or an `alertmanager` on the PATH), on a free loopback port, with a
// configuration and a data folder of its own and clustering off.
//
// When no binary is installed the test is skipped, except under CI=true, where it fails:
// .ci/run installs the package, and CI must never pass by skipping.
package testalertmanager

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/duban-gov/duban/internal/syncbuf"
)

// config routes every alert to a receiver that notifies nobody: the tests read alerts back
// from the API.
const config = `route:
  receiver: nobody
  group_wait: 1h
receivers:
  - name: nobody
`

// Binary finds the Alertmanager binary; "" when none is installed.
func Binary() string {
	for _, name := range []string{"prometheus-alertmanager", "alertmanager"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// Start runs an Alertmanager until the test ends and returns its base URL
// ("http://127.0.0.1:port").
func Start(t testing.TB) string {
	t.Helper()
	bin := Binary()
	if bin == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("testalertmanager: no prometheus-alertmanager binary (apt-get install prometheus-alertmanager)" +
				" (CI=true: the Alertmanager tests must run)")
		}
		t.Skip("SKIPPED: prometheus-alertmanager not installed — " + t.Name() + " did not forward alerts to a " +
			"real Alertmanager; apt-get install prometheus-alertmanager or run .ci/run; under CI=true this fails")
	}
	dir := t.TempDir()
	cfg := filepath.Join(dir, "alertmanager.yml")
	if err := os.WriteFile(cfg, []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	for attempt := 0; ; attempt++ {
		addr := freePort(t)
		logs := &syncbuf.Buffer{}
		cmd := exec.Command(bin, "--config.file="+cfg, "--storage.path="+filepath.Join(dir, "data"),
			"--web.listen-address="+addr, "--cluster.listen-address=", "--log.level=warn")
		cmd.Stdout, cmd.Stderr = logs, logs
		if err := cmd.Start(); err != nil {
			t.Fatalf("testalertmanager: start %s: %v", bin, err)
		}
		exited := make(chan error, 1)
		go func() { exited <- cmd.Wait() }()
		base := "http://" + addr
		err := waitReady(base, exited)
		if err == nil {
			t.Cleanup(func() {
				_ = cmd.Process.Kill()
				<-exited
			})
			return base
		}
		_ = cmd.Process.Kill()
		<-exited
		if attempt == 2 { // the free port may have been taken in between: try another
			t.Fatalf("testalertmanager: %s did not become ready: %v\n%s", bin, err, logs.String())
		}
	}
}

func freePort(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// waitReady polls /-/ready for up to 30 s of real time.
func waitReady(base string, exited <-chan error) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/-/ready", nil)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case err := <-exited:
			return fmt.Errorf("exited: %v", err)
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// Alert is an alert as Alertmanager's GET /api/v2/alerts shows it (the fields tests read).
type Alert struct {
	Labels       map[string]string `json:"labels"`
	Annotations  map[string]string `json:"annotations"`
	StartsAt     time.Time         `json:"startsAt"`
	EndsAt       time.Time         `json:"endsAt"`
	GeneratorURL string            `json:"generatorURL"`
	Status       struct {
		State string `json:"state"`
	} `json:"status"`
}

// Alerts reads the alerts Alertmanager holds and has not seen end (its API leaves out
// alerts whose endsAt has passed).
func Alerts(t testing.TB, base string) []Alert {
	t.Helper()
	var out []Alert
	if err := json.Unmarshal(Raw(t, base), &out); err != nil {
		t.Fatalf("testalertmanager: GET alerts: %v", err)
	}
	return out
}

// Raw reads the answer of GET /api/v2/alerts as it is, every field of every alert, for
// tests that look for what must not be there.
func Raw(t testing.TB, base string) []byte {
	t.Helper()
	resp, err := http.Get(base + "/api/v2/alerts")
	if err != nil {
		t.Fatalf("testalertmanager: GET alerts: %v", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("testalertmanager: GET alerts: %d %v", resp.StatusCode, err)
	}
	return body
}
