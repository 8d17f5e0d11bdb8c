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
