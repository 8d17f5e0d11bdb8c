// The case view: a case's deadlines, its clocks on a calendar strip (counted, stopped and
// non-working days), why each deadline falls where it does — the Chinese notes of the
// API's `timeline` — and its events.

import {
  el, fmtDate, fmtTime, fmtShortDate, weekday, clockName, eventName, reasonName, resultName,
  statusName, stageName, levelName,
} from './text.js';
import { orderBody } from './orders.js';

const dueFields = [
  ['acceptance_due', '受理期限'],
  ['decision_due_promised', '承诺办结期限'],
  ['decision_due_statutory', '法定办结期限'],
  ['delivery_due', '送达期限'],
];

export function renderCase(box, c, deptName) {
  const today = (c.computed_at || '').slice(0, 10);
  const states = dueStates(c);
  box.replaceChildren(
    head(c, deptName),
    dues(c, states),
    counts(c),
    el('h3', null, '计时日历'),
    keys(),
    ...strips(c.timeline || [], today, c, states),
    el('h3', null, '期限为何落在此日'),
    why(c.timeline || []),
    el('h3', null, `办件事件（${(c.events || []).length}）`),
    events(c.events || []),
  );
}

export function renderCaseError(box, text) {
  box.replaceChildren(el('p', { class: 'case-error' }, text));
}

function head(c, deptName) {
  const lvl = c.level || 'green';
  return el('div', { class: 'case-head' },
    el('h2', { id: 'case-title' }, `办件 ${c.case_id} `, el('span', { class: `lvl lvl-${lvl}` }, levelName[lvl] || lvl)),
    el('div', { class: 'meta' },
      el('span', null, '部门 ', el('b', { 'data-case': 'department', title: c.department }, c.department_name || deptName || c.department)),
      el('span', null, '事项 ', el('b', { 'data-case': 'matter', title: c.matter }, c.matter_name || c.matter)),
      el('span', null, '状态 ', el('b', { 'data-case': 'status' }, statusName[c.status] || c.status)),
      el('span', null, '阶段 ', el('b', null, stageName[c.stage] || c.stage)),
      c.handler && el('span', null, '承办人 ', el('b', null, c.handler)),
      el('span', null, '提交 ', el('b', null, fmtTime(c.submitted_at))),
      c.deemed_accepted && el('span', null, el('b', null, '视为受理')),
      c.clock_stopped && el('span', null, el('b', null, '计时暂停中')),
      c.result && el('span', null, '决定 ', el('b', null, resultName[c.result] || c.result)),
      c.provisional && el('span', null, el('b', null, '期限暂按推算（节假日安排未发布）')),
    ));
}

// instant parses an RFC 3339 time with nanoseconds (Date.parse takes milliseconds).
function instant(s) {
  return Date.parse((s || '').replace(/(\.\d{3})\d+/, '$1'));
}

// stageEnd is the time the stage a deadline belongs to was completed — accepted (or
// refused), decided, delivered — or '' while it is not.
function stageEnd(c, field) {
  switch (field) {
    case 'acceptance_due':
      if (c.deemed_accepted) return ''; // the period ran out: accepted by law, not in time
      return c.accepted_at || (c.status === 'not_accepted' ? c.closed_at : '') || '';
    case 'delivery_due':
      return c.status === 'delivered' ? c.closed_at || '' : '';
    default:
      return c.decided_at || '';
  }
}

// dueStates says how each deadline stands: 'met' (its stage completed in time), 'late'
// (completed after it), 'missed' (not completed and passed), 'open' (still ahead) or 'ended'
// (the case closed otherwise: withdrawn, refused). Only late and missed are drawn red.
function dueStates(c) {
  const now = instant(c.computed_at);
  const out = {};
  for (const [f] of dueFields) {
    const d = c[f];
    if (!d) continue;
    const at = instant(d.at);
    const end = stageEnd(c, f);
    if (end) out[f] = instant(end) <= at ? 'met' : 'late';
    else if (c.stage === 'closed') out[f] = 'ended';
    else out[f] = now >= at || (f === 'acceptance_due' && c.deemed_accepted) ? 'missed' : 'open';
  }
  return out;
}

const dueNote = {
  met: '按时完成', late: '超期完成', missed: '已超期', ended: '办件已终结',
};

function dues(c, states) {
  const box = el('div', { class: 'dues' });
  for (const [f, label] of dueFields) {
    const d = c[f];
    if (!d) continue;
    const st = states[f];
    const note = f === 'acceptance_due' && c.deemed_accepted ? '期满未受理，视为受理' : dueNote[st];
    box.append(el('div', { class: `due ${st}`, 'data-due': f, 'data-state': st },
      el('div', { class: 'k' }, label, note && el('span', { class: 'st' }, note)),
      el('div', { class: 'd' }, fmtDate(d.date)),
      el('div', { class: 'at' }, `星期${weekday(d.date)} · 至 ${fmtTime(d.at)} 止`)));
  }
  if (!box.childElementCount) box.append(el('div', { class: 'due' }, el('div', { class: 'k' }, '暂无期限')));
  return box;
}

// The current stage's clock, the deadline its day counts refer to, and that limit's name.
const stageClock = {
  acceptance: ['acceptance', 'acceptance_due', '受理期限'],
  decision: ['decision', 'decision_due_promised', '承诺时限'],
  delivery: ['delivery', 'delivery_due', '送达期限'],
};

// limitOf reads a limit in working days off the timeline: the running count on its
// deadline day (extensions included).
function limitOf(tl, clock, date) {
  const e = tl.find((x) => x.clock === clock && x.kind === 'counted' && x.date === date);
  return e ? e.count : null;
}

// counts explains the day counts: used counts the working days before today, remaining
// those from today to the deadline day, so that the two add up to the limit; past the
// deadline, how many working days it is overdue, today included.
function counts(c) {
  const n = (v) => (v === null || v === undefined ? '—' : v);
  const tail = [
    ' · 暂停不计', el('b', null, n(c.suspended_days)), '个工作日 · 延期', el('b', null, n(c.extension_days)), '个工作日'];
  const sc = stageClock[c.stage];
  if (!sc) {
    return el('div', { class: 'counts', 'data-case': 'counts' },
      `${stageName[c.stage] || c.stage} · 最后阶段共用`, el('b', null, n(c.used_days)), '个工作日', ...tail);
  }
  const [clock, field, limitName] = sc;
  const limit = c[field] ? limitOf(c.timeline || [], clock, c[field].date) : null;
  const r = c.remaining_days;
  let left = [];
  if (r !== null && r !== undefined) {
    left = r < 0
      ? [' · ', el('span', { class: 'over' }, '已超期', el('b', null, -r), '个工作日'), '（含今日）']
      : [' · 剩余', el('b', null, r), '个工作日（含今日）'];
  }
  return el('div', { class: 'counts', 'data-case': 'counts' },
    `本阶段（${stageName[c.stage]}）已用`, el('b', null, n(c.used_days)), '个工作日（截至昨日）',
    limit !== null ? `，${limitName}` : '', limit !== null ? el('b', null, limit) : '', limit !== null ? '个工作日' : '',
    ...left, c.clock_stopped ? '（计时暂停中）' : '', ...tail);
}

function keys() {
  const k = (cls, text) => el('span', null, el('span', { class: 'day ' + cls }), text);
  return el('div', { class: 'keys' },
    k('start', '起算日（不计入）'), k('counted', '计入的工作日'), k('stopped', '暂停，不计入'),
    k('off', '周末、节假日'), k('counted deadline', '期限届满日'), k('counted deadline met', '按时完成的期限'),
    k('counted deadline late', '超过的期限'), k('counted today', '今天'));
}

// addDay: the next YYYY-MM-DD (calendar arithmetic in UTC, free of zones).
function addDay(date) {
  const [y, m, d] = date.split('-').map(Number);
  return new Date(Date.UTC(y, m - 1, d + 1)).toISOString().slice(0, 10);
}

// The deadlines drawn on each clock's strip.
const clockDues = {
  acceptance: ['acceptance_due'],
  decision: ['decision_due_promised', 'decision_due_statutory'],
  delivery: ['delivery_due'],
};

// strips draws one row of day cells per clock, from its start to the last day listed.
function strips(tl, today, c, states) {
  const byClock = new Map();
  for (const e of tl) {
    if (!byClock.has(e.clock)) byClock.set(e.clock, []);
    byClock.get(e.clock).push(e);
  }
  const out = [];
  for (const [clock, entries] of byClock) {
    const days = new Map();
    let first = '', last = '';
    for (const e of entries) {
      if (!days.has(e.date)) days.set(e.date, []);
      days.get(e.date).push(e);
      if (!first || e.date < first) first = e.date;
      if (!last || e.date > last) last = e.date;
    }
    // How each deadline day of this clock stands: red only when it was not kept.
    const dueDays = new Map();
    for (const f of clockDues[clock] || []) {
      if (c[f]) dueDays.set(c[f].date, states[f]);
    }
    const strip = el('div', { class: 'strip', 'data-clock': clock });
    let guard = 0;
    for (let d = first; d && d <= last && guard < 800; d = addDay(d), guard++) {
      strip.append(dayCell(d, days.get(d) || [], today, dueDays.get(d)));
    }
    out.push(el('div', { class: 'strip-label' }, clockName[clock] || clock), strip);
  }
  if (!out.length) out.push(el('p', { class: 'hint' }, '该办件尚无计时记录'));
  return out;
}

function dayCell(date, entries, today, dueState) {
  const kinds = new Set(entries.map((e) => e.kind));
  let cls = 'day';
  let mark = '';
  if (kinds.has('start')) { cls += ' start'; mark = '起'; }
  else if (kinds.has('counted')) {
    cls += ' counted';
    mark = String(entries.find((e) => e.kind === 'counted').count || '');
  } else if (kinds.has('stopped')) { cls += ' stopped'; mark = '停'; }
  else if (kinds.has('off')) { cls += ' off'; mark = '休'; }
  if (kinds.has('deadline')) {
    cls += ' deadline';
    if (dueState === 'met') cls += ' met';
    else if (dueState === 'late' || dueState === 'missed') cls += ' late';
  }
  if (kinds.has('extension')) cls += ' ext';
  if (date === today) cls += ' today';
  const [, m, d] = date.split('-');
  const title = [`${date}（星期${weekday(date)}）`, ...entries.map((e) => e.note).filter(Boolean)].join('\n');
  return el('div', { class: cls, title, 'data-date': date }, `${+m}/${+d}`, el('span', { class: 'n' }, mark));
}

// why lists what moves a deadline: each clock's start, stops, holidays, extensions,
// supplement waits and the deadlines themselves; runs of the same stop or holiday are one
// line.
function why(tl) {
  const list = el('ol', { class: 'why' });
  let run = null;
  const flush = () => {
    if (!run) return;
    const span = run.from === run.to ? fmtDate(run.from) : `${fmtDate(run.from)}—${fmtShortDate(run.to)}`;
    list.append(el('li', { 'data-kind': run.kind }, el('span', { class: 'dt' }, `${clockName[run.clock] || ''} ${span}`), run.note));
    run = null;
  };
  for (const e of tl) {
    if (e.kind === 'counted' || (e.kind === 'off' && /^周末/.test(e.note || ''))) continue;
    if ((e.kind === 'stopped' || e.kind === 'off') && run && run.kind === e.kind && run.note === e.note && run.clock === e.clock) {
      run.to = e.date;
      continue;
    }
    flush();
    run = { kind: e.kind, clock: e.clock, from: e.date, to: e.date, note: e.note || '' };
  }
  flush();
  if (!list.childElementCount) list.append(el('li', null, '无'));
  return list;
}

function events(evs) {
  const rows = evs.map((e) => el('tr', null,
    el('td', null, fmtTime(e.at)),
    el('td', null, eventName[e.type] || e.type),
    el('td', null, e.handler || ''),
    el('td', null, detail(e)),
    el('td', null, e.received_at ? fmtTime(e.received_at) : '')));
  return el('table', { class: 'table events' },
    el('thead', null, el('tr', null, el('th', null, '发生时间'), el('th', null, '事件'), el('th', null, '承办人'),
      el('th', null, '说明'), el('th', null, '报送时间'))),
    el('tbody', null, ...rows));
}

function detail(e) {
  const bits = [];
  if (e.reason) bits.push(`原因：${reasonName[e.reason] || e.reason}`);
  if (e.days) bits.push(`${e.days}个工作日`);
  if (e.approver) bits.push(`批准人 ${e.approver}`);
  if (e.result) bits.push(resultName[e.result] || e.result);
  if (e.amount_yuan) bits.push(`${e.amount_yuan} 元`);
  if (e.ref) bits.push(`撤销事件 ${e.ref}`);
  if (e.note) bits.push(e.note);
  return bits.join('；');
}

// renderCaseOrders adds the case's supervision orders (督办单), each with its rounds and
// history, below the case; list is null when they could not be read. A supervisor gets a
// link to the workbench's form that opens an order on the case.
export function renderCaseOrders(box, caseId, list, deptName, canOpen) {
  const sec = el('section', { class: 'case-orders', 'data-case': 'orders' },
    el('h3', null, `督办记录（${list ? list.length : '—'}）`,
      canOpen && el('a', { class: 'act-link', href: '/workbench?case=' + encodeURIComponent(caseId), target: '_blank', rel: 'noopener' }, ' 开具督办单')));
  if (list === null) sec.append(el('p', { class: 'hint' }, '督办记录暂不可读'));
  else if (!list.length) sec.append(el('p', { class: 'hint' }, '该办件没有督办单'));
  for (const o of list || []) {
    sec.append(el('div', { class: 'order-card', 'data-order': o.id }, ...orderBody(o, deptName)));
  }
  box.append(sec);
}
