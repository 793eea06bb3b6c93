// Black-box tests of the streamed Satu Data upload (POST /data-opd/{id}/unggah) against the
// real binary: a 2 GB Content-Length refused before the body is sent, a ZIP posing as CSV
// refused from its first bytes without reading the rest, a chunked body cut off at the limit,
// a client that disconnects mid-upload leaves no temp file and no version, and the server
// keeps answering. Run: GAPURA_BIN=$PWD/build/gapura node --test tests/e2e/upload.test.mjs
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { startServer, DEMO, DEMO_PASSWORD, SLOW } from './lib/server.mjs';
import { request, CookieJar, csrfFrom, RawConn, sleep } from './lib/client.mjs';
import { launchBrowser, newPage, signInWith } from './lib/browser.mjs';

const B = '----gapuraE2EUpload9f8e';
const GB2 = 2 * 1024 * 1024 * 1024;

describe('Satu Data upload, streamed (black box)', () => {
  let srv;
  let jar;
  let id;
  let slug;
  const tmpDir = () => join(srv.varDir, 'files', 'tmp');
  const tempFiles = () => readdirSync(tmpDir()).length;

  async function token() {
    const r = await request(srv.base, `/data-opd/${id}`, { jar });
    assert.equal(r.status, 200);
    return csrfFrom(r.body);
  }
  function head(length, extra = '') {
    return `POST /data-opd/${id}/unggah HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: ${jar.header()}\r\n` +
      `Content-Type: multipart/form-data; boundary=${B}\r\n${length === null ? 'Transfer-Encoding: chunked' : `Content-Length: ${length}`}\r\n${extra}\r\n`;
  }
  const csrfPart = (t) => `--${B}\r\nContent-Disposition: form-data; name="_csrf"\r\n\r\n${t}\r\n`;
  const fileHead = `--${B}\r\nContent-Disposition: form-data; name="file"; filename="data.csv"\r\nContent-Type: text/csv\r\n\r\n`;
  const closing = `\r\n--${B}--\r\n`;
  async function versions() {
    const r = await request(srv.base, `/data-opd/${id}`, { jar });
    return (r.body.match(/\/asli\/\d+"/g) || []).length;
  }
  async function waitFor(cond, ms, what) {
    const end = Date.now() + ms;
    while (Date.now() < end) {
      if (await cond()) return;
      await sleep(20);
    }
    assert.fail(`timed out waiting for ${what}`);
  }

  before(async () => {
    srv = await startServer({ accessLog: false });
    jar = new CookieJar();
    let r = await request(srv.base, '/masuk', { jar });
    r = await request(srv.base, '/masuk', { method: 'POST', jar, form: { _csrf: csrfFrom(r.body), email: DEMO.operator, password: DEMO_PASSWORD } });
    assert.equal(r.status, 303);
    r = await request(srv.base, '/data-opd/baru', { jar });
    slug = `uji-stream-${Date.now()}`;
    r = await request(srv.base, '/data-opd/baru', {
      method: 'POST', jar,
      form: { _csrf: csrfFrom(r.body), title: 'Uji unggah streaming', slug, frequency: 'tahunan', region_level: 'kecamatan', visibility: 'public', license_id: 'CC-BY-4.0' },
    });
    assert.equal(r.status, 303);
    id = /\/data-opd\/(\d+)/.exec(r.headers.location)[1];
    r = await request(srv.base, `/data-opd/${id}/kolom`, {
      method: 'POST', jar,
      form: { _csrf: await token(), name_1: 'kode', type_1: 'region', required_1: '1', name_2: 'jumlah', type_2: 'integer', required_2: '1' },
    });
    assert.equal(r.status, 303);
  });
  after(async () => { if (srv) await srv.stop(); });

  it('refuses a 2 GB Content-Length with 413 in the user\'s language before the body is sent', async () => {
    for (const [lang, text] of [['id', 'Berkas lebih dari 512 MB'], ['en', 'The file is larger than 512 MB']]) {
      const c = await RawConn.open(srv.port);
      await c.write(head(GB2, `Accept-Language: ${lang}\r\nExpect: 100-continue\r\n`));
      const res = await c.readResponse({ timeout: 5000 });
      assert.equal(res.status, 413, 'no 100 Continue: the body is refused unseen');
      assert.ok(res.body.includes(text), res.body.slice(0, 500));
      assert.equal(res.headers.connection, 'close');
      assert.ok(await c.waitClose?.(5000) ?? true);
      c.destroy();
    }
    assert.equal(tempFiles(), 0);
  });

  it('answers a visitor 401 before reading the body (no 100 Continue)', async () => {
    const c = await RawConn.open(srv.port);
    await c.write(`POST /data-opd/${id}/unggah HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: multipart/form-data; boundary=${B}\r\n` +
      `Content-Length: ${100 << 20}\r\nExpect: 100-continue\r\n\r\n`);
    const res = await c.readResponse({ timeout: 5000 });
    assert.equal(res.status, 401);
    c.destroy();
  });

  it('refuses a ZIP posing as CSV from its first bytes without reading the rest', async () => {
    const total = 300 << 20;  // announced; only ~1 MB is ever sent
    const c = await RawConn.open(srv.port);
    const start = Buffer.concat([Buffer.from(head(total) + csrfPart(await token()) + fileHead), Buffer.from([0x50, 0x4b, 0x03, 0x04]), Buffer.alloc(1 << 20, 0)]);
    await c.write(start);
    const res = await c.readResponse({ timeout: 10000 });
    assert.equal(res.status, 415);
    assert.ok(res.body.includes('arsip ZIP'), res.body.slice(0, 500));
    assert.equal(res.headers.connection, 'close');
    c.destroy();
    await waitFor(() => tempFiles() === 0, 5000, 'the temp file to go');
    assert.equal(await versions(), 0);
  });

  // Sends over 512 MB: skipped on the sanitizer build, where it takes minutes.
  it('cuts off a chunked body that passes the limit (413) and keeps serving', { skip: SLOW && 'slow build' }, async () => {
    const c = await RawConn.open(srv.port);
    await c.write(head(null));
    const mb = Buffer.alloc(1 << 20, 0x61);  // preamble bytes: discarded by the parser, counted by the limit
    const chunk = Buffer.concat([Buffer.from(`${mb.length.toString(16)}\r\n`), mb, Buffer.from('\r\n')]);
    let sent = 0;
    const t0 = Date.now();
    while (!c.closed && !c.ended && c.buf.length === 0 && sent < 700) {
      if (!(await c.write(chunk))) break;
      sent++;
    }
    const res = await c.readResponse({ timeout: 10000 });
    assert.equal(res.status, 413);
    assert.ok(res.body.includes('Berkas lebih dari 512 MB'), res.body.slice(0, 300));
    assert.ok(sent >= 512 && sent < 600, `cut off after ${sent} MB`);
    c.destroy();
    console.log(`# chunked 413 after ${sent} MB in ${Date.now() - t0} ms`);
    assert.equal(tempFiles(), 0);
    const ok = await request(srv.base, '/healthz');
    assert.equal(ok.status, 200);
  });

  it('leaves no temp file and no version when the client disconnects mid-upload', async () => {
    let rows = 'kode,jumlah\n';
    while (rows.length < (4 << 20)) rows += '35.23.01,12345\n';
    const c = await RawConn.open(srv.port);
    await c.write(head(50 << 20) + csrfPart(await token()) + fileHead + rows);
    await waitFor(() => tempFiles() === 1, 5000, 'the upload to be spooled');
    c.destroy();
    await waitFor(() => tempFiles() === 0, 5000, 'the temp file to be removed');
    assert.equal(await versions(), 0);
    const ok = await request(srv.base, '/healthz');
    assert.equal(ok.status, 200);
  });

  it('accepts a 20 MB CSV streamed in pieces, stores exactly its bytes, and keeps the connection', async () => {
    let rows = 'kode,jumlah\r\n';
    const line = '35.23.01,42\r\n35.23.02,7\r\n';
    rows += line.repeat(Math.ceil((20 << 20) / line.length));
    const body = Buffer.from(csrfPart(await token()) + fileHead + rows + closing);
    const c = await RawConn.open(srv.port);
    await c.write(head(body.length));
    for (let off = 0; off < body.length; off += 777777) await c.write(body.subarray(off, off + 777777));
    const res = await c.readResponse({ timeout: SLOW ? 60000 : 20000 });
    assert.equal(res.status, 200, res.body.slice(0, 500));
    assert.notEqual(res.headers.connection, 'close');
    // The same connection serves the next request.
    await c.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    assert.equal((await c.readResponse()).status, 200);
    c.destroy();
    assert.equal(tempFiles(), 0);
    assert.equal(await versions(), 1);
    const orig = await request(srv.base, `/data/${slug}/asli/1`, { jar, timeout: 30000 });
    assert.equal(orig.status, 200);
    assert.equal(createHash('sha256').update(orig.buffer).digest('hex'), createHash('sha256').update(rows).digest('hex'));
  });

  // The form as a browser sends it: the CSRF field comes before the file, so the streamed
  // route accepts it; the page then reports the rows accepted and the one row refused.
  it('accepts the upload form submitted by Chromium', { skip: process.env.GAPURA_E2E_SKIP_BROWSER === '1' && 'GAPURA_E2E_SKIP_BROWSER=1' }, async () => {
    const { browser } = await launchBrowser();
    try {
      const { context, page, problems } = await newPage(browser, srv.base, { timeout: 20000 });
      await signInWith(page, DEMO.operator, DEMO_PASSWORD);
      await page.goto(`/data-opd/${id}`);
      await page.setInputFiles('#file', { name: 'bad.csv', mimeType: 'text/csv', buffer: Buffer.from('kode,jumlah\n35.23.01,5\n35.23.02,lima\n') });
      await Promise.all([page.waitForLoadState('load'), page.click('form[action$="/unggah"] button[type=submit]')]);
      assert.match(await page.content(), /baris 3, kolom jumlah: .lima. bukan bilangan bulat/);
      await page.setInputFiles('#file', { name: 'good.csv', mimeType: 'text/csv', buffer: Buffer.from('\uFEFFkode;jumlah\r\n35.23.01;5\r\n35.23.02;6\r\n') });
      await Promise.all([page.waitForLoadState('load'), page.click('form[action$="/unggah"] button[type=submit]')]);
      assert.match(await page.content(), /Berkas diterima: 2 baris lolos validasi/);
      assert.deepEqual(problems, []);
      await context.close();
    } finally {
      await browser.close();
    }
    assert.equal(tempFiles(), 0);
  });
});

describe('Satu Data upload, a client that stalls mid-body (black box)', () => {
  let srv;
  after(async () => { if (srv) await srv.stop(); });

  it('closes the upload after body_timeout without progress and removes the temp file', async () => {
    srv = await startServer({ accessLog: false, env: { GAPURA_BODY_TIMEOUT_S: '1' } });
    const jar = new CookieJar();
    let r = await request(srv.base, '/masuk', { jar });
    r = await request(srv.base, '/masuk', { method: 'POST', jar, form: { _csrf: csrfFrom(r.body), email: DEMO.operator, password: DEMO_PASSWORD } });
    assert.equal(r.status, 303);
    r = await request(srv.base, '/data-opd/baru', { jar });
    r = await request(srv.base, '/data-opd/baru', {
      method: 'POST', jar,
      form: { _csrf: csrfFrom(r.body), title: 'Uji lambat', slug: 'uji-lambat', frequency: 'tahunan', region_level: 'kecamatan', visibility: 'public', license_id: 'CC-BY-4.0' },
    });
    const id = /\/data-opd\/(\d+)/.exec(r.headers.location)[1];
    r = await request(srv.base, `/data-opd/${id}`, { jar });
    r = await request(srv.base, `/data-opd/${id}/kolom`, { method: 'POST', jar, form: { _csrf: csrfFrom(r.body), name_1: 'kode', type_1: 'region' } });
    assert.equal(r.status, 303);
    r = await request(srv.base, `/data-opd/${id}`, { jar });
    const tmp = join(srv.varDir, 'files', 'tmp');
    const c = await RawConn.open(srv.port);
    await c.write(`POST /data-opd/${id}/unggah HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: ${jar.header()}\r\n` +
      `Content-Type: multipart/form-data; boundary=${B}\r\nContent-Length: ${10 << 20}\r\n\r\n` +
      `--${B}\r\nContent-Disposition: form-data; name="_csrf"\r\n\r\n${csrfFrom(r.body)}\r\n` +
      `--${B}\r\nContent-Disposition: form-data; name="file"; filename="a.csv"\r\n\r\nkode\n35.23.01\n`);
    // Still sending a byte now and then keeps it open past the timeout...
    for (let i = 0; i < 4; i++) {
      await sleep(500);
      await c.write('3');
    }
    assert.ok(!c.closed && !c.ended, 'closed although bytes kept coming');
    assert.equal(readdirSync(tmp).length, 1);
    // ...silence closes it within the timeout (plus the watchdog's period) and drops the file.
    const closedAfter = await c.waitClose(SLOW ? 15000 : 5000);
    assert.notEqual(closedAfter, null, 'the server did not close the stalled upload');
    const end = Date.now() + 5000;
    while (readdirSync(tmp).length > 0 && Date.now() < end) await sleep(20);
    assert.equal(readdirSync(tmp).length, 0);
    const ok = await request(srv.base, '/healthz');
    assert.equal(ok.status, 200);
  });
});
