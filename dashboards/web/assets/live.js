// The live feed client: one WebSocket to /ws at a time, subscribed with the cursor of the
// last alert seen, so after any break the server replays what was missed — in order, with
// no gap and no repeat (docs/api.md, "GET /ws"). Reconnects back off from 0.5 s to 15 s
// with jitter, so a restarted service is not hit by every screen at the same instant.

const minDelay = 500;
const maxDelay = 15000;

export class Live {
  // opts: filter() → {departments, levels, kinds}; onMessage(msg); onState('live' |
  // 'reconnecting'); onDown(attempt) after a failed or lost connection (the page probes
  // the REST API there, which also notices a revoked session).
  constructor(opts) {
    this.opts = opts;
    this.cursor = '';
    this.ws = null;
    this.timer = 0;
    this.attempt = 0;
    this.running = false;
  }

  start() {
    if (this.running) return;
    this.running = true;
    this.attempt = 0;
    this.connect();
  }

  // stop closes the connection and stops reconnecting (a hidden tab); start() resumes
  // from the cursor.
  stop() {
    this.running = false;
    clearTimeout(this.timer);
    this.timer = 0;
    this.drop(1000, 'hidden');
  }

  // resubscribe sends a new subscription (the filter changed) on the open connection.
  resubscribe() {
    if (this.ws && this.ws.readyState === WebSocket.OPEN) this.send();
  }

  // forget drops the cursor: the next subscription starts from now (the page re-reads the
  // state from the REST API instead of a replay).
  forget() {
    this.cursor = '';
  }

  connect() {
    this.timer = 0;
    if (!this.running) return;
    const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
    let ws;
    try {
      ws = new WebSocket(`${proto}//${location.host}/ws`);
    } catch {
      this.retry();
      return;
    }
    this.ws = ws;
    ws.onopen = () => this.send();
    ws.onmessage = (ev) => this.receive(ev);
    ws.onclose = (ev) => {
      if (this.ws !== ws) return;
      this.ws = null;
      this.opts.onState('reconnecting', ev.code);
      this.retry();
    };
    ws.onerror = () => { /* onclose follows */ };
  }

  send() {
    const f = this.opts.filter();
    this.ws.send(JSON.stringify({ op: 'subscribe', departments: f.departments || [], levels: f.levels || [],
      kinds: f.kinds || [], since: this.cursor }));
  }

  receive(ev) {
    let msg;
    try {
      msg = JSON.parse(ev.data);
    } catch {
      return;
    }
    switch (msg.type) {
      case 'subscribed':
        if (msg.cursor) this.cursor = msg.cursor;
        this.attempt = 0;
        this.opts.onState('live');
        break;
      case 'alert':
      case 'order': // orders share the alerts' cursor sequence
        if (msg.cursor) this.cursor = msg.cursor;
        break;
      case 'error':
        if (msg.field === 'since') {
          // The cursor is older than the server keeps: start afresh, and let the page
          // re-read the state.
          this.cursor = '';
          this.send();
        }
        break;
    }
    this.opts.onMessage(msg);
  }

  retry() {
    if (!this.running || this.timer) return;
    const n = this.attempt++;
    const base = Math.min(maxDelay, minDelay * 2 ** n);
    const delay = base * (0.8 + 0.4 * Math.random());
    this.timer = setTimeout(() => this.connect(), delay);
    this.opts.onDown(n);
  }

  // drop closes the current socket without triggering a reconnect.
  drop(code, reason) {
    const ws = this.ws;
    this.ws = null;
    if (!ws) return;
    ws.onopen = ws.onmessage = ws.onclose = ws.onerror = null;
    try { ws.close(code, reason); } catch { /* already closed */ }
  }
}
