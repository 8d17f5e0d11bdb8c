// Chinese labels of the API's codes, and formatting of its numbers and times. Times are
// shown as the service wrote them (RFC 3339 in the configured zone), so the screen shows
// the bureau's time whatever the wall computer's clock or zone says.

export const kindName = {
  decision_due: '即将到期',
  promise_overdue: '超承诺时限',
  statutory_overdue: '超法定时限',
  acceptance_overdue: '受理超期',
  delivery_overdue: '送达超期',
  suspension_overdue: '暂停超限',
  procedure_violation: '程序违规',
  fee_violation: '违规收费',
  late_report: '迟报',
  calendar_missing: '节假日未发布',
  fault_threshold: '过错达限',
  order_overdue: '督办逾期未反馈',
  order_escalated: '督办升级',
  fault_threshold_confirmed: '认定过错达限',
};

// Supervision orders (督办单).
export const orderStateName = { open: '待反馈', replied: '待审核', closed: '已办结', withdrawn: '已撤回' };
export const orderKindName = { rectify: '限期整改', explain: '说明情况' };
export const orderActionName = {
  opened: '开具督办单', attached: '追加预警', replied: '部门反馈', returned: '退回重办', accepted: '审核通过',
  withdrawn: '撤回督办单', overdue: '逾期未反馈', escalated: '升级督办',
};
export const decisionName = { accepted: '审核通过', returned: '退回重办', withdrawn: '已撤回' };
export const responsibilityName = { direct: '直接责任', leadership: '领导责任', none: '不负责任' };
export const roleName = { viewer: '查看', liaison: '部门联络员', supervisor: '督办员', admin: '管理员' };

// A case's level (红牌/黄牌 mean cases on this screen) and an alert's (预警).
export const levelName = { red: '红牌', yellow: '黄牌', green: '正常' };
export const alertLevelName = { red: '红色预警', yellow: '黄色预警' };

export const stateName = { firing: '未处理', acknowledged: '已确认', resolved: '已解除', exempted: '已免责' };

export const statusName = {
  received: '已收件', supplementing: '补正中', accepted: '审查中', suspended: '暂停计时',
  decided: '已决定', delivered: '已送达', not_accepted: '不予受理', withdrawn: '已撤回',
};

export const stageName = { acceptance: '受理', decision: '审查决定', delivery: '送达', closed: '已办结' };

export const clockName = { acceptance: '受理期限', decision: '审查期限', delivery: '送达期限' };

export const eventName = {
  submitted: '提交申请', accepted: '受理', not_accepted: '不予受理',
  supplement_requested: '一次性告知补正', supplement_received: '收到补正材料',
  suspended: '暂停计时', resumed: '恢复计时', extended: '延期', decided: '作出决定',
  delivered: '送达', fee_charged: '收费', withdrawn: '撤回申请', step: '流转', retracted: '更正撤销',
};

export const reasonName = {
  hearing: '听证', bidding: '招标', auction: '拍卖', testing: '检测', inspection: '检验',
  quarantine: '检疫', appraisal: '鉴定', expert_review: '专家评审', supplement: '补正材料', other: '其他',
};

export const resultName = { approved: '准予许可', denied: '不予许可' };

const weekdays = ['日', '一', '二', '三', '四', '五', '六'];

// parts splits an RFC 3339 time into its wall-clock fields as written (no zone shift).
export function parts(s) {
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2}):(\d{2}))?/.exec(s || '');
  if (!m) return null;
  return { y: +m[1], mo: +m[2], d: +m[3], h: m[4] || '00', mi: m[5] || '00', s: m[6] || '00' };
}

// weekday of a YYYY-MM-DD date (a calendar fact, computed in UTC to stay zone-free).
export function weekday(date) {
  const p = parts(date);
  return p ? weekdays[new Date(Date.UTC(p.y, p.mo - 1, p.d)).getUTCDay()] : '';
}

export function fmtDate(date) {
  const p = parts(date);
  return p ? `${p.y}年${p.mo}月${p.d}日` : '—';
}

export function fmtShortDate(date) {
  const p = parts(date);
  return p ? `${p.mo}月${p.d}日` : '—';
}

// fmtWhen: "03-17 09:05" for a time, or "09:05" when it is on the given day (YYYY-MM-DD).
export function fmtWhen(s, today) {
  const p = parts(s);
  if (!p) return '';
  const hm = `${p.h}:${p.mi}`;
  return s.slice(0, 10) === today ? hm : `${String(p.mo).padStart(2, '0')}-${String(p.d).padStart(2, '0')} ${hm}`;
}

export function fmtTime(s) {
  const p = parts(s);
  return p ? `${p.y}-${String(p.mo).padStart(2, '0')}-${String(p.d).padStart(2, '0')} ${p.h}:${p.mi}` : '—';
}

// fmtRate: a fraction 0–1 as a percentage with one decimal; "—" when nothing was decided.
export function fmtRate(r, decided) {
  if (decided === 0 || r === null || r === undefined) return '—';
  return `${(Math.round(r * 1000) / 10).toFixed(1)}%`;
}

export function fmtInt(n) {
  return n === null || n === undefined ? '—' : String(n);
}

// offsetMinutes reads the zone offset of an RFC 3339 time ("+08:00" → 480).
export function offsetMinutes(s) {
  const m = /([+-])(\d{2}):(\d{2})$/.exec(s || '');
  if (!m) return /Z$/.test(s || '') ? 0 : null;
  return (m[1] === '-' ? -1 : 1) * (+m[2] * 60 + +m[3]);
}

// clockText formats an instant (ms) in a zone given by its offset in minutes.
export function clockText(ms, offset) {
  const d = new Date(ms + offset * 60000);
  const pad = (n) => String(n).padStart(2, '0');
  return `${d.getUTCFullYear()}年${d.getUTCMonth() + 1}月${d.getUTCDate()}日 星期${weekdays[d.getUTCDay()]} ` +
    `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
}

export function hmsText(ms, offset) {
  const d = new Date(ms + offset * 60000);
  const pad = (n) => String(n).padStart(2, '0');
  return `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
}

// el builds an element: el('td', {class: 'x', title: '…'}, 'text', child…). Text is always
// set as text, never parsed as HTML — alert messages and notes come from department systems.
export function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  if (attrs) {
    for (const [k, v] of Object.entries(attrs)) {
      if (v === undefined || v === null || v === false) continue;
      if (k === 'class') e.className = v;
      else if (k === 'dataset') Object.assign(e.dataset, v);
      else e.setAttribute(k, v === true ? '' : String(v));
    }
  }
  for (const c of children) {
    if (c === undefined || c === null || c === false) continue;
    e.append(c instanceof Node ? c : String(c));
  }
  return e;
}
