package e2e_test

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/css"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/duban-gov/duban/internal/eventually"
)

// The wall screen as `duban demo` fills it — nine departments with long names, a ranking,
// dozens of open alerts — at 1920×1080 in headless Chromium: no text cut off anywhere, and
// the shipped Chinese font served, loaded, and able to draw every character on the screen
// by itself (docs/screen.md).

// clippedJS lists the text on the page under root that is cut off: a text whose box lies
// outside the viewport, outside an ancestor that clips (overflow other than visible;
// scroll containers only sideways, since their content can be scrolled to) or sideways out
// of any (non-inline) element it is in, and an element with its own text whose content overflows
// its clipping box (an ellipsis).
const clippedJS = `((root) => {
	const out = [];
	const vw = innerWidth, vh = innerHeight;
	const name = (e) => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') +
		(typeof e.className === 'string' && e.className.trim() ? '.' + e.className.trim().split(/\s+/).join('.') : '');
	const rect = (r) => Math.round(r.left) + ',' + Math.round(r.top) + ' ' + Math.round(r.width) + '×' + Math.round(r.height);
	const clipBox = (e) => {
		const r = e.getBoundingClientRect();
		const l = r.left + e.clientLeft, t = r.top + e.clientTop;
		return { left: l, top: t, right: l + e.clientWidth, bottom: t + e.clientHeight };
	};
	const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
	const seen = new Set();
	for (let n = walker.nextNode(); n; n = walker.nextNode()) {
		const text = n.textContent.trim();
		const host = n.parentElement;
		if (!text || !host) continue;
		const range = document.createRange();
		range.selectNodeContents(n);
		const r = range.getBoundingClientRect();
		if (r.width === 0 && r.height === 0) continue; // not rendered
		if (getComputedStyle(host).visibility === 'hidden') continue;
		const what = name(host) + ' "' + text.slice(0, 48) + '"';
		// Below a box that scrolls vertically (the case view), height is not a limit: the
		// text can be scrolled to. Width always is.
		let scrolled = false;
		let cut = '';
		for (let a = host; a && a !== document.documentElement; a = a.parentElement) {
			const cs = getComputedStyle(a);
			const clipX = cs.overflowX !== 'visible', clipY = cs.overflowY !== 'visible' && !scrolled;
			if (cs.overflowY === 'auto' || cs.overflowY === 'scroll') scrolled = true;
			if (cut || (!clipX && !clipY) || (clipY && scrolled && !clipX)) continue;
			const b = clipBox(a);
			const outX = clipX && (r.left < b.left - 1 || r.right > b.right + 1);
			const outY = clipY && !(cs.overflowY === 'auto' || cs.overflowY === 'scroll') && (r.top < b.top - 1 || r.bottom > b.bottom + 1);
			if (outX || outY) cut = name(a) + ' (' + rect(a.getBoundingClientRect()) + ')';
		}
		// Nor may it spill sideways out of the box of any element it is in (over a
		// neighbour) where nothing clips it, inline elements aside. (Not up and down: a line
		// height under the font's height is not a spill.)
		for (let a = host; !cut && a && a !== root.parentElement && !(a instanceof SVGElement); a = a.parentElement) {
			if (getComputedStyle(a).display === 'inline') continue;
			const b = a.getBoundingClientRect();
			if (r.left < b.left - 1 || r.right > b.right + 1) cut = name(a) + ' (' + rect(b) + '), spilling out of it';
		}
		if (cut) out.push(what + ': text at ' + rect(r) + ' is cut by ' + cut);
		else if (r.left < -1 || r.right > vw + 1 || (!scrolled && (r.top < -1 || r.bottom > vh + 1))) {
			out.push(what + ': text at ' + rect(r) + ' is outside the ' + vw + '×' + vh + ' window');
		}
		if (seen.has(host)) continue;
		seen.add(host);
		const cs = getComputedStyle(host);
		if (cs.overflowX !== 'visible' && host.scrollWidth > host.clientWidth + 1) {
			out.push(what + ': its text is ' + host.scrollWidth + ' px wide in a box of ' + host.clientWidth + ' (cut or ellipsised)');
		}
		if (cs.overflowY !== 'visible' && cs.overflowY !== 'auto' && cs.overflowY !== 'scroll' && host.scrollHeight > host.clientHeight + 1) {
			out.push(what + ': its text is ' + host.scrollHeight + ' px high in a box of ' + host.clientHeight + ' (cut)');
		}
	}
	return out;
})(document.querySelector(%q))`

// jsAwait evaluates an expression that gives a promise, and waits for it.
func jsAwait[T any](t *testing.T, ctx context.Context, expr string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

// checkNothingClipped fails the test with every text under the selector that is cut off.
func checkNothingClipped(t *testing.T, ctx context.Context, selector string) {
	t.Helper()
	if bad := js[[]string](t, ctx, fmt.Sprintf(clippedJS, selector)); len(bad) > 0 {
		t.Errorf("%d texts cut off under %s at 1920×1080:\n  %s", len(bad), selector, strings.Join(bad, "\n  "))
	}
}

// shippedFamily is the @font-face family of the font the screen ships (screen.css).
const shippedFamily = "Duban Sans SC"

// probeFonts asks Chromium which fonts drew the text of #font-probe, again every 50 ms
// until it names at least one or limit has passed (then the empty list is returned, for the
// caller's assertion to fail on).
func probeFonts(t *testing.T, ctx context.Context, limit time.Duration) []*css.PlatformFontUsage {
	t.Helper()
	for start := time.Now(); ; time.Sleep(50 * time.Millisecond) {
		res, err := chromedp.Run(ctx, chromedp.QueryAfter(chromedp.CSS("#font-probe"),
			func(ctx context.Context, tg *chromedp.Target, nodes []*chromedp.Node) (css.GetPlatformFontsForNodeResult, error) {
				if _, err := cdp.Call(ctx, tg, css.Enable, cdp.Empty{}); err != nil {
					return css.GetPlatformFontsForNodeResult{}, err
				}
				return cdp.Call(ctx, tg, css.GetPlatformFontsForNode, css.GetPlatformFontsForNodeParams{NodeID: nodes[0].NodeID})
			}))
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Fonts) > 0 || time.Since(start) > limit {
			return res.Fonts
		}
	}
}

// checkShippedFont: the font files are served, both faces load in the page, the page's
// text names the family, and the font alone draws every character the screen shows — what
// a machine without a Chinese font would see.
func checkShippedFont(t *testing.T, ctx context.Context, base string) {
	t.Helper()
	for _, f := range []string{"noto-sans-sc-regular.woff2", "noto-sans-sc-bold.woff2"} {
		resp, err := http.Get(base + "/assets/fonts/" + f)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "font/woff2" || resp.ContentLength < 500_000 {
			t.Errorf("GET /assets/fonts/%s: %d %q, %d bytes", f, resp.StatusCode, resp.Header.Get("Content-Type"), resp.ContentLength)
		}
	}
	faces := jsAwait[string](t, ctx, `(async () => {
		await document.fonts.load('16px "`+shippedFamily+`"', '监察');
		await document.fonts.load('bold 16px "`+shippedFamily+`"', '监察');
		return [...document.fonts].filter(f => f.family.replace(/"/g, '') === '`+shippedFamily+`')
			.map(f => f.weight + ':' + f.status).sort().join(' ');
	})()`)
	if faces != "400:loaded 700:loaded" {
		t.Errorf("the shipped font's faces in document.fonts: %q, want both loaded", faces)
	}
	if !js[bool](t, ctx, `document.fonts.check('16px "`+shippedFamily+`"', '监察') && document.fonts.check('bold 16px "`+shippedFamily+`"', '监察')`) {
		t.Error(`document.fonts.check reports the shipped font not ready for 监察`)
	}
	if fam := js[string](t, ctx, `getComputedStyle(document.querySelector('#depts-title')).fontFamily`); !strings.Contains(fam, shippedFamily) {
		t.Errorf("the page's text does not fall back to the shipped font: font-family %s", fam)
	}
	// Every character on the screen, in the shipped font alone: Chromium says which font
	// drew the glyphs. A character the font lacks would be drawn by another (a system
	// font, or the box of a missing glyph).
	js[bool](t, ctx, `(() => {
		const p = document.createElement('div');
		p.id = 'font-probe';
		p.style.cssText = '';
		p.style.position = 'absolute';
		p.style.left = '0';
		p.style.top = '0';
		p.style.opacity = '0';
		p.style.fontFamily = '"`+shippedFamily+`"';
		p.textContent = document.body.innerText.replace(/\s+/g, '');
		document.body.append(p);
		return true; })()`)
	defer js[bool](t, ctx, `(document.getElementById('font-probe').remove(), true)`)
	// The probe is measured only once it is laid out: right after it is added, Chromium
	// may not have drawn its text yet and names no font at all.
	waitPage(t, ctx, "the font probe laid out", `(() => { const r = document.getElementById('font-probe').getBoundingClientRect(); return r.width > 0 && r.height > 0; })()`, 5*time.Second)
	fonts := probeFonts(t, ctx, 5*time.Second)
	var used []string
	for _, f := range fonts {
		used = append(used, fmt.Sprintf("%s (custom %v, %d glyphs)", f.FamilyName, f.IsCustomFont, int(f.GlyphCount)))
	}
	if len(fonts) != 1 || !fonts[0].IsCustomFont || !strings.Contains(fonts[0].FamilyName, "Noto Sans CJK SC") {
		t.Errorf("the screen's text in the shipped font alone was drawn with: %s", strings.Join(used, ", "))
	}
	t.Logf("the screen's characters in the shipped font: %s", strings.Join(used, ", "))
}

func TestWallScreenFitsOnTheDemo(t *testing.T) {
	ctx := browser(t)
	// A still picture: no slide-ins or pulses half-way (the page drops its animations for
	// reduced motion).
	if err := chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
			Features: []*emulation.MediaFeature{{Name: "prefers-reduced-motion", Value: "reduce"}}})
		return err
	})); err != nil {
		t.Fatal(err)
	}
	in, _ := startDuban(t, []string{"demo"}, map[string]string{"DUBAN_CLOCK_START": "2026-03-18T09:00:00+08:00"}, "")
	// The simulator backfills the last weeks at start; the page reads the trend once (then
	// every few minutes), so it is opened once the backfill is in.
	within(t, "the demo's backfill", time.Minute, func() bool {
		code, ov, _ := in.Do("GET", "/api/v1/overview", "", "")
		return code == 200 && ov["decided_this_month"].(float64) >= 50
	})
	if err := chromedp.Do(ctx, chromedp.Navigate(in.Base+"/")); err != nil {
		t.Fatal(err)
	}
	waitPage(t, ctx, "the live connection", connText+` === '实时'`, 20*time.Second)
	// Enough of the demo to fill every panel: all nine departments, seven ranking rows, a
	// full ticker, and the trend.
	const filled = `[document.querySelectorAll('#depts tr').length, document.querySelectorAll('#ranking tbody tr').length,
		document.querySelectorAll('#ticker li').length, document.querySelectorAll('#trend svg rect').length]`
	var n []int
	eventually.Every(t, time.Minute, 100*time.Millisecond, func() string {
		return fmt.Sprintf("the demo to fill the screen: %d departments, %d ranking rows, %d alerts, %d bars; want 9, 7, ≥ 20, > 10", n[0], n[1], n[2], n[3])
	}, func() bool {
		n = js[[]int](t, ctx, filled)
		return n[0] == 9 && n[1] == 7 && n[2] >= 20 && n[3] > 10
	})
	jsAwait[bool](t, ctx, `document.fonts.ready.then(() => true)`)

	t.Run("nothing cut off", func(t *testing.T) {
		checkNothingClipped(t, ctx, "#screen")
		// Each shown ticker row names its case (its message starts with it).
		rows := js[[]string](t, ctx, `[...document.querySelectorAll('#ticker li:not([hidden])')].map(li =>
			li.dataset.case + '|' + li.querySelector('.msg').textContent)`)
		for _, r := range rows {
			id, msg, _ := strings.Cut(r, "|")
			if id != "" && !strings.Contains(msg, id) {
				t.Errorf("ticker row of %s does not show its case number: %q", id, msg)
			}
		}
		// Long names are whole: the longest department name is in the risk table.
		if !js[bool](t, ctx, `[...document.querySelectorAll('#depts td.name')].some(td => td.textContent === '区市场监督管理局（食品安全）')`) {
			t.Error("the risk table does not show 区市场监督管理局（食品安全） whole")
		}
	})

	t.Run("the trend: whole-number axes, every label inside", func(t *testing.T) {
		wholeTicks := func(sel string) {
			t.Helper()
			ticks := js[[]string](t, ctx, `[...document.querySelectorAll('`+sel+` text[data-axis=y]')].map(e => e.textContent)`)
			if len(ticks) < 3 {
				t.Fatalf("y-axis ticks: %v", ticks)
			}
			for _, v := range ticks {
				if !regexp.MustCompile(`^\d+$`).MatchString(v) {
					t.Errorf("y-axis tick %q is not a whole number (all: %v)", v, ticks)
				}
			}
		}
		wholeTicks("#trend")
		// The demo's dates and counts are what they are; the hard cases are drawn in a box
		// of the trend's size laid over it: the widest last date (12/31) and small counts
		// whose even split would fall on halves (a top of 7 or 10).
		for _, top := range []int{3, 7, 10, 33} {
			jsAwait[bool](t, ctx, fmt.Sprintf(`(async () => {
				const { drawTrend } = await import('/assets/trend.js');
				const under = document.getElementById('trend'), r = under.getBoundingClientRect();
				const box = document.createElement('div');
				box.id = 'trend-probe';
				box.className = 'chart';
				Object.assign(box.style, { position: 'absolute', left: r.left + 'px', top: r.top + 'px', width: r.width + 'px', height: r.height + 'px' });
				document.body.append(box);
				const rows = [];
				for (let i = 0; i < 30; i++) {
					const d = new Date(Date.UTC(2026, 11, 2 + i));
					rows.push({ date: d.toISOString().slice(0, 10), decided: i === 29 ? %d : i %% 3, decided_late: i %% 4 === 0 ? 1 : 0 });
				}
				drawTrend(box, rows);
				return true; })()`, top))
			wholeTicks("#trend-probe")
			if last := js[string](t, ctx, `[...document.querySelectorAll('#trend-probe text[data-axis=x]')].pop().textContent`); last != "12/31" {
				t.Errorf("the last date label: %q, want 12/31", last)
			}
			checkNothingClipped(t, ctx, "#trend-probe")
			js[bool](t, ctx, `(document.getElementById('trend-probe').remove(), true)`)
		}
	})

	t.Run("one meaning of 红牌", func(t *testing.T) {
		// 红牌/黄牌 count cases; alerts are 红色预警/黄色预警.
		figs := js[string](t, ctx, `[...document.querySelectorAll('.fig .label')].map(e => e.textContent).join(' ')`)
		if !strings.Contains(figs, "黄牌办件") || !strings.Contains(figs, "红牌办件") {
			t.Errorf("figure labels: %s", figs)
		}
		ticker := js[string](t, ctx, `document.querySelector('.ticker').innerText`)
		if strings.Contains(ticker, "红牌") || strings.Contains(ticker, "黄牌") || !strings.Contains(ticker, "红色预警") {
			t.Errorf("the alert ticker speaks of 红牌/黄牌 (cases) for alerts:\n%s", ticker)
		}
	})

	t.Run("names, not codes", func(t *testing.T) {
		// Department codes never appear in a sentence on the screen: not in the ticker's
		// rows and messages, nor in the tables.
		codes := js[[]string](t, ctx, `[...document.querySelectorAll('#depts tr')].map(tr => tr.dataset.dept)`)
		text := js[string](t, ctx, `document.getElementById('screen').innerText + '\n' +
			[...document.querySelectorAll('#ticker li')].map(li => li.textContent).join('\n')`)
		names := map[string]string{}
		for _, c := range codes {
			if regexp.MustCompile(`(^|[^A-Za-z0-9-])` + c + `([^A-Za-z0-9-]|$)`).MatchString(text) {
				t.Errorf("the department code %q appears on the screen:\n%s", c, text)
			}
			names[c] = js[string](t, ctx, `document.querySelector('#depts tr[data-dept="`+c+`"] td.name').textContent`)
		}
		// The demo's handlers reach the fault threshold within the first minutes: their
		// alert's message names the department.
		var faults []map[string]any
		within(t, "a fault_threshold alert", time.Minute, func() bool {
			faults = alertsOf(t, in, "", "kind=fault_threshold")
			return len(faults) > 0
		})
		for _, a := range faults {
			dept, _ := a["department"].(string)
			msg, _ := a["message"].(string)
			if names[dept] == "" || !strings.Contains(msg, "（"+names[dept]+"）") || strings.Contains(msg, "（"+dept+"）") {
				t.Errorf("fault_threshold of %s: message %q does not name the department %q", dept, msg, names[dept])
			}
		}
	})

	t.Run("the shipped font", func(t *testing.T) {
		checkShippedFont(t, ctx, in.Base)
	})

	t.Run("case view", func(t *testing.T) {
		// The newest alert's case (on a loaded machine the ticker may still be filling).
		const row = `#ticker li:not([hidden])[data-case]:not([data-case=""])`
		waitPage(t, ctx, "a ticker row with a case", `!!document.querySelector('`+row+`')`, 30*time.Second)
		// Pick a row and click it in one step inside the page: the ticker moves on, and a
		// row picked first may be gone by the time a separate click looks for it (chromedp's
		// Click then waits for ever).
		id := js[string](t, ctx, `(() => { const r = document.querySelector('`+row+`');
			r.querySelector('.msg').click(); return r.dataset.case; })()`)
		code, c, _ := in.Do("GET", "/api/v1/cases/"+id, "", "")
		if code != 200 {
			t.Fatalf("case %s: %d %v", id, code, c)
		}
		waitPage(t, ctx, "the case view", `!!document.querySelector('#case:not([hidden]) [data-case=matter]')`, 10*time.Second)
		checkNothingClipped(t, ctx, "#case")
		if got := js[string](t, ctx, `document.querySelector('[data-case=matter]').textContent`); got != c["matter_name"] || got == "" {
			t.Errorf("case view shows matter %q, want its name %v (code %v)", got, c["matter_name"], c["matter"])
		}
		if got := js[string](t, ctx, `document.querySelector('[data-case=department]').textContent`); got != c["department_name"] || got == "" {
			t.Errorf("case view shows department %q, want its name %v", got, c["department_name"])
		}
		counts := js[string](t, ctx, `document.querySelector('[data-case=counts]').textContent`)
		if r, ok := c["remaining_days"].(float64); ok && r < 0 && !strings.Contains(counts, fmt.Sprintf("已超期%d个工作日", int(-r))) {
			t.Errorf("remaining %v: the case view says %q, want 已超期 %d 个工作日", r, counts, int(-r))
		}
		if strings.Contains(counts, "剩余-") || strings.Contains(counts, "剩余−") {
			t.Errorf("the case view shows a negative remainder: %q", counts)
		}
		if os.Getenv("DUBAN_SCREENSHOT") != "" {
			shot(t, ctx, "../docs/screenshots/case.png")
		}
		if err := chromedp.Do(ctx, chromedp.Click(chromedp.ID("case-close"))); err != nil {
			t.Fatal(err)
		}
		waitPage(t, ctx, "the case view to close", `document.getElementById('case').hidden`, 2*time.Second)
	})

	// The picture docs/screen.md and the README show: the demo's screen.
	if os.Getenv("DUBAN_SCREENSHOT") != "" {
		checkNothingClipped(t, ctx, "#screen")
		shot(t, ctx, "../docs/screenshots/wall.png")
	}

	t.Run("the department view of the longest name", func(t *testing.T) {
		if err := chromedp.Do(ctx, chromedp.Navigate(in.Base+"/?department=food")); err != nil {
			t.Fatal(err)
		}
		waitPage(t, ctx, "the food department's screen", `document.getElementById('scope').textContent === '区市场监督管理局（食品安全）' &&
			document.querySelectorAll('#ranking tbody tr.mine').length === 1 && document.querySelectorAll('#ticker li').length > 0 &&
			document.querySelectorAll('#trend svg').length === 1`, 20*time.Second)
		jsAwait[bool](t, ctx, `document.fonts.ready.then(() => true)`)
		checkNothingClipped(t, ctx, "#screen")
	})
}

// within polls fn every 200 ms until it holds, for at most d: the demo's pace, slower under
// -race on a busy machine than eventually's 10 s allow.
func within(t *testing.T, what string, d time.Duration, fn func() bool) {
	t.Helper()
	eventually.Every(t, d, 200*time.Millisecond, func() string { return what }, fn)
}

// shot saves a screenshot of the page.
func shot(t *testing.T, ctx context.Context, path string) {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Errorf("save the screenshot: %v", err)
	}
}
