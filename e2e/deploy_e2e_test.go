package e2e_test

import (
	"os"
	"path/filepath"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/duban-gov/duban/internal/testredis"
)

// The deployment's own configuration (deploy/config, which the ConfigMap, compose and the
// systemd unit all use) runs the real service, and the paths the Kubernetes probes and the
// Prometheus annotations name answer there: readiness and liveness 200, metrics 200.
func TestDeployConfigurationServesTheProbes(t *testing.T) {
	t.Parallel()
	url, prefix := testredis.New(t)
	cfg, err := filepath.Abs("../deploy/config/duban.yaml")
	if err != nil {
		t.Fatal(err)
	}
	in, _ := startDuban(t, []string{"serve"}, map[string]string{"DUBAN_CONFIG": cfg, "DUBAN_REDIS_URL": url,
		"DUBAN_REDIS_PREFIX": prefix}, "")

	raw, err := os.ReadFile("../deploy/kubernetes/deployment.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var dep struct {
		Spec struct {
			Template struct {
				Metadata struct {
					Annotations map[string]string `yaml:"annotations"`
				} `yaml:"metadata"`
				Spec struct {
					Containers []struct {
						Readiness probe `yaml:"readinessProbe"`
						Liveness  probe `yaml:"livenessProbe"`
					} `yaml:"containers"`
				} `yaml:"spec"`
			} `yaml:"template"`
		} `yaml:"spec"`
	}
	if err := yaml.Unmarshal(raw, &dep); err != nil {
		t.Fatal(err)
	}
	var paths []string
	for _, c := range dep.Spec.Template.Spec.Containers {
		paths = append(paths, c.Readiness.HTTPGet.Path, c.Liveness.HTTPGet.Path)
	}
	paths = append(paths, dep.Spec.Template.Metadata.Annotations["prometheus.io/path"])
	if len(paths) != 3 {
		t.Fatalf("probe paths %q", paths)
	}
	for _, p := range paths {
		if code, b, _ := in.Do("GET", p, "", ""); code != 200 {
			t.Errorf("GET %s: %d %v", p, code, b)
		}
	}
	// The Secret's placeholder tokens are the configuration's: the admin one reads the audit
	// log, the env collector one may post for env only.
	if code, b, _ := in.Do("GET", "/api/v1/audit", "CHANGE-ME-admin-token", ""); code != 200 {
		t.Errorf("audit with the admin token: %d %v", code, b)
	}
	ev := `{"event_id":"d1","case_id":"env-d-1","department":"env","matter":"ENV-EIA-001","type":"submitted","at":"2026-03-02T09:00:00+08:00"}`
	if code, b, _ := in.Do("POST", "/api/v1/events", "CHANGE-ME-env-collector-token", ev); code != 202 || b["accepted"] != 1.0 {
		t.Errorf("post with the env collector token: %d %v", code, b)
	}
}

// probe is a Kubernetes HTTP probe, as much of it as the test reads.
type probe struct {
	HTTPGet struct {
		Path string `yaml:"path"`
	} `yaml:"httpGet"`
}
