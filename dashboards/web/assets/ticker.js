// The alert ticker's model and view. The model is bounded — at most maxKept alerts, and a
// bounded memory of removed ones — so a screen left on the wall for weeks holds the same
// memory on its last day as on its first; the view reuses one row element per alert shown, and clicks are handled once, on the
// list (app.js), not by a listener per row.

import { el, kindName, alertLevelName, fmtWhen } from './text.js';
import { fitText, fitRows, placeRows } from './layout.js';

const maxKept = 200; // alerts kept in memory
const maxShown = 24; // rows drawn; those that do not fit the panel whole are hidden
const maxGone = 1000; // ids of resolved or exempted alerts remembered, against stale reads
const freshMs = 60000; // how long a new alert stays highlighted

// timeKey orders RFC 3339 times with nanoseconds (Date.parse takes milliseconds).
function timeKey(s) {
  return Date.parse((s || '').replace(/(\.\d{3})\d+/, '$1')) || 0;
}

export class Ticker {
  constructor(list, empty, count) {
    this.list = list;
    this.empty = empty;
    this.count = count;
    this.items = new Map(); // id → {a, key, fresh}
    this.gone = new Map(); // id → revision
    this.rows = new Map(); // id → li
  }

  // put merges one alert; live marks an alert the screen sees for the first time while
  // running (highlighted), rather than one from the initial read. It reports whether the
  // list changed.
  put(a, live) {
    if (!a || !a.id) return false;
    const rev = a.revision || 0;
    const prev = this.items.get(a.id);
    if (prev && (prev.a.revision || 0) >= rev) return false;
    if (this.gone.has(a.id) && this.gone.get(a.id) >= rev) return false;
    if (a.state === 'resolved' || a.state === 'exempted') {
      this.items.delete(a.id);
      this.gone.delete(a.id);
      this.gone.set(a.id, rev);
      if (this.gone.size > maxGone) this.gone.delete(this.gone.keys().next().value);
      return !!prev;
    }
    const fresh = prev ? prev.fresh : live ? Date.now() + freshMs : 0;
    this.items.set(a.id, { a, key: timeKey(a.fired_at), fresh });
    if (this.items.size > maxKept) this.evict();
    return true;
  }

  // evict drops the oldest alerts, acknowledged ones first.
  evict() {
    const all = [...this.items.entries()].sort((x, y) =>
      (x[1].a.state === 'acknowledged' ? 0 : 1) - (y[1].a.state === 'acknowledged' ? 0 : 1) || x[1].key - y[1].key);
    for (let i = 0; this.items.size > maxKept; i++) this.items.delete(all[i][0]);
  }

  // expire reports whether a highlight ran out (the view then redraws).
  expire(now) {
    let changed = false;
    for (const it of this.items.values()) {
      if (it.fresh && it.fresh <= now) {
        it.fresh = 0;
        changed = true;
      }
    }
    return changed;
  }

  render(deptName, today) {
    // Newest first; at the same instant (a midnight burst) red before yellow.
    const shown = [...this.items.values()]
      .sort((x, y) => y.key - x.key || (x.a.level === 'red' ? 0 : 1) - (y.a.level === 'red' ? 0 : 1) || (x.a.id < y.a.id ? -1 : 1))
      .slice(0, maxShown);
    const keep = new Set();
    const nodes = shown.map((it) => {
      keep.add(it.a.id);
      return this.row(it, deptName, today);
    });
    for (const id of this.rows.keys()) if (!keep.has(id)) this.rows.delete(id);
    placeRows(this.list, this.empty, nodes);
    // Nothing cut: each headline fits its line (a long department name is drawn smaller),
    // and rows that do not fit the panel whole are hidden.
    for (const n of nodes) {
      n.hidden = false; // measured shown: a row hidden at the last redraw has no width
      fitText(n.querySelector('.what'), 17);
    }
    fitRows(this.list, nodes);
    let red = 0, yellow = 0;
    for (const it of this.items.values()) it.a.level === 'red' ? red++ : yellow++;
    this.count.textContent = this.items.size ? `${alertLevelName.red} ${red} · ${alertLevelName.yellow} ${yellow}` : '';
  }

  row(it, deptName, today) {
    const a = it.a;
    const who = a.department ? deptName(a.department) : '系统';
    // The department's name is part of the signature: names arrive with the overview,
    // possibly after the first rows were drawn with codes.
    const sig = `${a.revision}|${it.fresh ? 1 : 0}|${today}|${who}`;
    let li = this.rows.get(a.id);
    if (li && li.dataset.sig === sig) return li;
    const cls = ['alert', a.level === 'red' ? 'red' : 'yellow'];
    if (it.fresh) cls.push('fresh');
    if (a.state === 'acknowledged') cls.push('acknowledged');
    // Two lines: who and what, then the alert's own message, which names the case
    // ("办件 …") and wraps rather than being cut.
    const what = el('span', { class: 'what' }, `${who} · ${kindName[a.kind] || a.kind}`,
      a.state === 'acknowledged' ? el('span', { class: 'badge ack' }, '已确认') : null);
    const next = el('li', { class: cls.join(' '), dataset: { id: a.id, sig, case: a.case_id || '', dept: a.department || '', state: a.state } },
      el('span', { class: 'lv' }, alertLevelName[a.level] || a.level),
      what,
      el('span', { class: 'when' }, fmtWhen(a.fired_at, today)),
      el('span', { class: 'msg' }, a.message || (a.case_id ? `办件 ${a.case_id}` : '')));
    this.rows.set(a.id, next);
    return next;
  }
}
