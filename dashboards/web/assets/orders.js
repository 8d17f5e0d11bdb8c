// A supervision order (督办单) drawn for people: its facts, each round's reply, the latest
// review and the whole history. Used by the workbench's order page and by the wall screen's
// case view. Everything is set as text (el), never as HTML: causes, measures and notes are
// typed by people.

import {
  el, fmtTime, fmtDate, orderStateName, orderKindName, orderActionName, decisionName, responsibilityName,
} from './text.js';

// orderBadges: the order's state and its marks (逾期, 升级, 期限暂定).
export function orderBadges(o) {
  return el('span', { class: 'badges' },
    el('span', { class: `ostate ostate-${o.state}`, 'data-order-state': o.state }, orderStateName[o.state] || o.state),
    o.overdue && el('span', { class: 'omark omark-overdue' }, '逾期未反馈'),
    o.escalated && el('span', { class: 'omark omark-escalated' }, '已升级'),
    o.provisional && el('span', { class: 'omark' }, '期限暂按推算'));
}

// dueText: "2026年3月27日（当日 24:00 止）" for a reply deadline.
export function dueText(d) {
  if (!d || !d.date) return '—';
  // A reply deadline ends at 24:00 of its day, written by the service as 00:00 of the next.
  const end = fmtTime(d.at);
  const midnight = /00:00$/.test(end) && (d.at || '').slice(0, 10) !== d.date;
  return `${fmtDate(d.date)}（${midnight ? '当日 24:00' : '至 ' + end} 止）`;
}

// responsibleTable lists who bears what responsibility; absent when the reader may not see
// names (the API leaves the field out).
export function responsibleTable(list) {
  if (!list || !list.length) return el('p', { class: 'muted' }, '未列明责任人');
  return el('table', { class: 'otable resp' },
    el('thead', null, el('tr', null, el('th', null, '承办人'), el('th', null, '责任'))),
    el('tbody', null, ...list.map((r) => el('tr', null, el('td', null, r.handler),
      el('td', null, responsibilityName[r.responsibility] || r.responsibility)))));
}

// replyCard: one round's reply.
export function replyCard(r) {
  return el('div', { class: 'reply', 'data-round': r.round },
    el('h4', null, `第${r.round}轮反馈`, r.late && el('span', { class: 'omark omark-overdue' }, '逾期反馈'),
      el('span', { class: 'muted' }, ` ${fmtTime(r.at)} · ${r.by}`)),
    el('dl', null,
      el('dt', null, '原因'), el('dd', { 'data-reply': 'cause' }, r.cause),
      el('dt', null, '整改措施'), el('dd', { 'data-reply': 'measures' }, r.measures),
      el('dt', null, '是否办结'), el('dd', null, r.completed ? '已办结' : '尚未办结')),
    'responsible' in r ? responsibleTable(r.responsible) : null);
}

// reviewBlock: the latest decision on the order.
export function reviewBlock(v) {
  if (!v) return null;
  return el('div', { class: `review review-${v.decision}` },
    el('h4', null, decisionName[v.decision] || v.decision, el('span', { class: 'muted' }, ` ${fmtTime(v.at)} · ${v.by}`)),
    v.note && el('p', { 'data-review': 'note' }, v.note),
    'responsible' in v && v.responsible && v.responsible.length ? responsibleTable(v.responsible) : null);
}

// historyTable: every action on the order, oldest first, with its round.
export function historyTable(o) {
  const rows = (o.history || []).map((h) => el('tr', { 'data-action': h.action },
    el('td', null, fmtTime(h.at)),
    el('td', null, h.round ? `第${h.round}轮` : ''),
    el('td', null, orderActionName[h.action] || h.action),
    el('td', null, h.by || ''),
    el('td', { class: 'note' }, h.note || '')));
  return el('table', { class: 'otable history' },
    el('thead', null, el('tr', null, el('th', null, '时间'), el('th', null, '轮次'), el('th', null, '操作'),
      el('th', null, '经办'), el('th', null, '说明'))),
    el('tbody', null, ...rows));
}

// orderSummary: the lines that say what the order is about.
export function orderSummary(o, deptName) {
  return el('dl', { class: 'ofacts' },
    el('dt', null, '编号'), el('dd', { 'data-order': 'number' }, `${o.number}（${o.id}）`),
    el('dt', null, '被督办部门'), el('dd', { 'data-order': 'department' }, deptName(o.department)),
    el('dt', null, '督办类型'), el('dd', null, orderKindName[o.kind] || o.kind),
    el('dt', null, '状态'), el('dd', null, orderBadges(o), o.round > 1 ? ` 第${o.round}轮` : ''),
    el('dt', null, '反馈期限'), el('dd', { 'data-order': 'reply_due' }, dueText(o.reply_due)),
    el('dt', null, '开单'), el('dd', null, `${fmtTime(o.opened_at)} · ${o.opened_by}`),
    el('dt', null, '涉及办件'), el('dd', { 'data-order': 'cases' }, (o.case_ids || []).join('、') || '—'),
    el('dt', null, '督办意见'), el('dd', { class: 'opinion', 'data-order': 'opinion' }, o.opinion));
}

// orderBody: the whole order as read: summary, replies, review, history.
export function orderBody(o, deptName) {
  const replies = o.replies || [];
  return [
    orderSummary(o, deptName),
    el('h3', null, `部门反馈（${replies.length}）`),
    replies.length ? el('div', { class: 'replies' }, ...replies.map(replyCard)) : el('p', { class: 'muted' }, '尚未反馈'),
    o.review && el('h3', null, '审核'),
    reviewBlock(o.review),
    el('h3', null, '办理记录'),
    historyTable(o),
  ].filter(Boolean);
}
