// The 督办工作台. One page, three views chosen by the address:
//   /workbench                 the orders (filtered by ?state=, ?department=) and, for a
//                              supervisor, the red alerts that may be supervised;
//   /workbench?alert=ID[&alert=ID…] or ?case=ID
//                              a supervisor's form that opens an order on them;
//   /workbench?order=ID        one order: its facts, replies, review and history, the
//                              printable notice, and the forms the session's role may use
//                              (a liaison replies; a supervisor accepts, returns, withdraws).
// Reads and writes go to /api/v1 with the session cookie; writes carry the page's CSRF token
// (api.js). The service decides what each role may do; the page only leaves out the forms
// that would be refused. See docs/supervision.md.

import { getJSON, postJSON, newKey, q, orderPath, casePath, HTTPError } from './api.js';
import { orderBody, orderBadges, dueText } from './orders.js';
import {
  el, fmtTime, kindName, orderKindName, orderStateName, roleName, responsibilityName,
} from './text.js';

const $ = (id) => document.getElementById(id);
const meta = (n) => document.querySelector(`meta[name="${n}"]`)?.content || '';
const role = meta('duban-role');
const bound = meta('duban-department');
const params = new URLSearchParams(location.search);
const names = new Map();

const supervisor = role === 'supervisor' || role === 'admin';
const liaison = role === 'liaison';

// Alerts that may be supervised: of a case, neither exempted nor superseded (the service
// checks again).
const systemKinds = new Set(['calendar_missing', 'fault_threshold', 'fault_threshold_confirmed', 'order_overdue', 'order_escalated']);

function deptName(code) {
  return names.get(code) || code;
}

function go(query) {
  location.assign('/workbench' + q(query));
}

// Error texts: the service names the field; the page says it in Chinese.
const fieldName = {
  alerts: '预警', case_id: '办件', kind: '督办类型', opinion: '督办意见', reply_days: '反馈时限',
  cause: '原因', measures: '整改措施', completed: '是否办结', responsible: '责任认定', note: '说明',
  'X-CSRF-Token': '页面安全校验', Origin: '来源',
};

function failText(r) {
  const b = r.body || {};
  const field = b.field ? fieldName[b.field] || fieldName[b.field.replace(/\[\d+\].*$/, '')] || b.field : '';
  switch (r.status) {
    case 400: return field ? `「${field}」填写有误，请检查后重新提交。` : '填写有误，请检查后重新提交。';
    case 403: return b.field === 'X-CSRF-Token' || b.field === 'Origin' ? '页面已过期，请刷新页面后重试。' : '当前令牌无权执行此操作。';
    case 404: return '未找到对应的预警、办件或督办单。';
    case 409: return '督办单的状态已经变化，不能执行此操作；页面已刷新为最新状态。';
    case 429: return '操作过于频繁，请稍后再试。';
    default: return `服务暂不可用（${r.status}），请稍后再试。`;
  }
}

function showError(box, text, detail) {
  box.replaceChildren(el('p', { class: 'form-error', role: 'alert', title: detail || '' }, text));
}

function busy(form, on) {
  for (const b of form.querySelectorAll('button')) b.disabled = on;
}

// submit posts one form's body; the Idempotency-Key stays the same while the form is
// retried after a network failure, so a reply is never sent twice.
async function submit(form, path, body, onDone) {
  const err = form.querySelector('.form-errors');
  err.replaceChildren();
  if (!form.dataset.key) form.dataset.key = newKey();
  busy(form, true);
  let r;
  try {
    r = await postJSON(path, body, form.dataset.key);
  } catch (e) {
    busy(form, false);
    if (e instanceof HTTPError && e.status === 401) return;
    showError(err, '无法连接服务，请检查网络后重新提交。', e.message);
    return;
  }
  busy(form, false);
  if (r.status === 200 || r.status === 201) {
    delete form.dataset.key;
    onDone(r.body);
    return;
  }
  delete form.dataset.key; // a refusal is final for this body: a corrected one is new
  showError(err, failText(r), (r.body && r.body.error) || '');
  if (r.status === 409) setTimeout(() => location.reload(), 1500);
}

// --- the forms' parts ------------------------------------------------------------------

function textarea(name, label, required, value) {
  return el('label', { class: 'field' }, el('span', null, label, required && el('i', { class: 'req' }, '*')),
    el('textarea', { name, rows: 4, maxlength: 4000, required: required || null }, value || ''));
}

// responsibleEditor: rows of handler and responsibility, with a button to add one.
function responsibleEditor(initial) {
  const rows = el('tbody');
  const add = (r = { handler: '', responsibility: 'direct' }) => {
    const sel = el('select', { name: 'responsibility' },
      ...Object.entries(responsibilityName).map(([v, t]) => el('option', { value: v, selected: v === r.responsibility || null }, t)));
    const del = el('button', { type: 'button', class: 'link' }, '删除');
    const tr = el('tr', null, el('td', null, el('input', { name: 'handler', value: r.handler, maxlength: 128, placeholder: '承办人账号' })),
      el('td', null, sel), el('td', null, del));
    del.addEventListener('click', () => tr.remove());
    rows.append(tr);
  };
  for (const r of initial || []) add(r);
  const more = el('button', { type: 'button', class: 'link', 'data-add': 'responsible' }, '＋ 添加责任人');
  more.addEventListener('click', () => add());
  return el('div', { class: 'resp-editor' },
    el('table', { class: 'otable' }, el('thead', null, el('tr', null, el('th', null, '承办人'), el('th', null, '责任'), el('th'))), rows),
    more);
}

function readResponsible(box) {
  const out = [];
  for (const tr of box.querySelectorAll('tbody tr')) {
    const handler = tr.querySelector('[name=handler]').value.trim();
    if (handler) out.push({ handler, responsibility: tr.querySelector('[name=responsibility]').value });
  }
  return out;
}

// --- the orders list ---------------------------------------------------------------------

async function listView(main) {
  const state = params.get('state') ?? (liaison ? 'open' : '');
  const dept = bound || params.get('department') || '';
  const filters = el('form', { class: 'filters', id: 'filters' },
    el('label', null, '状态 ', el('select', { name: 'state' },
      el('option', { value: '' }, '全部'),
      ...Object.entries(orderStateName).map(([v, t]) => el('option', { value: v, selected: v === state || null }, t)))),
    !bound && el('label', null, '部门 ', el('select', { name: 'department', id: 'dept-filter' }, el('option', { value: '' }, '全部部门'))),
    el('button', { type: 'submit' }, '筛选'));
  filters.addEventListener('submit', (e) => {
    e.preventDefault();
    go({ state: filters.state.value, department: filters.department ? filters.department.value : '' });
  });
  const table = el('tbody', { id: 'orders' });
  const more = el('p', { class: 'muted', id: 'orders-more' });
  main.append(el('section', { class: 'card' },
    el('h2', null, liaison ? `${deptName(bound)} · 本部门督办单` : '督办单'),
    filters,
    el('table', { class: 'otable orders' },
      el('thead', null, el('tr', null, el('th', null, '编号'), el('th', null, '部门'), el('th', null, '类型'),
        el('th', null, '状态'), el('th', null, '反馈期限'), el('th', null, '开单时间'))),
      table),
    more));
  if (supervisor) main.append(await alertsPanel());
  if (!bound) {
    const sel = $('dept-filter');
    for (const [code, name] of names) sel.append(el('option', { value: code, selected: code === dept || null }, name));
  }
  let cursor = '';
  let shown = 0;
  const page = async () => {
    const r = await getJSON('/api/v1/orders' + q({ state, department: dept, limit: 100, cursor }));
    for (const o of r.orders || []) {
      shown++;
      table.append(el('tr', { dataset: { order: o.id, state: o.state } },
        el('td', null, el('a', { href: '/workbench' + q({ order: o.id }) }, o.number)),
        el('td', null, deptName(o.department)),
        el('td', null, orderKindName[o.kind] || o.kind),
        el('td', null, orderBadges(o), o.round > 1 ? ` 第${o.round}轮` : ''),
        el('td', null, dueText(o.reply_due)),
        el('td', null, fmtTime(o.opened_at))));
    }
    cursor = r.next_cursor || '';
    more.replaceChildren(shown ? `共显示 ${shown} 件` : '暂无督办单');
    if (cursor) {
      const b = el('button', { type: 'button', class: 'link' }, '加载更多');
      b.addEventListener('click', () => { b.remove(); page(); });
      more.append(' ', b);
    }
  };
  await page();
}

// alertsPanel: a supervisor's red alerts of cases that may be supervised, each with a link
// to the form, and a field to open an order on a case by its number.
async function alertsPanel() {
  const list = el('tbody', { id: 'alerts' });
  const box = el('section', { class: 'card' },
    el('h2', null, '待督办红色预警'),
    el('form', { class: 'filters', id: 'by-case' },
      el('label', null, '按办件开单 ', el('input', { name: 'case', placeholder: '办件编号', maxlength: 128, required: true })),
      el('button', { type: 'submit' }, '开具督办单')),
    el('table', { class: 'otable' },
      el('thead', null, el('tr', null, el('th', null, '预警'), el('th', null, '办件'), el('th', null, '部门'),
        el('th', null, '时间'), el('th', null, '说明'), el('th'))),
      list));
  box.querySelector('#by-case').addEventListener('submit', (e) => {
    e.preventDefault();
    go({ case: e.target.case.value.trim() });
  });
  const seen = [];
  for (const st of ['firing', 'acknowledged']) {
    const r = await getJSON('/api/v1/alerts' + q({ state: st, level: 'red', limit: 200 }));
    for (const a of r.alerts || []) if (a.case_id && !systemKinds.has(a.kind)) seen.push(a);
  }
  seen.sort((a, b) => (b.fired_at || '').localeCompare(a.fired_at || ''));
  for (const a of seen.slice(0, 100)) {
    list.append(el('tr', { dataset: { alert: a.id } },
      el('td', null, kindName[a.kind] || a.kind),
      el('td', null, el('a', { href: '/' + q({ case: a.case_id }) }, a.case_id)),
      el('td', null, deptName(a.department)),
      el('td', null, fmtTime(a.fired_at)),
      el('td', { class: 'note' }, a.message || ''),
      el('td', null, el('a', { class: 'button', href: '/workbench' + q({ alert: a.id }), 'data-open': a.id }, '督办'))));
  }
  if (!seen.length) list.append(el('tr', null, el('td', { colspan: 6, class: 'muted' }, '暂无待督办的红色预警')));
  return box;
}

// --- opening an order --------------------------------------------------------------------

async function openView(main) {
  if (!supervisor) {
    main.append(el('section', { class: 'card' }, el('p', { class: 'form-error' }, '只有督办员可以开具督办单。')));
    return;
  }
  const alertIds = params.getAll('alert').filter(Boolean);
  const caseId = params.get('case') || '';
  const basis = el('div', { class: 'basis', id: 'basis' });
  let dept = '';
  let suggestion = '';
  if (alertIds.length) {
    for (const id of alertIds) {
      try {
        const a = await getJSON('/api/v1/alerts/' + encodeURIComponent(id));
        dept = dept || a.department;
        suggestion = suggestion || `办件 ${a.case_id} ${kindName[a.kind] || a.kind}，请查明原因，限期办结，并明确相关责任人的责任。`;
        basis.append(el('p', { 'data-basis': id }, `${kindName[a.kind] || a.kind} · 办件 ${a.case_id} · ${deptName(a.department)} · ${fmtTime(a.fired_at)}`,
          el('br'), el('span', { class: 'muted' }, a.message || '')));
      } catch (e) {
        basis.append(el('p', { class: 'form-error' }, `预警 ${id} 无法读取（${e.status === 404 ? '不存在' : e.status || '网络'}）`));
      }
    }
  } else if (caseId) {
    try {
      const c = await getJSON(casePath(caseId));
      dept = c.department;
      suggestion = `办件 ${c.case_id}（${c.matter_name || c.matter}）办理超期，请查明原因，限期办结，并明确相关责任人的责任。`;
      basis.append(el('p', { 'data-basis': caseId }, `办件 ${c.case_id} · ${c.matter_name || c.matter} · ${deptName(c.department)}`));
    } catch (e) {
      basis.append(el('p', { class: 'form-error' }, `办件 ${caseId} 无法读取（${e.status === 404 ? '不存在' : e.status || '网络'}）`));
    }
  }
  const form = el('form', { id: 'open-form', class: 'act' },
    el('fieldset', { class: 'kinds' }, el('legend', null, '督办类型'),
      ...Object.entries(orderKindName).map(([v, t]) => el('label', null,
        el('input', { type: 'radio', name: 'kind', value: v, checked: v === 'rectify' || null }), t))),
    textarea('opinion', '督办意见', true, suggestion),
    el('label', { class: 'field short' }, el('span', null, '反馈时限（工作日，0–60，留空按默认）'),
      el('input', { type: 'number', name: 'reply_days', min: 0, max: 60, step: 1 })),
    el('div', { class: 'form-errors' }),
    el('div', { class: 'buttons' }, el('button', { type: 'submit', id: 'open-submit' }, '开具督办单'),
      el('a', { href: '/workbench' }, '返回')));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const body = { kind: form.kind.value, opinion: form.opinion.value.trim() };
    if (alertIds.length) body.alerts = alertIds;
    else body.case_id = caseId;
    if (form.reply_days.value !== '') body.reply_days = Number(form.reply_days.value);
    submit(form, '/api/v1/orders', body, (o) => go({ order: o.id }));
  });
  main.append(el('section', { class: 'card' },
    el('h2', null, '开具督办单', dept && el('span', { class: 'muted' }, ` · 被督办部门：${deptName(dept)}`)),
    el('h3', null, '督办依据'), basis, form));
}

// --- one order ------------------------------------------------------------------------------

async function orderView(main, id) {
  let o;
  try {
    o = await getJSON(orderPath(id));
  } catch (e) {
    const text = e.status === 404 ? `未找到督办单 ${id}` : e.status === 403 ? `无权查看督办单 ${id}` : `读取失败，请稍后再试（${e.status || '网络'}）`;
    main.append(el('section', { class: 'card' }, el('p', { class: 'form-error' }, text)));
    return;
  }
  const card = el('section', { class: 'card order', id: 'order', dataset: { id: o.id, state: o.state, round: o.round } });
  card.append(
    el('h2', null, `督办单 ${o.number}`, el('a', { class: 'button print', href: orderPath(o.id) + '.html', target: '_blank', rel: 'noopener', id: 'print' }, '打印督办通知书')),
    ...orderBody(o, deptName));
  main.append(card);
  const forms = el('section', { class: 'card', id: 'actions' });
  if (liaison && o.state === 'open' && o.department === bound) forms.append(replyForm(o));
  if (supervisor && o.state === 'replied') forms.append(reviewForm(o));
  if (supervisor && (o.state === 'open' || o.state === 'replied')) forms.append(withdrawForm(o));
  if (forms.childElementCount) main.append(forms);
}

function reload(o) {
  go({ order: o.id });
}

function replyForm(o) {
  const resp = responsibleEditor([]);
  const form = el('form', { id: 'reply-form', class: 'act' },
    el('h3', null, `第${o.round}轮反馈`, el('span', { class: 'muted' }, ` · 期限 ${dueText(o.reply_due)}`)),
    o.overdue && el('p', { class: 'form-error' }, '已超过反馈期限，现在反馈将记为逾期反馈。'),
    textarea('cause', '原因', true),
    textarea('measures', '整改措施', true),
    el('label', { class: 'check' }, el('input', { type: 'checkbox', name: 'completed' }), '事项已办结'),
    el('div', { class: 'field' }, el('span', null, '责任认定'), resp),
    el('div', { class: 'form-errors' }),
    el('div', { class: 'buttons' }, el('button', { type: 'submit', id: 'reply-submit' }, '提交反馈')));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    submit(form, orderPath(o.id) + '/reply', {
      cause: form.cause.value.trim(), measures: form.measures.value.trim(), completed: form.completed.checked,
      responsible: readResponsible(resp),
    }, reload);
  });
  return form;
}

function reviewForm(o) {
  const last = (o.replies || []).filter((r) => r.round === o.round).pop() || {};
  const stated = last.responsible || [];
  const resp = responsibleEditor(stated);
  const form = el('form', { id: 'review-form', class: 'act' },
    el('h3', null, '审核反馈'),
    textarea('note', '审核意见（退回时必填）', false),
    el('details', null, el('summary', null, '责任认定（可改定，监察局认定为准）'), resp),
    el('div', { class: 'form-errors' }),
    el('div', { class: 'buttons' },
      el('button', { type: 'submit', name: 'decision', value: 'accept', id: 'accept-submit' }, '审核通过'),
      el('button', { type: 'submit', name: 'decision', value: 'return', id: 'return-submit', class: 'warn' }, '退回重办')));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const decision = e.submitter ? e.submitter.value : 'accept';
    const note = form.note.value.trim();
    if (decision === 'return') {
      submit(form, orderPath(o.id) + '/return', { note }, reload);
      return;
    }
    const body = { note };
    const now = readResponsible(resp);
    if (JSON.stringify(now) !== JSON.stringify(stated.map((r) => ({ handler: r.handler, responsibility: r.responsibility })))) body.responsible = now;
    submit(form, orderPath(o.id) + '/accept', body, reload);
  });
  return form;
}

function withdrawForm(o) {
  const form = el('form', { id: 'withdraw-form', class: 'act' },
    el('details', null, el('summary', null, '撤回督办单'),
      textarea('note', '撤回理由', true),
      el('div', { class: 'form-errors' }),
      el('div', { class: 'buttons' }, el('button', { type: 'submit', class: 'warn', id: 'withdraw-submit' }, '撤回'))));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    submit(form, orderPath(o.id) + '/withdraw', { note: form.note.value.trim() }, reload);
  });
  return form;
}

// --- start ----------------------------------------------------------------------------------

async function loadNames() {
  try {
    const ov = await getJSON('/api/v1/overview' + q({ department: bound }));
    for (const d of ov.departments || []) if (d.name) names.set(d.department, d.name);
  } catch { /* codes are shown instead */ }
}

async function boot() {
  $('who').textContent = `${roleName[role] || role}${bound ? ' · ' + bound : ''}`;
  await loadNames();
  if (bound) $('who').textContent = `${roleName[role] || role} · ${deptName(bound)}`;
  const main = $('main');
  try {
    if (params.get('order')) await orderView(main, params.get('order'));
    else if (params.get('alert') || params.get('case')) await openView(main);
    else await listView(main);
  } catch (e) {
    if (!(e instanceof HTTPError) || e.status !== 401) {
      main.append(el('p', { class: 'form-error' }, `读取失败，请稍后再试（${e.status || e.message}）`));
    }
  }
  document.body.dataset.ready = 'true';
}

boot();
