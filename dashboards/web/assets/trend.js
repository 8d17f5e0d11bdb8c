// The 30-day trend, drawn by hand as SVG: per day, the cases decided in time (blue) with
// those decided late (red) stacked on top. Thirty stacked bars need no chart library
// (docs/screen.md says why).

const NS = 'http://www.w3.org/2000/svg';

function node(tag, attrs, text) {
  const e = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}

// axis chooses the y-axis for counts: a whole-number step of 1, 2 or 5 × 10^n, about four
// steps to a top at or above the largest count (never a 0.5 tick for cases).
export function axis(largest) {
  const top = Math.max(largest, 4);
  for (let p = 1; ; p *= 10) {
    for (const m of [1, 2, 5]) {
      if (m * p * 4 >= top) return { step: m * p, max: Math.ceil(top / (m * p)) * m * p };
    }
  }
}

// drawTrend replaces box's chart with one for rows ([{date, decided, decided_late}, …],
// oldest first).
export function drawTrend(box, rows) {
  const W = Math.max(box.clientWidth, 300);
  const H = Math.max(box.clientHeight, 160);
  // The right margin leaves room for half the last date label, centred on the last bar.
  const pad = { l: 56, r: 28, t: 26, b: 36 };
  const iw = W - pad.l - pad.r;
  const ih = H - pad.t - pad.b;
  const svg = node('svg', { viewBox: `0 0 ${W} ${H}`, width: W, height: H, role: 'img',
    'aria-label': '近30日每日办结件数，其中超期办结件数' });
  const { step, max } = axis(Math.max(0, ...rows.map((r) => r.decided || 0)));
  const y = (v) => pad.t + ih - (v / max) * ih;

  for (let v = 0; v <= max; v += step) {
    const yy = y(v);
    svg.append(node('line', { x1: pad.l, x2: W - pad.r, y1: yy, y2: yy, stroke: '#1c3556', 'stroke-width': 1 }));
    svg.append(node('text', { x: pad.l - 10, y: yy + 6, 'text-anchor': 'end', fill: '#8aa2c0', 'font-size': 18, 'data-axis': 'y' }, v));
  }

  const n = rows.length || 1;
  const slot = iw / n;
  const bw = Math.max(2, slot * 0.66);
  rows.forEach((r, i) => {
    const decided = r.decided || 0;
    const late = Math.min(r.decided_late || 0, decided);
    const x = pad.l + i * slot + (slot - bw) / 2;
    const title = `${r.date}：办结 ${decided} 件，其中超期 ${late} 件`;
    const g = node('g', {});
    g.append(node('title', {}, title));
    if (decided - late > 0) {
      g.append(node('rect', { x, y: y(decided), width: bw, height: y(late) - y(decided), fill: '#3fa9f5', rx: 2 }));
    }
    if (late > 0) {
      g.append(node('rect', { x, y: y(late), width: bw, height: y(0) - y(late), fill: '#f25c54', rx: 2 }));
    }
    if (decided > 0 && slot >= 22) {
      g.append(node('text', { x: x + bw / 2, y: y(decided) - 6, 'text-anchor': 'middle', fill: '#e6eef8', 'font-size': 16 }, decided));
    }
    svg.append(g);
    // Dates: every fifth day back from the last, so today is always labelled.
    if ((n - 1 - i) % 5 === 0) {
      const [, m, d] = r.date.split('-');
      svg.append(node('text', { x: x + bw / 2, y: H - 10, 'text-anchor': 'middle', fill: '#8aa2c0', 'font-size': 18, 'data-axis': 'x' },
        `${+m}/${+d}`));
    }
  });
  svg.append(node('line', { x1: pad.l, x2: W - pad.r, y1: y(0), y2: y(0), stroke: '#3b5a80', 'stroke-width': 2 }));
  box.replaceChildren(svg);
}
