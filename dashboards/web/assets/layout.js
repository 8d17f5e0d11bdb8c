// Fitting text and rows into the fixed 1920×1080 canvas: nothing on the wall may be cut off.
// A name too long for its cell is drawn smaller (down to a floor) rather than cut; rows that
// do not fit a panel whole are left out, and the panel says how many.

// fitText shrinks the font of a one-line element (white-space: nowrap, overflow hidden) until
// its text fits its width, by whole pixels, not below min. It first restores the stylesheet's
// size, so a text that got shorter grows back.
export function fitText(e, min = 16) {
  e.style.fontSize = '';
  if (e.scrollWidth <= e.clientWidth) return;
  let size = parseFloat(getComputedStyle(e).fontSize);
  while (e.scrollWidth > e.clientWidth && size > min) {
    size = Math.max(min, size - 1);
    e.style.fontSize = `${size}px`;
  }
}

// fitRows hides the last of rows (elements inside box, in order) until box's content fits
// its height, and returns how many it hid. Rows are shown again first.
export function fitRows(box, rows) {
  for (const r of rows) r.hidden = false;
  let hidden = 0;
  for (let i = rows.length - 1; i >= 0 && box.scrollHeight > box.clientHeight + 1; i--) {
    rows[i].hidden = true;
    hidden++;
  }
  return hidden;
}

// placeRows makes list hold nodes, in order, moving only the rows that changed place (a row
// taken out and put back would slide in again, restarting its animations), and shows empty
// instead of the list when there are none.
export function placeRows(list, empty, nodes) {
  let cur = list.firstChild;
  for (const n of nodes) {
    if (cur === n) cur = cur.nextSibling;
    else list.insertBefore(n, cur);
  }
  while (cur) {
    const next = cur.nextSibling;
    cur.remove();
    cur = next;
  }
  empty.hidden = nodes.length > 0;
  list.hidden = nodes.length === 0;
}
