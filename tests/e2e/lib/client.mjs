// Small HTTP clients for the black-box tests: `request` (node:http, one connection per call, no
// redirects followed), a cookie jar, CSRF token extraction, and `RawConn` for byte-exact requests
// on one TCP connection (keep-alive, malformed input, slow clients).
import http from 'node:http';
import net from 'node:net';
import { performance } from 'node:perf_hooks';

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Cookies by name, filled from Set-Cookie; `header()` gives the Cookie request header. */
export class CookieJar {
  constructor() { this.cookies = new Map(); this.raw = []; }
  update(setCookie) {
    for (const line of [].concat(setCookie || [])) {
      this.raw.push(line);
      const [pair, ...attrs] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const maxAge = attrs.map((a) => a.trim()).find((a) => /^max-age=/i.test(a));
      if (value === '' || (maxAge && Number(maxAge.split('=')[1]) <= 0)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }
  get(name) { return this.cookies.get(name); }
  set(name, value) { this.cookies.set(name, value); }
  header() { return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; '); }
}

/**
 * One HTTP request on a fresh connection. Returns { status, headers, body (string), buffer }.
 * opts: method, headers, body (string|Buffer), jar (CookieJar: sends and updates cookies),
 * form (object → application/x-www-form-urlencoded), json (value → application/json), timeout.
 */
export function request(base, path, opts = {}) {
  const { method = 'GET', jar, timeout = 15000 } = opts;
  const headers = { ...(opts.headers || {}) };
  let body = opts.body;
  if (opts.form) {
    body = new URLSearchParams(opts.form).toString();
    headers['Content-Type'] ??= 'application/x-www-form-urlencoded';
  }
  if (opts.json !== undefined) {
    body = JSON.stringify(opts.json);
    headers['Content-Type'] ??= 'application/json';
  }
  if (jar && jar.cookies.size && !headers.Cookie) headers.Cookie = jar.header();
  const u = new URL(path, base);
  return new Promise((resolve, reject) => {
    const req = http.request({
      host: u.hostname, port: u.port, path: u.pathname + u.search, method, headers, agent: false, timeout,
    }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const buffer = Buffer.concat(chunks);
        if (jar) jar.update(res.headers['set-cookie']);
        resolve({ status: res.statusCode, headers: res.headers, body: buffer.toString('utf8'), buffer });
      });
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`timeout: ${method} ${path}`)));
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

/** The value of the first hidden _csrf input in an HTML page. */
export function csrfFrom(html) {
  const m = /name="_csrf" value="([^"]*)"/.exec(html);
  if (!m) throw new Error('no _csrf field in page');
  return m[1];
}

/** Parses `Content-Type` etc. of a JSON error body; returns the object or throws with the body. */
export function parseJson(res) {
  try {
    return JSON.parse(res.body);
  } catch {
    throw new Error(`not JSON (status ${res.status}, content-type ${res.headers['content-type']}): ${res.body.slice(0, 300)}`);
  }
}

/**
 * A raw TCP connection. write() bytes; readResponse() parses the next HTTP/1.1 response
 * (Content-Length, chunked, or until close); waitClose() resolves when the server closes.
 */
export class RawConn {
  static open(port, host = '127.0.0.1') {
    return new Promise((resolve, reject) => {
      const c = new RawConn();
      c.socket = net.connect({ port, host }, () => resolve(c));
      c.socket.on('error', (e) => { c.error = e; if (!c.connected) reject(e); c.wake(); });
      c.socket.on('connect', () => { c.connected = true; });
    });
  }
  constructor() {
    this.buf = Buffer.alloc(0);
    this.all = Buffer.alloc(0);
    this.closed = false;
    this.closedAt = null;
    this.error = null;
    this.waiters = [];
    this.openedAt = performance.now();
  }
  set socket(s) {
    this._s = s;
    s.on('data', (d) => { this.buf = Buffer.concat([this.buf, d]); this.all = Buffer.concat([this.all, d]); this.wake(); });
    s.on('end', () => { this.ended = true; this.wake(); });
    s.on('close', () => { this.closed = true; this.closedAt = performance.now(); this.wake(); });
  }
  get socket() { return this._s; }
  wake() { const w = this.waiters; this.waiters = []; for (const f of w) f(); }
  next(timeoutMs) {
    return new Promise((resolve) => {
      const t = setTimeout(() => { this.waiters = this.waiters.filter((x) => x !== done); resolve(false); }, timeoutMs);
      const done = () => { clearTimeout(t); resolve(true); };
      this.waiters.push(done);
    });
  }
  /** Writes and resolves when flushed; never rejects (the server may close on us). */
  write(data) {
    return new Promise((resolve) => {
      if (this._s.destroyed) return resolve(false);
      this._s.write(data, (err) => resolve(!err));
    });
  }
  end() { this._s.end(); }
  destroy() { this._s.destroy(); }

  // Tries to parse one response from this.buf; returns it (and consumes the bytes) or null.
  tryParse(head) {
    const sep = this.buf.indexOf('\r\n\r\n');
    if (sep < 0) return null;
    const headText = this.buf.subarray(0, sep).toString('latin1');
    const lines = headText.split('\r\n');
    const m = /^HTTP\/(\d\.\d) (\d{3})(?: (.*))?$/.exec(lines[0]);
    if (!m) throw new Error(`bad status line: ${JSON.stringify(lines[0])}`);
    const status = Number(m[2]);
    const headers = {};
    const rawHeaders = [];
    for (const l of lines.slice(1)) {
      const i = l.indexOf(':');
      const k = l.slice(0, i).trim().toLowerCase();
      const v = l.slice(i + 1).trim();
      rawHeaders.push([k, v]);
      if (k === 'set-cookie') (headers[k] ||= []).push(v);
      else headers[k] = headers[k] !== undefined ? `${headers[k]}, ${v}` : v;
    }
    let start = sep + 4;
    let body;
    if (head || status === 204 || status === 304 || (status >= 100 && status < 200)) {
      body = Buffer.alloc(0);
    } else if (/chunked/i.test(headers['transfer-encoding'] || '')) {
      const parts = [];
      let p = start;
      for (;;) {
        const le = this.buf.indexOf('\r\n', p);
        if (le < 0) return null;
        const size = parseInt(this.buf.subarray(p, le).toString('latin1'), 16);
        if (Number.isNaN(size)) throw new Error('bad chunk size');
        if (size === 0) {
          const end = this.buf.indexOf('\r\n\r\n', le);
          if (end < 0) return null;
          start = end + 4;
          break;
        }
        if (this.buf.length < le + 2 + size + 2) return null;
        parts.push(this.buf.subarray(le + 2, le + 2 + size));
        p = le + 2 + size + 2;
      }
      body = Buffer.concat(parts);
      this.buf = this.buf.subarray(start);
      return { status, reason: m[3] || '', version: m[1], headers, rawHeaders, body: body.toString('utf8') };
    } else if (headers['content-length'] !== undefined) {
      const n = Number(headers['content-length']);
      if (this.buf.length < start + n) return null;
      body = this.buf.subarray(start, start + n);
      start += n;
    } else {
      if (!this.closed && !this.ended) return null;  // body runs to the end of the connection
      body = this.buf.subarray(start);
      start = this.buf.length;
    }
    this.buf = this.buf.subarray(start);
    return { status, reason: m[3] || '', version: m[1], headers, rawHeaders, body: body.toString('utf8') };
  }
  /** The next response; rejects on timeout or when the connection ends first. */
  async readResponse({ head = false, timeout = 10000 } = {}) {
    const deadline = performance.now() + timeout;
    for (;;) {
      const r = this.tryParse(head);
      if (r) return r;
      if (this.closed || this.ended) {
        throw new Error(`connection closed before a full response (${this.buf.length} bytes: ` +
          `${JSON.stringify(this.buf.toString('latin1').slice(0, 200))})${this.error ? ' ' + this.error.code : ''}`);
      }
      const left = deadline - performance.now();
      if (left <= 0) throw new Error(`no full response within ${timeout} ms (have ${this.buf.length} bytes)`);
      await this.next(left);
    }
  }
  /** Resolves with the ms from opening until the server closed, or null on timeout. */
  async waitClose(timeout = 10000) {
    const deadline = performance.now() + timeout;
    while (!this.closed && !this.ended) {
      const left = deadline - performance.now();
      if (left <= 0) return null;
      await this.next(left);
    }
    return (this.closedAt ?? performance.now()) - this.openedAt;
  }
}

/** Sends `bytes` on a new connection and returns the first response (then closes). */
export async function rawOnce(port, bytes, opts = {}) {
  const c = await RawConn.open(port);
  try {
    await c.write(bytes);
    return await c.readResponse(opts);
  } finally {
    c.destroy();
  }
}
