// The wall screen. Data: GET /api/v1/overview, /trend, /alerts, /orders, /rankings/{month}
// and /cases/{id}, read with the session cookie; live changes from /ws (live.js). Rendering is
// batched into animation frames and stops while the tab is hidden; on return everything is
// read again. See docs/screen.md.

import { getJSON, q, casePath, HTTPError } from './api.js';
import { Live } from './live.js';
import { Ticker } from './ticker.js';
import { drawTrend } from './trend.js';
import { renderCase, renderCaseError, renderCaseOrders } from './caseview.js';
import { OrderList } from './orderlist.js';
import { el, fmtRate, fmtInt, offsetMinutes, clockText, hmsText, stageName } from './text.js';
import { fitText, fitRows } from './layout.js';

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
// A token bound to one department always gets its department's view; otherwise
// ?department= chooses one.
const bound = document.querySelector('meta[name="duban-department"]')?.content || '';
const dept = bound || params.get('department') || '';
const role = document.querySelector('meta[name="duban-role"]')?.content || '';

const refreshEvery = { overview: 60e3, trend: 5 * 60e3, ranking: 10 * 60e3 };
const hiddenGrace = 30e3; // a tab hidden this long closes its WebSocket
const maxDeptRows = 14;
const maxRankRows = 7;

const state = {
  overview: null, // the overview as read (whole, or the department's)
  figures: null, // the figures shown: the overview's, or its department entry's
  trend: null,
  ranking: null, // {status, data}
  names: new Map(), // department code → name
  skew: 0, // service time − this computer's time, ms
  zone: 480, // the service's zone offset, minutes
  lastUpdate: 0, // this computer's time of the last data received
  conn: 'connecting',
  month: '',
  day: '',
  fetched: { overview: 0, trend: 0, ranking: 0, orders: 0 },
  paused: document.hidden,
  needFill: true, // the ticker must be read from the REST API at the next subscription
  filled: false, // the ticker has been read from the REST API at least once
};

const ticker = new Ticker($('ticker'), $('ticker-empty'), $('ticker-count'));
const orders = new OrderList($('orders'), $('orders-empty'), $('orders-count'));
const live = new Live({
  filter: () => ({ departments: dept ? [dept] : [] }),
  onMessage,
  onState: setConn,
  onDown,
});

// --- rendering, batched per animation frame ------------------------------------------

const dirty = new Set();
let frame = 0;
const renderers = {
  figures: renderFigures, depts: renderDepts, trend: renderTrend, ranking: renderRanking,
  ticker: renderTicker, orders: renderOrders, conn: renderConn, scope: renderScope,
};

function mark(...parts) {
  for (const p of parts) dirty.add(p);
  if (state.paused || frame) return;
  frame = requestAnimationFrame(() => {
    frame = 0;
    if (state.paused) return;
    for (const p of dirty) renderers[p]();
    dirty.clear();
  });
}

function deptName(code) {
  return state.names.get(code) || code;
}

function renderScope() {
  $('scope').textContent = dept ? deptName(dept) : '全区';
  fitText($('scope').parentElement, 24);
  document.title = dept ? `${deptName(dept)} · 行政审批电子监察` : '行政审批电子监察';
}

function renderFigures() {
  const f = state.figures;
  if (!f) return;
  for (const b of document.querySelectorAll('[data-fig]')) {
    const k = b.dataset.fig;
    const text = k === 'on_time_rate_this_month' ? fmtRate(f[k], f.decided_this_month) : fmtInt(f[k]);
    if (b.textContent !== text) {
      b.textContent = text;
      b.classList.remove('changed');
      void b.offsetWidth; // restart the animation
      b.classList.add('changed');
    }
  }
}

function cell(n, cls) {
  return el('td', { class: n === 0 ? 'num-zero' : cls }, fmtInt(n));
}

function renderDepts() {
  const ov = state.overview;
  if (!ov) return;
  const body = $('depts');
  const more = $('depts-more');
  if (dept) {
    // A department's own screen: its open cases by stage.
    $('depts-title').textContent = '本部门在办阶段';
    $('depts-head').replaceChildren(el('tr', null, el('th', null, '阶段'), el('th', null, '在办')));
    const f = state.figures || { by_stage: {} };
    body.replaceChildren(...['acceptance', 'decision', 'delivery'].map((s) =>
      el('tr', null, el('td', null, stageName[s]), cell((f.by_stage || {})[s] || 0, ''))));
    more.hidden = true;
    return;
  }
  // The overview lists departments by risk: red, then yellow, then open cases. Every name
  // is shown whole (a long one smaller); rows that do not fit the panel are counted below.
  const rows = ov.departments || [];
  const trs = rows.slice(0, maxDeptRows).map((d) => el('tr', { dataset: { dept: d.department } },
    el('td', { class: 'name', title: d.name }, d.name || d.department),
    cell(d.open, ''), cell(d.yellow, 'num-yellow'), cell(d.red, 'num-red'),
    el('td', null, fmtRate(d.on_time_rate_this_month, d.decided_this_month))));
  body.replaceChildren(...trs);
  for (const tr of trs) fitText(tr.firstChild, 16);
  const panel = body.closest('.panel');
  for (let cut = 0; ; cut++) {
    const rest = rows.length - trs.length + cut;
    more.hidden = rest <= 0;
    more.textContent = `另有 ${rest} 个部门`;
    if (panel.scrollHeight <= panel.clientHeight + 1 || cut === trs.length) break;
    trs[trs.length - 1 - cut].hidden = true;
  }
}

function renderTrend() {
  if (state.trend) drawTrend($('trend'), state.trend);
}

function renderRanking() {
  const box = $('ranking');
  const r = state.ranking;
  const note = $('ranking-note');
  if (!r || r.status !== 200) {
    const text = !r ? '排名加载中…' : r.status === 404 ? '本月排名尚未生成' : r.status === 403 ? '无权查看排名' : '排名暂不可用';
    note.textContent = '';
    box.replaceChildren(el('p', { class: 'placeholder', 'data-ranking': 'none' }, text));
    return;
  }
  const data = r.data;
  note.textContent = data.provisional === false ? `（${data.month}）` : `（${data.month}，暂定）`;
  const all = [...(data.departments || [])].sort((a, b) =>
    (a.ranked === b.ranked ? 0 : a.ranked ? -1 : 1) || (a.rank ?? 0) - (b.rank ?? 0) || (b.decided - a.decided));
  let rows = all.slice(0, maxRankRows);
  const mine = dept && all.find((d) => d.department === dept);
  if (mine && !rows.includes(mine)) rows = [...rows.slice(0, maxRankRows - 1), mine];
  // A department with too few decided cases is not ranked: no place, and 样本不足 where
  // its score would be.
  const trs = rows.map((d) => {
    const ranked = d.ranked && d.rank !== null;
    return el('tr', { class: d.department === dept ? 'mine' : '', dataset: { dept: d.department } },
      el('td', null, ranked ? el('span', { class: `rank rank-${d.rank}` }, d.rank) : el('span', { class: 'unranked' }, '—')),
      el('td', { class: 'name', title: d.name }, d.name || d.department),
      el('td', null, ranked ? Number(d.score).toFixed(1) : el('span', { class: 'unranked' }, '样本不足')),
      el('td', null, fmtRate(d.on_time_rate, d.decided)),
      el('td', null, fmtInt(d.decided)));
  });
  box.replaceChildren(el('table', { class: 'table' },
    el('thead', null, el('tr', null, el('th', null, '名次'), el('th', { class: 'name' }, '部门'), el('th', null, '得分'),
      el('th', null, '按时率'), el('th', null, '办结'))),
    el('tbody', null, ...trs)));
  for (const tr of trs) fitText(tr.children[1], 16);
  fitRows(box.closest('.panel'), trs);
}

function renderTicker() {
  ticker.render(deptName, state.day);
}

function renderOrders() {
  orders.render(deptName);
}

function renderConn() {
  const c = $('conn');
  c.dataset.state = state.conn;
  if (state.conn === 'live') c.textContent = '实时';
  else if (state.conn === 'connecting') c.textContent = '连接中…';
  else {
    const at = state.lastUpdate ? `（最后更新 ${hmsText(state.lastUpdate + state.skew, state.zone)}）` : '';
    c.textContent = `重连中…${at}`;
  }
}

function tick() {
  $('clock').textContent = clockText(Date.now() + state.skew, state.zone);
  if (ticker.expire(Date.now())) mark('ticker');
  if (orders.expire(Date.now())) mark('orders');
}

// --- data ----------------------------------------------------------------------------

function touched() {
  state.lastUpdate = Date.now();
}

// setOverview takes an overview from the REST API or the live feed. In a department view
// the figures are that department's entry, whichever scope the overview had. Only a read
// (fresh) sets the clock, the day and the month: the feed sends an overview again only when
// its figures change, so its `at` may be as old as the last change.
function setOverview(ov, fresh) {
  if (!ov) return;
  let renamed = false;
  for (const d of ov.departments || []) {
    if (d.name && state.names.get(d.department) !== d.name) {
      state.names.set(d.department, d.name);
      renamed = true;
    }
  }
  let figs = ov;
  if (dept) {
    figs = (ov.departments || []).find((d) => d.department === dept);
    if (!figs) return;
  }
  state.overview = ov;
  state.figures = figs;
  touched();
  mark('figures', 'depts');
  if (renamed) mark('scope', 'ticker', 'orders');
  if (fresh && ov.at) setNow(ov.at);
}

// setNow takes the service's time from a fresh read: the clock's offset and zone, and the
// business day and month, whose change moves the trend and the ranking on.
function setNow(at) {
  const t = Date.parse(at.replace(/(\.\d{3})\d+/, '$1'));
  if (t) state.skew = t - Date.now();
  const z = offsetMinutes(at);
  if (z !== null) state.zone = z;
  const month = at.slice(0, 7);
  const day = at.slice(0, 10);
  if (month !== state.month) {
    state.month = month;
    loadRanking();
  }
  if (day !== state.day) {
    const first = !state.day;
    state.day = day;
    mark('ticker'); // its times are written relative to today
    if (!first) loadTrend(); // a new day: the trend moves on
  }
}

async function load(what, fn) {
  state.fetched[what] = Date.now();
  try {
    await fn();
    touched();
  } catch (err) {
    if (!(err instanceof HTTPError) || err.status !== 401) console.warn(`duban: ${what}:`, err.message);
  }
}

function loadOverview() {
  return load('overview', async () => setOverview(await getJSON('/api/v1/overview' + q({ department: dept })), true));
}

function loadTrend() {
  return load('trend', async () => {
    state.trend = await getJSON('/api/v1/trend' + q({ days: 30, department: dept }));
    mark('trend');
  });
}

function loadRanking() {
  if (!state.month) return Promise.resolve();
  return load('ranking', async () => {
    try {
      state.ranking = { status: 200, data: await getJSON(`/api/v1/rankings/${state.month}`) };
    } catch (err) {
      if (!(err instanceof HTTPError) || err.status === 401) throw err;
      state.ranking = { status: err.status || 503 };
    }
    mark('ranking');
  });
}

// fillTicker reads the open alerts (firing and acknowledged) to start the ticker; the live
// feed, subscribed before this read, brings every change after it.
async function fillTicker() {
  state.filled = true;
  await load('alerts', async () => {
    for (const st of ['firing', 'acknowledged']) {
      let cursor = '';
      for (let page = 0; page < 4; page++) {
        const r = await getJSON('/api/v1/alerts' + q({ state: st, department: dept, limit: 500, cursor }));
        for (const a of r.alerts || []) ticker.put(a, false);
        cursor = r.next_cursor;
        if (!cursor) break;
      }
    }
    mark('ticker');
  });
}

// fillOrders reads the pending supervision orders (open and replied) to start the 督办
// list; the live feed's `order` messages bring every change after it.
async function fillOrders() {
  await load('orders', async () => {
    for (const st of ['open', 'replied']) {
      let cursor = '';
      for (let page = 0; page < 3; page++) {
        const r = await getJSON('/api/v1/orders' + q({ state: st, department: dept, limit: 100, cursor }));
        for (const o of r.orders || []) orders.put(o, false);
        cursor = r.next_cursor;
        if (!cursor) break;
      }
    }
    mark('orders');
  });
}

function refreshAll() {
  loadOverview();
  loadTrend();
  loadRanking();
}

// --- the live feed ---------------------------------------------------------------------

function onMessage(msg) {
  touched();
  switch (msg.type) {
    case 'alert':
      if (ticker.put(msg.alert, true)) mark('ticker');
      break;
    case 'order':
      if (orders.put(msg.order, true)) mark('orders');
      break;
    case 'overview':
      setOverview(msg.overview, false);
      break;
    case 'subscribed':
      if (state.needFill) {
        state.needFill = false;
        fillTicker();
        fillOrders();
      }
      // Figures may have changed while the connection was down.
      loadOverview();
      if (Date.now() - state.fetched.trend > 30e3) loadTrend();
      break;
    case 'error':
      if (msg.field === 'since') state.needFill = true; // replay impossible: read afresh
      else console.warn('duban: /ws:', msg.error);
      break;
  }
}

function setConn(s) {
  if (state.conn === s) return;
  state.conn = s;
  mark('conn');
}

// onDown: the feed is down. The REST API still answers the figures (a replica without
// the feed, a proxy that refuses WebSockets), and a 401 there means the session is gone.
let probing = false;
function onDown() {
  if (probing || state.paused) return;
  const jobs = [];
  // Without the feed the ticker still starts from the REST API; the first subscription
  // reads it again, to close the gap before the subscription.
  if (!state.filled) jobs.push(fillTicker(), fillOrders());
  if (Date.now() - state.fetched.overview >= 5000) jobs.push(loadOverview());
  if (!jobs.length) return;
  probing = true;
  Promise.all(jobs).finally(() => { probing = false; });
}

// --- case lookup -------------------------------------------------------------------------

let caseSeq = 0;

async function openCase(id) {
  id = id.trim();
  if (!id) return;
  const seq = ++caseSeq;
  const box = $('case-body');
  $('case').hidden = false;
  renderCaseError(box, `正在查询办件 ${id}…`);
  setParam('case', id);
  try {
    const c = await getJSON(casePath(id));
    if (seq !== caseSeq) return;
    renderCase(box, c, deptName(c.department));
    // The case's supervision orders and their history, below the case.
    let list = null;
    try {
      list = (await getJSON('/api/v1/orders' + q({ case_id: c.case_id, limit: 100 }))).orders || [];
    } catch { /* not readable here: the section says so */ }
    if (seq === caseSeq) renderCaseOrders(box, c.case_id, list, deptName, role === 'supervisor');
  } catch (err) {
    if (seq !== caseSeq) return;
    const text = err.status === 404 ? `未找到办件 ${id}` : err.status === 400 ? `办件编号 ${id} 格式不正确`
      : err.status === 403 ? `无权查看办件 ${id}` : `查询失败，请稍后再试（${err.message}）`;
    renderCaseError(box, text);
  }
}

function closeCase() {
  caseSeq++;
  $('case').hidden = true;
  $('case-body').replaceChildren();
  setParam('case', '');
}

function setParam(k, v) {
  const p = new URLSearchParams(location.search);
  if (v) p.set(k, v);
  else p.delete(k);
  const s = p.toString();
  history.replaceState(null, '', location.pathname + (s ? '?' + s : ''));
}

// --- visibility, timers, layout ------------------------------------------------------------

let clockTimer = 0;
let refreshTimer = 0;
let hideTimer = 0;

function periodic() {
  const now = Date.now();
  if (now - state.fetched.overview >= refreshEvery.overview) loadOverview();
  if (now - state.fetched.trend >= refreshEvery.trend) loadTrend();
  if (now - state.fetched.ranking >= refreshEvery.ranking) loadRanking();
}

function resume() {
  state.paused = false;
  clearTimeout(hideTimer);
  hideTimer = 0;
  clearInterval(clockTimer);
  clearInterval(refreshTimer);
  clockTimer = setInterval(tick, 1000);
  refreshTimer = setInterval(periodic, 10e3);
  tick();
  live.start(); // no-op when still connected; else resumes from the cursor
  refreshAll();
  mark(...Object.keys(renderers));
}

function pause() {
  state.paused = true;
  clearInterval(clockTimer);
  clearInterval(refreshTimer);
  clockTimer = refreshTimer = 0;
  clearTimeout(hideTimer);
  hideTimer = setTimeout(() => live.stop(), hiddenGrace);
}

function fit() {
  const s = Math.min(innerWidth / 1920, innerHeight / 1080);
  const x = Math.max(0, (innerWidth - 1920 * s) / 2);
  const y = Math.max(0, (innerHeight - 1080 * s) / 2);
  $('screen').style.transform = `translate(${x}px, ${y}px) scale(${s})`;
}

function boot() {
  fit();
  addEventListener('resize', fit);
  // The trend is drawn to its box's size: draw it again when the box changes (the ranking
  // below it takes the height its rows need).
  new ResizeObserver(() => { if (state.trend) mark('trend'); }).observe($('trend'));
  // A font that arrives late (the shipped one on a machine without a Chinese font) changes
  // text widths: fit the names again.
  document.fonts.addEventListener('loadingdone', () => mark('scope', 'depts', 'ranking', 'ticker', 'orders'));
  document.addEventListener('visibilitychange', () => (document.hidden ? pause() : resume()));
  $('lookup').addEventListener('submit', (e) => {
    e.preventDefault();
    openCase($('lookup-id').value);
  });
  $('case-close').addEventListener('click', closeCase);
  $('case').addEventListener('click', (e) => { if (e.target === $('case')) closeCase(); });
  addEventListener('keydown', (e) => { if (e.key === 'Escape' && !$('case').hidden) closeCase(); });
  $('ticker').addEventListener('click', (e) => {
    const li = e.target.closest('li[data-case]');
    if (li && li.dataset.case) openCase(li.dataset.case);
  });
  if (params.get('case')) openCase(params.get('case'));
  mark('scope', 'conn');
  if (document.hidden) {
    state.paused = true;
    return; // started by the first visibilitychange
  }
  resume();
}

boot();
