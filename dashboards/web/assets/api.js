// Reads of /api/v1 with the session cookie (same origin, so the browser sends it).

// HTTPError carries the status of a failed read; 0 means the service did not answer.
export class HTTPError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

const timeoutMs = 15000;

// getJSON fetches path and parses its JSON. A 401 means the session is gone (the token was
// revoked, or the cookie cleared): the page goes to the sign-in, which comes back here.
export async function getJSON(path) {
  const ctl = new AbortController();
  const timer = setTimeout(() => ctl.abort(), timeoutMs);
  let resp;
  try {
    resp = await fetch(path, { credentials: 'same-origin', cache: 'no-store', signal: ctl.signal,
      headers: { Accept: 'application/json' } });
  } catch (err) {
    throw new HTTPError(0, String(err));
  } finally {
    clearTimeout(timer);
  }
  if (resp.status === 401) {
    signIn();
    throw new HTTPError(401, 'unauthorized');
  }
  if (!resp.ok) {
    let msg = resp.statusText;
    try { msg = (await resp.json()).error || msg; } catch { /* not JSON */ }
    throw new HTTPError(resp.status, msg);
  }
  return resp.json();
}

let leaving = false;

export function signIn() {
  if (leaving) return;
  leaving = true;
  const here = location.pathname + location.search;
  location.assign('/login?next=' + encodeURIComponent(here));
}

// q builds a query string from the non-empty values.
export function q(params) {
  const s = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== '' && v !== undefined && v !== null) s.set(k, v);
  const str = s.toString();
  return str ? '?' + str : '';
}

// casePath: case ids may hold '/', which the route keeps as part of the id. An id with a
// segment that is "." or ".." (only cases stored before such ids were refused) goes as one
// segment with its slashes escaped (%2F): a browser resolves "..", and "%2E%2E" too, away.
export function casePath(id) {
  const parts = id.split('/');
  if (parts.some((p) => p === '.' || p === '..')) return '/api/v1/cases/' + encodeURIComponent(id);
  return '/api/v1/cases/' + parts.map(encodeURIComponent).join('/');
}

// csrf is the session's CSRF token, written into the page by the server (<meta
// name="csrf-token">): every write sends it, and the server refuses a write with the
// session cookie that lacks it.
function csrf() {
  return document.querySelector('meta[name="csrf-token"]')?.content || '';
}

// newKey is a fresh Idempotency-Key: a retried submission of the same form sends the same
// key, so the service answers it as the first (crypto.getRandomValues also works on plain
// http, where crypto.randomUUID does not).
export function newKey() {
  const b = new Uint8Array(16);
  crypto.getRandomValues(b);
  return [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
}

// postJSON sends body as JSON with the CSRF token and the given Idempotency-Key, and
// returns {status, body}; a 401 goes to the sign-in. A refusal is not thrown: the caller
// shows it next to the form. Only a failure to reach the service throws.
export async function postJSON(path, body, key) {
  const ctl = new AbortController();
  const timer = setTimeout(() => ctl.abort(), timeoutMs);
  let resp;
  try {
    const headers = { Accept: 'application/json', 'Content-Type': 'application/json', 'X-CSRF-Token': csrf() };
    if (key) headers['Idempotency-Key'] = key;
    resp = await fetch(path, { method: 'POST', credentials: 'same-origin', cache: 'no-store', signal: ctl.signal,
      headers, body: JSON.stringify(body) });
  } catch (err) {
    throw new HTTPError(0, String(err));
  } finally {
    clearTimeout(timer);
  }
  if (resp.status === 401) {
    signIn();
    throw new HTTPError(401, 'unauthorized');
  }
  let data = null;
  try { data = await resp.json(); } catch { /* not JSON */ }
  return { status: resp.status, body: data };
}

// orderPath: the API path of an order (ids are DB-YYYY-NNNNNN).
export function orderPath(id) {
  return '/api/v1/orders/' + encodeURIComponent(id);
}
