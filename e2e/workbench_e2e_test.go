package e2e_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/duban-gov/duban/internal/eventually"
	"github.com/duban-gov/duban/internal/testredis"
	"github.com/duban-gov/duban/monitor/clock"
	"github.com/duban-gov/duban/service/servicetest"
)

// The 督办工作台 and the wall screen's 督办 parts in a real browser (docs/supervision.md,
// docs/screen.md): a supervisor signs in, opens an order from a red alert; the wall screen
// counts it (督办中) and lists it; the reply deadline passes on the business clock and the
// screen counts it 逾期未反馈; the department's liaison signs in in another browser and
// replies; the supervisor accepts the reply; the case view shows the order's history; the
// printable notice renders. Every write goes through the pages' forms, with the session
// cookie and the page's CSRF token.

// workbenchConfig adds named supervisor and liaison tokens to the end-to-end configuration.
const workbenchConfig = servicetest.Config + `    - { token: bureau-supervisor-secret, role: supervisor, name: 李督办 }
    - { token: env-liaison-secret, role: liaison, department: env, name: 环保局联络员 }
`

// signIn goes to next, is sent to the sign-in, types token and lands on next's path.
func signIn(t *testing.T, ctx context.Context, base, next, token string) {
	t.Helper()
	if err := chromedp.Do(ctx, chromedp.Navigate(base+next)); err != nil {
		t.Fatal(err)
	}
	if loc := js[string](t, ctx, `location.pathname`); loc != "/login" {
		t.Fatalf("unauthenticated visit to %s landed on %s, want /login", next, loc)
	}
	if err := chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.ID("token"), token),
		chromedp.Submit(chromedp.ID("token")),
	); err != nil {
		t.Fatal(err)
	}
	path, _, _ := strings.Cut(next, "?")
	waitBench(t, ctx, "signed in at "+next, `location.pathname === '`+path+`'`)
}

// waitBench waits for a workbench page's condition (the workbench has no connection
// indicator for waitPage to report).
func waitBench(t *testing.T, ctx context.Context, what, expr string) {
	t.Helper()
	start := time.Now()
	for time.Since(start) < 15*time.Second {
		if ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](expr)); err == nil && ok {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	body, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body ? document.body.innerText.slice(0, 2000) : ''`))
	t.Fatalf("timed out waiting for %s (%s); the page says:\n%s", what, expr, body)
}

// fill sets a form field's value as typing would (an input event follows).
func fill(t *testing.T, ctx context.Context, sel, value string) {
	t.Helper()
	b, _ := json.Marshal(value)
	q, _ := json.Marshal(sel)
	if !js[bool](t, ctx, `(() => { const e = document.querySelector(`+string(q)+`); if (!e) return false;
		e.value = `+string(b)+`; e.dispatchEvent(new Event('input', {bubbles: true})); return true; })()`) {
		t.Fatalf("no field %s", sel)
	}
}

func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	if os.Getenv("DUBAN_SCREENSHOT") != "" {
		shot(t, ctx, "../docs/screenshots/"+name)
	}
}

func TestWorkbenchInChromium(t *testing.T) {
	sup := browser(t)
	redisURL, prefix := testredis.New(t)
	clk := clock.Manual(time.Date(2026, 3, 20, 9, 0, 0, 0, time.FixedZone("CST", 8*3600))) // a Friday
	in := servicetest.Start(t, servicetest.ServeOn(map[string]string{
		"DUBAN_CONFIG": servicetest.WriteConfig(t, workbenchConfig), "DUBAN_REDIS_URL": redisURL, "DUBAN_REDIS_PREFIX": prefix,
	}, clk))
	base := in.Base
	if code, b, _ := in.Do("POST", "/api/v1/events", "admin-secret", figuresScenario); code != 202 {
		t.Fatalf("seed: %d %v", code, b)
	}
	var alertID string
	eventually.True(t, "case A's red alert", func() bool {
		for _, a := range alertsOf(t, in, "viewer-secret", "case_id=A&level=red") {
			if a["kind"] == "promise_overdue" {
				alertID, _ = a["id"].(string)
			}
		}
		return alertID != ""
	})

	// The supervisor signs in at the workbench and finds the alert among those to supervise.
	signIn(t, sup, base, "/workbench", "bureau-supervisor-secret")
	// Scripts read the CSRF cookie, never the session's token.
	if c := js[string](t, sup, `document.cookie`); strings.Contains(c, "duban_session") || strings.Contains(c, "bureau-supervisor-secret") {
		t.Errorf("the session cookie is readable by scripts: %q", c)
	}
	waitBench(t, sup, "case A's alert to supervise", `!!document.querySelector('#alerts tr[data-alert="`+alertID+`"] a[data-open]')`)
	screenshot(t, sup, "workbench.png")

	// A write with the session cookie but without the page's CSRF token is refused by the
	// service, and changes nothing.
	refused := jsAwait[string](t, sup, `fetch('/api/v1/orders', {method: 'POST', headers: {'Content-Type': 'application/json'},
		body: JSON.stringify({alerts: ['`+alertID+`'], kind: 'rectify', opinion: 'x'})}).then(async r => r.status + ' ' + (await r.json()).field)`)
	if refused != "403 X-CSRF-Token" {
		t.Errorf("a cookie write without the CSRF token: %s, want 403 naming X-CSRF-Token", refused)
	}

	var orderID string
	t.Run("a supervisor opens an order from the alert", func(t *testing.T) {
		if err := chromedp.Do(sup, chromedp.Click(chromedp.CSS(`#alerts a[data-open="`+alertID+`"]`))); err != nil {
			t.Fatal(err)
		}
		waitBench(t, sup, "the form", `!!document.querySelector('#open-form') && document.querySelector('[data-basis]') !== null`)
		if kind := js[string](t, sup, `document.querySelector('#open-form [name=kind]:checked').value`); kind != "rectify" {
			t.Errorf("default kind %q, want rectify", kind)
		}
		// An empty opinion is refused by the service with the field named, in Chinese.
		js[bool](t, sup, `document.querySelector('#open-form [name=opinion]').required = false`) // past the browser's own check
		fill(t, sup, `#open-form [name=opinion]`, "")
		if err := chromedp.Do(sup, chromedp.Click(chromedp.CSS(`#open-submit`))); err != nil {
			t.Fatal(err)
		}
		waitBench(t, sup, "the refusal", `(document.querySelector('#open-form .form-error')?.textContent || '').includes('督办意见')`)
		const opinion = "办件A超过承诺时限，请于两个工作日内查明原因、限期办结，并明确相关责任人的责任。"
		fill(t, sup, `#open-form [name=opinion]`, opinion)
		fill(t, sup, `#open-form [name=reply_days]`, "2")
		if err := chromedp.Do(sup, chromedp.Click(chromedp.CSS(`#open-submit`))); err != nil {
			t.Fatal(err)
		}
		waitBench(t, sup, "the new order's page", `document.querySelector('#order')?.dataset.state === 'open'`)
		orderID = js[string](t, sup, `document.querySelector('#order').dataset.id`)
		code, o, _ := in.Do("GET", "/api/v1/orders/"+url.PathEscape(orderID), "supervisor-secret", "")
		if code != 200 || o["opinion"] != opinion || o["kind"] != "rectify" || o["department"] != "env" ||
			o["opened_by"] != "李督办" || fmt.Sprint(o["alerts"]) != "["+alertID+"]" {
			t.Fatalf("the order as opened: %d %v", code, o)
		}
		due := o["reply_due"].(map[string]any)["date"]
		if due != "2026-03-24" {
			t.Errorf("reply_due %v, want 2026-03-24 (two working days after Friday 20 March)", due)
		}
		if got := js[string](t, sup, `document.querySelector('[data-order=reply_due]').textContent`); !strings.HasPrefix(got, "2026年3月24日") {
			t.Errorf("the page's reply deadline %q", got)
		}
		if got := js[string](t, sup, `document.querySelector('[data-order=number]').textContent`); !strings.HasPrefix(got, o["number"].(string)) {
			t.Errorf("the page's number %q, want %v", got, o["number"])
		}
		if n := js[int](t, sup, `document.querySelectorAll('.history tbody tr[data-action=opened]').length`); n != 1 {
			t.Errorf("history rows 'opened': %d", n)
		}
	})
	if orderID == "" {
		t.FailNow()
	}

	// The wall screen, in the supervisor's browser: 督办中 1, 逾期未反馈 0, the order listed.
	if err := chromedp.Do(sup, chromedp.Navigate(base+"/")); err != nil {
		t.Fatal(err)
	}
	waitPage(t, sup, "the live connection", connText+` === '实时'`, 15*time.Second)
	figs := func(open, overdue int) string {
		return fmt.Sprintf(`document.querySelector('[data-fig=orders_open]').textContent === '%d' &&
			document.querySelector('[data-fig=orders_overdue]').textContent === '%d'`, open, overdue)
	}
	t.Run("the screen's 督办 figures and list", func(t *testing.T) {
		waitPage(t, sup, "督办中 1, 逾期未反馈 0", figs(1, 0), 5*time.Second)
		waitPage(t, sup, "the order in the 督办 list", `document.querySelector('#orders li[data-order="`+orderID+`"]')?.dataset.state === 'open'`, 5*time.Second)
		_, ov, _ := in.Do("GET", "/api/v1/overview", "viewer-secret", "")
		if ov["orders_open"] != 1.0 || ov["orders_overdue"] != 0.0 {
			t.Errorf("the overview: orders_open %v, orders_overdue %v", ov["orders_open"], ov["orders_overdue"])
		}
		// The reply deadline passes: order_overdue fires, the figure and the list follow live.
		clk.Set(time.Date(2026, 3, 25, 9, 0, 0, 0, time.FixedZone("CST", 8*3600)))
		waitPage(t, sup, "逾期未反馈 1", figs(1, 1), 10*time.Second)
		waitPage(t, sup, "the order marked overdue", `(() => { const li = document.querySelector('#orders li[data-order="`+orderID+`"]');
			return !!li && li.classList.contains('late') && li.textContent.includes('逾期未反馈'); })()`, 5*time.Second)
		// A row that slid in has come to rest.
		waitPage(t, sup, "the slide-in to end", `document.getAnimations().every(a => a.effect?.target?.closest?.('#orders') == null || a.playState !== 'running')`, 5*time.Second)
		checkNothingClipped(t, sup, "#screen")
	})

	t.Run("a liaison signs in and replies", func(t *testing.T) {
		liaison := browser(t)
		signIn(t, liaison, base, "/workbench", "env-liaison-secret")
		waitBench(t, liaison, "the department's order listed", `!!document.querySelector('#orders tr[data-order="`+orderID+`"] a')`)
		if js[bool](t, liaison, `!!document.querySelector('#alerts, #by-case')`) {
			t.Error("a liaison is offered the supervisor's forms")
		}
		if err := chromedp.Do(liaison, chromedp.Click(chromedp.CSS(`#orders tr[data-order="`+orderID+`"] a`))); err != nil {
			t.Fatal(err)
		}
		waitBench(t, liaison, "the reply form", `!!document.querySelector('#reply-form')`)
		if js[bool](t, liaison, `!!document.querySelector('#review-form, #withdraw-form')`) {
			t.Error("a liaison is offered the review forms")
		}
		fill(t, liaison, `#reply-form [name=cause]`, "承办人未及时审查，材料流转延误。")
		fill(t, liaison, `#reply-form [name=measures]`, "已督促承办人办结，并纳入科室周例会通报。")
		if err := chromedp.Do(liaison,
			chromedp.Click(chromedp.CSS(`#reply-form [name=completed]`)),
			chromedp.Click(chromedp.CSS(`#reply-form [data-add=responsible]`)),
		); err != nil {
			t.Fatal(err)
		}
		fill(t, liaison, `#reply-form [name=handler]`, "zhang.san")
		screenshot(t, liaison, "workbench-reply.png")
		if err := chromedp.Do(liaison, chromedp.Click(chromedp.CSS(`#reply-submit`))); err != nil {
			t.Fatal(err)
		}
		waitBench(t, liaison, "the order replied", `document.querySelector('#order')?.dataset.state === 'replied'`)
		code, o, _ := in.Do("GET", "/api/v1/orders/"+url.PathEscape(orderID), "supervisor-secret", "")
		replies, _ := o["replies"].([]any)
		if code != 200 || o["state"] != "replied" || len(replies) != 1 {
			t.Fatalf("after the reply: %d %v", code, o)
		}
		r := replies[0].(map[string]any)
		resp, _ := r["responsible"].([]any)
		if r["by"] != "环保局联络员" || r["late"] != true || r["completed"] != true || len(resp) != 1 ||
			resp[0].(map[string]any)["handler"] != "zhang.san" || resp[0].(map[string]any)["responsibility"] != "direct" {
			t.Errorf("the reply as recorded: %v", r)
		}
		if !js[bool](t, liaison, `document.querySelector('.reply[data-round="1"]').textContent.includes('逾期反馈')`) {
			t.Error("the late reply is not marked 逾期反馈 on the page")
		}
		// The screen follows live: the order waits for review, and is no longer overdue.
		waitPage(t, sup, "the order replied on the screen", `document.querySelector('#orders li[data-order="`+orderID+`"]')?.dataset.state === 'replied'`, 5*time.Second)
		waitPage(t, sup, "逾期未反馈 0", figs(1, 0), 5*time.Second)
	})

	t.Run("the supervisor accepts the reply", func(t *testing.T) {
		if err := chromedp.Do(sup, chromedp.Navigate(base+"/workbench?order="+url.QueryEscape(orderID))); err != nil {
			t.Fatal(err)
		}
		waitBench(t, sup, "the review form", `!!document.querySelector('#review-form')`)
		// The department's statement is there to restate.
		if h := js[string](t, sup, `document.querySelector('#review-form [name=handler]')?.value || ''`); h != "zhang.san" {
			t.Errorf("the responsibility editor starts with %q, want the department's zhang.san", h)
		}
		screenshot(t, sup, "workbench-order.png")
		fill(t, sup, `#review-form [name=note]`, "整改措施可行，同意办结。")
		if err := chromedp.Do(sup, chromedp.Click(chromedp.CSS(`#accept-submit`))); err != nil {
			t.Fatal(err)
		}
		waitBench(t, sup, "the order closed", `document.querySelector('#order')?.dataset.state === 'closed'`)
		_, o, _ := in.Do("GET", "/api/v1/orders/"+url.PathEscape(orderID), "supervisor-secret", "")
		rv, _ := o["review"].(map[string]any)
		if o["state"] != "closed" || rv["decision"] != "accepted" || rv["by"] != "李督办" || rv["note"] != "整改措施可行，同意办结。" {
			t.Errorf("after the review: %v", o)
		}
		actions := js[string](t, sup, `[...document.querySelectorAll('.history tbody tr')].map(tr => tr.dataset.action).join(' ')`)
		if actions != "opened overdue replied accepted" {
			t.Errorf("the history on the page: %q, want opened overdue replied accepted", actions)
		}
		if js[bool](t, sup, `!!document.querySelector('#review-form, #withdraw-form, #reply-form')`) {
			t.Error("forms offered on a closed order")
		}
	})

	t.Run("the case view shows the order and its history", func(t *testing.T) {
		if err := chromedp.Do(sup, chromedp.Navigate(base+"/?case=A")); err != nil {
			t.Fatal(err)
		}
		waitPage(t, sup, "case A's orders", `!!document.querySelector('#case [data-case=orders] [data-order="`+orderID+`"] .history')`, 10*time.Second)
		text := js[string](t, sup, `document.querySelector('#case [data-case=orders]').textContent`)
		for _, want := range []string{"督办记录（1）", "已办结", "承办人未及时审查", "审核通过", "开具督办单"} {
			if !strings.Contains(text, want) {
				t.Errorf("the case view's orders lack %q:\n%s", want, text)
			}
		}
	})

	t.Run("the printable notice", func(t *testing.T) {
		if err := chromedp.Do(sup, chromedp.Navigate(base+"/api/v1/orders/"+url.PathEscape(orderID)+".html")); err != nil {
			t.Fatal(err)
		}
		_, o, _ := in.Do("GET", "/api/v1/orders/"+url.PathEscape(orderID), "supervisor-secret", "")
		text := js[string](t, sup, `document.body.innerText`)
		for _, want := range []string{o["number"].(string), "督办通知书", "区生态环境局", "两个工作日内查明原因", "2026年3月24日"} {
			if !strings.Contains(text, want) {
				t.Errorf("the notice lacks %q:\n%s", want, text)
			}
		}
	})
}
