package webhook_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/duban-gov/duban/alerts/webhook"
)

func TestAPIValidation(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	const ok = `"url": "https://duty.example.gov.cn/hook?x=1", "secret": "0123456789abcdef"`
	cases := []struct {
		name, body, field string
	}{
		{"no url", `{"secret": "0123456789abcdef"}`, "url"},
		{"relative url", `{"url": "/hook", "secret": "0123456789abcdef"}`, "url"},
		{"ftp url", `{"url": "ftp://example.com/x", "secret": "0123456789abcdef"}`, "url"},
		{"no host", `{"url": "http:///x", "secret": "0123456789abcdef"}`, "url"},
		{"opaque url", `{"url": "http:example.com", "secret": "0123456789abcdef"}`, "url"},
		{"fragment", `{"url": "http://example.com/#x", "secret": "0123456789abcdef"}`, "url"},
		{"url not a string", `{"url": 7, "secret": "0123456789abcdef"}`, "url"},
		{"unknown department", `{` + ok + `, "departments": ["env", "police"]}`, "departments"},
		{"bad department code", `{` + ok + `, "departments": ["a b"]}`, "departments"},
		{"departments not a list", `{` + ok + `, "departments": "env"}`, "departments"},
		{"green level", `{` + ok + `, "levels": ["green"]}`, "levels"},
		{"unknown kind", `{` + ok + `, "kinds": ["promise_overdue", "nope"]}`, "kinds"},
		{"no secret", `{"url": "http://example.com"}`, "secret"},
		{"short secret", `{"url": "http://example.com", "secret": "fifteen-bytes.."}`, "secret"},
		{"long secret", `{"url": "http://example.com", "secret": "` + strings.Repeat("s", 257) + `"}`, "secret"},
		{"not JSON", `url=http://example.com`, ""},
	}
	for _, c := range cases {
		code, out, raw := e.call("POST", "/api/v1/subscriptions", "supervisor-secret", c.body)
		want := any(c.field)
		if c.field == "" {
			want = nil // about the whole body: no field
		}
		if code != http.StatusBadRequest || out["field"] != want || out["error"] == nil {
			t.Errorf("%s: %d %s, want 400 naming %q", c.name, code, raw, c.field)
		}
	}
	if code, _, raw := e.call("POST", "/api/v1/subscriptions", "supervisor-secret", `{`+ok+`, "levels": ["red"], "kinds": null}`); code != http.StatusCreated {
		t.Errorf("a valid subscription: %d %s", code, raw)
	}
}

func TestAPIAuthAndSecrets(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	const body = `{"url": "http://127.0.0.1:9/hook", "departments": ["env"], "secret": "a-very-secret-value-42"}`
	if code, _, _ := e.call("POST", "/api/v1/subscriptions", "", body); code != http.StatusUnauthorized {
		t.Errorf("no token: %d", code)
	}
	if code, _, _ := e.call("POST", "/api/v1/subscriptions", "viewer-secret", body); code != http.StatusForbidden {
		t.Errorf("viewer: %d", code)
	}
	if code, _, _ := e.call("GET", "/api/v1/subscriptions", "viewer-secret", ""); code != http.StatusForbidden {
		t.Errorf("viewer listing: %d", code)
	}
	code, created, raw := e.call("POST", "/api/v1/subscriptions", "supervisor-secret", body)
	if code != http.StatusCreated || created["id"] == "" || strings.Contains(raw, "a-very-secret") {
		t.Fatalf("create: %d %s", code, raw)
	}
	id := created["id"].(string)
	if code, _, _ := e.call("DELETE", "/api/v1/subscriptions/"+id, "viewer-secret", ""); code != http.StatusForbidden {
		t.Errorf("viewer deleting: %d", code)
	}
	code, list, raw := e.call("GET", "/api/v1/subscriptions", "supervisor-secret", "")
	if code != http.StatusOK || strings.Contains(raw, "a-very-secret") || strings.Contains(raw, `"secret"`) {
		t.Fatalf("list: %d %s", code, raw)
	}
	subs := list["subscriptions"].([]any)
	if len(subs) != 1 {
		t.Fatalf("list: %s", raw)
	}
	s := subs[0].(map[string]any)
	d := s["delivery"].(map[string]any)
	if s["id"] != id || s["url"] != "http://127.0.0.1:9/hook" || s["created_by"] == "" || s["created_at"] != "2026-03-20T09:00:00+08:00" ||
		d["position"] != "0-0" || d["backlog"] != 0.0 || d["last_success"] != nil || d["last_attempt"] != nil {
		t.Errorf("listed: %s", raw)
	}
	if l, ok := s["levels"].([]any); !ok || len(l) != 0 {
		t.Errorf("levels shown as %v, want []", s["levels"])
	}
	if code, _, raw := e.call("GET", "/api/v1/subscriptions/"+id, "supervisor-secret", ""); code != http.StatusOK || strings.Contains(raw, "secret\"") {
		t.Errorf("get: %d %s", code, raw)
	}
	if code, _, _ := e.call("PUT", "/api/v1/subscriptions/"+id, "supervisor-secret", "{}"); code != http.StatusMethodNotAllowed {
		t.Errorf("PUT: %d", code)
	}
	if code, _, _ := e.call("GET", "/api/v1/subscriptions/nope", "supervisor-secret", ""); code != http.StatusNotFound {
		t.Errorf("GET unknown: %d", code)
	}
}

func TestSignature(t *testing.T) {
	body := []byte(`{"delivery_id":"sub-1:1-0"}`)
	// The value `printf '%s' "$body" | openssl dgst -sha256 -hmac "$secret"` prints.
	const want = "sha256=4fd9f8c7a26ec1a911a58a32831ed95eaf773b04466c8626988256a4ef32cc3b"
	got := webhook.Sign(body, "0123456789abcdef")
	if got != want {
		t.Errorf("Sign = %s, want %s (openssl)", got, want)
	}
	if !webhook.Verify(body, "0123456789abcdef", got) {
		t.Fatal("Verify rejects Sign")
	}
	if webhook.Verify(body, "0123456789abcdeF", got) || webhook.Verify(append(body, ' '), "0123456789abcdef", got) ||
		webhook.Verify(body, "0123456789abcdef", strings.TrimPrefix(got, "sha256=")) {
		t.Error("Verify accepts a wrong secret, body or format")
	}
}
