// The wall screen's 督办 list: the supervision orders still pending (open or replied), worst
// first — escalated, then overdue, then waiting for a reply, then waiting for review — and
// the ones that just closed or were withdrawn, for a few minutes, so the room sees the loop
// close. Filled from GET /api/v1/orders, kept current by the live feed's `order` messages.
// Bounded like the ticker: a screen left on the wall for weeks holds the same memory.

import { el, orderStateName, fmtShortDate } from './text.js';
import { fitText, fitRows, placeRows } from './layout.js';

const maxKept = 300;
const maxShown = 12;
const doneMs = 10 * 60e3; // how long a closed or withdrawn order stays listed
const freshMs = 60e3;

function rank(o) {
  if (o.state === 'open' && o.escalated) return 0;
  if (o.state === 'open' && o.overdue) return 1;
  if (o.state === 'open') return 2;
  if (o.state === 'replied') return 3;
  return 4;
}

// newer: a has changed since b (a higher revision, or with none a longer history).
function newer(a, b) {
  const ra = a.revision || 0, rb = b.revision || 0;
  if (ra !== rb) return ra > rb;
  return (a.history || []).length > (b.history || []).length;
}

export class OrderList {
  constructor(list, empty, count) {
    this.list = list;
    this.empty = empty;
    this.count = count;
    this.items = new Map(); // id → {o, until, fresh}
    this.rows = new Map(); // id → li, reused while the order is unchanged
  }

  // put merges one order (newer revisions win); live marks a change seen while running.
  // It reports whether the list changed.
  put(o, live) {
    if (!o || !o.id) return false;
    const prev = this.items.get(o.id);
    if (prev && !newer(o, prev.o)) return false;
    const pending = o.state === 'open' || o.state === 'replied';
    if (!pending && !live && !prev) return false; // an old closed order from a read: not news
    const now = Date.now();
    // Only an order first seen live slides in; a change of one already listed does not
    // move it again.
    const fresh = prev ? prev.fresh : live ? now + freshMs : 0;
    this.items.set(o.id, { o, until: pending ? 0 : now + doneMs, fresh });
    if (this.items.size > maxKept) {
      const done = [...this.items.entries()].filter(([, it]) => it.until).sort((a, b) => a[1].until - b[1].until);
      for (const [id] of done) {
        if (this.items.size <= maxKept) break;
        this.items.delete(id);
      }
    }
    return true;
  }

  // expire drops closed orders whose time is up and ends highlights; it reports a change.
  expire(now) {
    let changed = false;
    for (const [id, it] of this.items) {
      if (it.until && it.until <= now) {
        this.items.delete(id);
        changed = true;
      } else if (it.fresh && it.fresh <= now) {
        it.fresh = 0;
        changed = true;
      }
    }
    return changed;
  }

  render(deptName) {
    const all = [...this.items.values()].sort((x, y) => rank(x.o) - rank(y.o) ||
      (x.o.reply_due?.at || '').localeCompare(y.o.reply_due?.at || '') || (x.o.id < y.o.id ? -1 : 1));
    const keep = new Set();
    const nodes = all.slice(0, maxShown).map((it) => {
      keep.add(it.o.id);
      return this.row(it, deptName);
    });
    for (const id of this.rows.keys()) if (!keep.has(id)) this.rows.delete(id);
    placeRows(this.list, this.empty, nodes);
    for (const n of nodes) fitText(n.querySelector('.what'), 16);
    fitRows(this.list, nodes);
    const pending = all.filter((it) => rank(it.o) < 4).length;
    this.count.textContent = pending ? `督办中 ${pending}` : '';
  }

  row(it, deptName) {
    const o = it.o;
    const sig = `${o.revision}|${(o.history || []).length}|${o.state}|${o.overdue}|${o.escalated}|${it.fresh ? 1 : 0}|${deptName(o.department)}`;
    const had = this.rows.get(o.id);
    if (had && had.dataset.sig === sig) return had;
    const li = this.build(it, deptName);
    li.dataset.sig = sig;
    this.rows.set(o.id, li);
    return li;
  }

  build(it, deptName) {
    const o = it.o;
    const r = rank(o);
    const mark = r === 0 ? '已升级' : r === 1 ? '逾期未反馈' : orderStateName[o.state] || o.state;
    const cls = ['order', `order-${o.state}`];
    if (r <= 1) cls.push('late');
    if (it.fresh) cls.push('fresh');
    const due = o.state === 'open' ? `反馈期限 ${fmtShortDate(o.reply_due?.date)}` : '';
    return el('li', { class: cls.join(' '), dataset: { order: o.id, state: o.state, case: (o.case_ids || [])[0] || '' } },
      el('span', { class: 'mk' }, mark),
      el('span', { class: 'what' }, deptName(o.department)),
      el('span', { class: 'when' }, due),
      // The number and the cases wrap onto the second line rather than being cut.
      el('span', { class: 'msg' }, o.number, (o.case_ids || []).length ? ` · 办件 ${o.case_ids.join('、')}` : '',
        o.round > 1 ? ` · 第${o.round}轮` : ''));
  }
}
