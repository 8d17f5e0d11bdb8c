package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/duban-gov/duban/internal/eventually"
	"github.com/duban-gov/duban/internal/testredis"
	"github.com/duban-gov/duban/rdb/rdbtest"
	"github.com/duban-gov/duban/service"
	"github.com/duban-gov/duban/service/servicetest"
)

// A service started after 02:00 on the 2nd publishes the previous month at once (catch-up);
// the ranking reads back as JSON, CSV and HTML; `duban rank` refuses to rebuild it without
// --force and keeps the previous version with it.
func TestRankingCatchUpEndpointsAndCLI(t *testing.T) {
	t.Parallel()
	url0, prefix := testredis.New(t)
	in := servicetest.StartServe(t, url0, prefix, "2026-04-05T10:00:00+08:00", "")
	eventually.True(t, "March published by the catch-up", func() bool {
		_, b, _ := in.Do("GET", "/api/v1/rankings", "viewer-secret", "")
		ms, _ := b["months"].([]any)
		return len(ms) == 1 && ms[0] == "2026-03"
	})
	code, b, _ := in.Do("GET", "/api/v1/rankings/2026-03", "viewer-secret", "")
	deps, _ := b["departments"].([]any)
	if code != 200 || b["month"] != "2026-03" || b["provisional"] != false || len(deps) != 2 {
		t.Fatalf("March: %d %v", code, b)
	}
	if d := deps[0].(map[string]any); d["ranked"] != false || d["rank"] != nil {
		t.Errorf("a department without cases is ranked: %v", d)
	}
	code, h, csv := in.GetRaw("/api/v1/rankings/2026-03.csv", "viewer-secret")
	if code != 200 || !bytes.HasPrefix(csv, []byte("\xef\xbb\xbf")) || !strings.Contains(h.Get("Content-Type"), "text/csv") ||
		!strings.Contains(string(csv), "样本不足") {
		t.Errorf("CSV: %d %s %q", code, h.Get("Content-Type"), csv)
	}
	code, h, html := in.GetRaw("/api/v1/rankings/2026-03.html", "viewer-secret")
	if code != 200 || !strings.Contains(h.Get("Content-Type"), "text/html") || !strings.Contains(string(html), "2026年3月") {
		t.Errorf("HTML: %d %s", code, h.Get("Content-Type"))
	}
	if strings.Contains(string(csv), "暂定") || strings.Contains(string(html), "暂定") || strings.Contains(string(html), `class="provisional"`) {
		t.Error("the published month says 暂定")
	}
	code, b, _ = in.Do("GET", "/api/v1/rankings/2026-04", "viewer-secret", "")
	at, _ := b["generated_at"].(string)
	if code != 200 || b["provisional"] != true || !strings.HasPrefix(at, "2026-04-05T10:0") || !strings.HasSuffix(at, "+08:00") {
		t.Errorf("this month, provisional: %d %v", code, b)
	}
	// On paper too: the CSV's first line, the page's title, period and banner say 暂定 and
	// the instant computed, in the configured zone.
	code, h, csv = in.GetRaw("/api/v1/rankings/2026-04.csv", "viewer-secret")
	first, rest, _ := strings.Cut(string(csv), "\r\n")
	if code != 200 || h.Get("X-Duban-Provisional") != "true" ||
		!strings.HasPrefix(first, "\uFEFF暂定排名：2026年4月尚未结束，数据截至 2026-04-05 10:0") ||
		!strings.HasSuffix(first, "（UTC+08:00），不得作为正式结果公布。正式排名于月末后公布。") || !strings.HasPrefix(rest, "排名,部门代码,部门,") {
		t.Errorf("this month's CSV: %d %q", code, csv)
	}
	code, _, html = in.GetRaw("/api/v1/rankings/2026-04.html", "viewer-secret")
	page := string(html)
	for _, want := range []string{"<title>2026年4月 行政审批绩效排名（暂定）</title>", `<p class="provisional" role="note"`,
		"统计期间：2026年4月1日起，截至 2026-04-05 10:0", ">暂定排名：2026年4月尚未结束，数据截至 2026-04-05 10:0"} {
		if code != 200 || !strings.Contains(page, want) {
			t.Errorf("this month's page (%d) lacks %q", code, want)
		}
	}
	if code, _, _ := in.Do("GET", "/api/v1/rankings/2026-09", "viewer-secret", ""); code != 404 {
		t.Errorf("a month not begun: %d, want 404", code)
	}
	if code, b, _ := in.Do("GET", "/api/v1/rankings/2026-3", "viewer-secret", ""); code != 400 || b["field"] != "month" {
		t.Errorf("bad month: %d %v", code, b)
	}

	// The CLI on the same Redis.
	dir := t.TempDir()
	cfg := filepath.Join(dir, "duban.yaml")
	if err := os.WriteFile(cfg, []byte(servicetest.Config), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"DUBAN_CONFIG": cfg, "DUBAN_REDIS_URL": url0, "DUBAN_REDIS_PREFIX": prefix,
		"DUBAN_CLOCK_START": "2026-04-06T09:00:00+08:00"}
	rank := func(args ...string) (int, string) {
		var out, errs bytes.Buffer
		code := run(context.Background(), append([]string{"rank"}, args...), &out, &errs, func(k string) string { return env[k] })
		return code, out.String() + errs.String()
	}
	if code, out := rank("2026-03"); code != 1 || !strings.Contains(out, "already published") {
		t.Errorf("rank of a published month: %d %s", code, out)
	}
	if code, out := rank("--force", "2026-03"); code != 0 || !strings.Contains(out, "published 2026-03") {
		t.Errorf("rank --force: %d %s", code, out)
	}
	store := rdbtest.At(t, url0, prefix)
	if n, err := store.RankingVersions(context.Background(), "2026-03"); err != nil || n != 1 {
		t.Errorf("previous versions kept: %d %v", n, err)
	}
}

// Two replicas on a simulated clock crossing 02:00 on 2026-05-02: April is published once.
func TestTwoReplicasPublishTheMonthOnce(t *testing.T) {
	t.Parallel()
	url0, prefix := testredis.New(t)
	a := servicetest.StartServe(t, url0, prefix, "2026-05-02T01:59:59+08:00", "")
	servicetest.StartServe(t, url0, prefix, "2026-05-02T01:59:59+08:00", "")
	eventually.True(t, "April published", func() bool {
		_, b, _ := a.Do("GET", "/api/v1/rankings", "viewer-secret", "")
		ms, _ := b["months"].([]any)
		return len(ms) == 2 && ms[1] == "2026-04"
	})
	store := rdbtest.At(t, url0, prefix)
	ctx := context.Background()
	for _, m := range []string{"2026-03", "2026-04"} {
		if n, _ := store.RankingVersions(ctx, m); n != 0 {
			t.Errorf("%s built %d extra times", m, n)
		}
		if done, _ := store.JobDone(ctx, service.JobRanking, m); !done {
			t.Errorf("%s not marked done", m)
		}
	}
}
