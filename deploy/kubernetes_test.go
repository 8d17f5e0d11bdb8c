package deploy_test

import (
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"testing"

	"github.com/duban-gov/duban/internal/config"
)

// manifests reads deploy/kubernetes: the kustomization and every object it lists, by kind.
func manifests(t *testing.T) (kust map[string]any, byKind map[string]map[string]any) {
	t.Helper()
	kust = yamlDoc(t, "kubernetes/kustomization.yaml")
	byKind = map[string]map[string]any{}
	var listed []string
	for _, r := range at(t, kust, "resources").([]any) {
		listed = append(listed, r.(string))
		for _, d := range yamlDocs(t, filepath.Join("kubernetes", r.(string))) {
			kind := d["kind"].(string)
			if byKind[kind] != nil {
				t.Fatalf("two %s objects", kind)
			}
			byKind[kind] = d
		}
	}
	// Every manifest in the folder is applied: none is forgotten by the kustomization.
	files, _ := filepath.Glob("kubernetes/*.yaml")
	for _, f := range files {
		if b := filepath.Base(f); b != "kustomization.yaml" && !slices.Contains(listed, b) {
			t.Errorf("kubernetes/%s is not listed in kustomization.yaml", b)
		}
	}
	for _, k := range []string{"Namespace", "ConfigMap", "Secret", "Deployment", "Service", "PodDisruptionBudget"} {
		if byKind[k] == nil {
			t.Fatalf("no %s in deploy/kubernetes", k)
		}
	}
	return kust, byKind
}

func TestKubernetes(t *testing.T) {
	kust, objs := manifests(t)
	dep, svc, pdb, cm, sec := objs["Deployment"], objs["Service"], objs["PodDisruptionBudget"], objs["ConfigMap"], objs["Secret"]

	if ns := str(t, objs["Namespace"], "metadata", "name"); ns != str(t, kust, "namespace") {
		t.Errorf("namespace %s, kustomization puts everything in %s", ns, str(t, kust, "namespace"))
	}
	if n := at(t, dep, "spec", "replicas"); n != 3 {
		t.Errorf("replicas: %v, want 3", n)
	}
	pod := at(t, dep, "spec", "template")
	podLabels := at(t, pod, "metadata", "labels")
	if !subset(at(t, dep, "spec", "selector", "matchLabels"), podLabels) {
		t.Error("the Deployment's selector does not select its pods")
	}
	if !subset(at(t, svc, "spec", "selector"), podLabels) {
		t.Error("the Service does not select the pods")
	}
	if !subset(at(t, pdb, "spec", "selector", "matchLabels"), podLabels) {
		t.Error("the PodDisruptionBudget does not select the pods")
	}
	if min := at(t, pdb, "spec", "minAvailable").(int); min < 1 || min >= 3 {
		t.Errorf("PDB minAvailable %d: want at least one pod kept and one allowed to go", min)
	}

	c := at(t, pod, "spec", "containers", 0)
	// The image: the Deployment's, the kustomization's override, compose's and the
	// Dockerfile's build instructions all name the same one.
	img := at(t, kust, "images", 0)
	if got := str(t, c, "image"); got != image || str(t, img, "name")+":"+str(t, img, "newTag") != image {
		t.Errorf("image %s (kustomization: %v), want %s", got, img, image)
	}

	// The configuration: the ConfigMap is deploy/config, mounted where DUBAN_CONFIG says,
	// and it loads with no unknown key; the Redis URL comes from the Secret.
	env := map[string]string{}
	for _, e := range at(t, c, "env").([]any) {
		name := str(t, e, "name")
		if v, ok := e.(map[string]any)["value"]; ok {
			env[name] = v.(string)
			continue
		}
		if ref, ok := at(t, e, "valueFrom").(map[string]any)["secretKeyRef"]; ok {
			if str(t, ref, "name") != str(t, sec, "metadata", "name") {
				t.Errorf("env %s refers to Secret %s", name, str(t, ref, "name"))
			}
			v, ok := at(t, sec, "stringData").(map[string]any)[str(t, ref, "key")]
			if !ok {
				t.Fatalf("env %s: the Secret has no key %s", name, str(t, ref, "key"))
			}
			env[name] = v.(string)
		}
	}
	if env["DUBAN_CONFIG"] != configPath {
		t.Errorf("DUBAN_CONFIG %q, want %s", env["DUBAN_CONFIG"], configPath)
	}
	mounted := false
	for _, m := range at(t, c, "volumeMounts").([]any) {
		if str(t, m, "mountPath") != path.Dir(configPath) {
			continue
		}
		for _, v := range at(t, pod, "spec", "volumes").([]any) {
			if v.(map[string]any)["name"] == str(t, m, "name") {
				mounted = str(t, v, "configMap", "name") == str(t, cm, "metadata", "name")
			}
		}
	}
	if !mounted {
		t.Errorf("the ConfigMap is not mounted at %s", path.Dir(configPath))
	}
	data := map[string]string{}
	for k, v := range at(t, cm, "data").(map[string]any) {
		data[k] = v.(string)
		if want, err := os.ReadFile(filepath.Join("config", k)); err != nil || string(want) != v {
			t.Errorf("ConfigMap key %s differs from deploy/config/%s (err %v)", k, k, err)
		}
	}
	cfg := loadConfig(t, data, path.Base(configPath), env)
	checkRedisURL(t, "the Secret's redis-url", env["DUBAN_REDIS_URL"], "")

	// The ports: container port http = the configuration's listen port = the Service's
	// target; the probes use it.
	ports := map[string]int{}
	for _, p := range at(t, c, "ports").([]any) {
		ports[str(t, p, "name")] = at(t, p, "containerPort").(int)
	}
	if strconv.Itoa(ports["http"]) != listenPort(t, cfg) {
		t.Errorf("container port http %d, the configuration listens on %s", ports["http"], cfg.Listen)
	}
	target := at(t, svc, "spec", "ports", 0, "targetPort")
	if s, ok := target.(string); ok {
		if _, named := ports[s]; !named {
			t.Errorf("Service targetPort %q names no container port", s)
		}
	} else if target != ports["http"] {
		t.Errorf("Service targetPort %v, container port %d", target, ports["http"])
	}
	for probe, want := range map[string]string{"readinessProbe": "/readyz", "livenessProbe": "/healthz"} {
		if got := str(t, c, probe, "httpGet", "path"); got != want {
			t.Errorf("%s path %s, want %s", probe, got, want)
		}
		if p := at(t, c, probe, "httpGet", "port"); p != "http" && p != ports["http"] {
			t.Errorf("%s port %v is not the http port", probe, p)
		}
	}

	// The tokens: each clear token of the Secret is one of the configuration's hashes, and
	// every hash has its token.
	var hashes []config.Hash
	for _, tk := range cfg.Auth.Tokens {
		hashes = append(hashes, tk.Hash)
	}
	n := 0
	for k, v := range at(t, sec, "stringData").(map[string]any) {
		if len(k) > 6 && k[:6] == "token-" {
			n++
			if !slices.Contains(hashes, config.HashToken(v.(string))) {
				t.Errorf("Secret %s is none of the configuration's token hashes", k)
			}
		}
	}
	if n != len(hashes) {
		t.Errorf("%d tokens in the Secret, %d hashes in the configuration", n, len(hashes))
	}

	// Runs as the image's non-root user, with requests for the scheduler.
	if at(t, pod, "spec", "securityContext", "runAsUser") != nonrootID || at(t, pod, "spec", "securityContext", "runAsNonRoot") != true {
		t.Errorf("pod security context: %v", at(t, pod, "spec", "securityContext"))
	}
	if at(t, c, "securityContext", "readOnlyRootFilesystem") != true {
		t.Error("the root filesystem is writable")
	}
	for _, r := range []string{"cpu", "memory"} {
		if at(t, c, "resources", "requests", r) == nil {
			t.Errorf("no %s request", r)
		}
	}
}
