// Black-box test of the streamed Satu Data downloads (issue #4) against the real binary: a
// published version of about 100 MB of CSV (E2E_DOWNLOAD_MB) is downloaded as the original file,
// the CSV export, JSON and XLSX while the server's RSS is sampled every 10 ms: each download may
// add a few MB, not the file's size. A client that leaves mid-download and one that reads slowly
// leave the server serving and its memory flat.
// Run: GAPURA_BIN=$PWD/build/gapura node --test tests/e2e/satudata-download.test.mjs
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { startServer, DEMO, DEMO_PASSWORD, SLOW, ROOT } from './lib/server.mjs';
import { request, CookieJar, csrfFrom, sleep } from './lib/client.mjs';

const MB = Number(process.env.E2E_DOWNLOAD_MB || (SLOW ? 20 : 100));
const B = '----gapuraE2EDownload51c';
const LIMIT_MB = 40;  // growth allowed per download (a whole-body rendering adds > MB)

function rssKb(pid) {
  const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : 0;
}

// Streams GET `path` and only counts and hashes it; the server's RSS is sampled meanwhile.
function download(srv, path, { jar, stopAfter } = {}) {
  return new Promise((resolve, reject) => {
    const base = rssKb(srv.pid);
    let peak = base;
    const timer = setInterval(() => { peak = Math.max(peak, rssKb(srv.pid)); }, 10);
    const headers = jar ? { Cookie: jar.header() } : {};
    const req = http.get({ host: '127.0.0.1', port: srv.port, path, headers, agent: false }, (res) => {
      const hash = createHash('sha256');
      let bytes = 0;
      res.on('data', (c) => {
        bytes += c.length;
        hash.update(c);
        if (stopAfter && bytes >= stopAfter) req.destroy();
      });
      let finished = false;
      const done = () => {
        if (finished) return;  // 'end' then 'close'
        finished = true;
        clearInterval(timer);
        peak = Math.max(peak, rssKb(srv.pid));
        resolve({ status: res.statusCode, headers: res.headers, bytes, sha256: hash.digest('hex'), growthMb: (peak - base) / 1024 });
      };
      res.on('end', done);
      res.on('close', done);
    });
    req.on('error', (e) => (stopAfter ? undefined : (clearInterval(timer), reject(e))));
  });
}

describe(`Satu Data downloads of a ${MB} MB version, streamed (black box)`, { timeout: 15 * 60 * 1000 }, () => {
  let srv;
  let jar;
  let slug;
  let csvSha;
  let csvBytes = 0;

  async function post(page, action, form, j = jar) {
    const p = await request(srv.base, page, { jar: j });
    return request(srv.base, action, { method: 'POST', jar: j, form: { _csrf: csrfFrom(p.body), ...form } });
  }
  async function signIn(email) {
    const j = new CookieJar();
    let r = await request(srv.base, '/masuk', { jar: j });
    r = await request(srv.base, '/masuk', { method: 'POST', jar: j, form: { _csrf: csrfFrom(r.body), email, password: DEMO_PASSWORD } });
    assert.equal(r.status, 303);
    return j;
  }

  // Creates, fills and publishes a dataset of `rows` rows made by `line(i)` (or until `bytes`),
  // streaming the CSV to the upload route in 1 MB blocks; returns { slug, bytes, sha256 }.
  async function publishCsv(name, line, { bytes: want = Infinity, rows: maxRows = Infinity }) {
    const s = `${name}-${Date.now()}`;
    let r = await post('/data-opd/baru', '/data-opd/baru', {
      title: `Unduhan ${name}`, slug: s, frequency: 'tahunan', region_level: 'kabupaten', visibility: 'public', license_id: 'CC-BY-4.0', period_start: '2024',
    });
    assert.equal(r.status, 303);
    const id = /\/data-opd\/(\d+)/.exec(r.headers.location)[1];
    r = await post(`/data-opd/${id}`, `/data-opd/${id}/kolom`, {
      name_1: 'kode', type_1: 'text', required_1: '1', name_2: 'nama', type_2: 'text', name_3: 'jumlah', type_3: 'integer', name_4: 'rasio', type_4: 'decimal',
    });
    assert.equal(r.status, 303);
    const blocks = [Buffer.from('kode,nama,jumlah,rasio\n')];
    let size = blocks[0].length;
    let row = 0;
    while (size < want && row < maxRows) {
      let t = '';
      while (t.length < 1 << 20 && row < maxRows) t += line(++row);
      const b = Buffer.from(t);
      blocks.push(b);
      size += b.length;
    }
    const hash = createHash('sha256');
    for (const b of blocks) hash.update(b);
    const page = await request(srv.base, `/data-opd/${id}`, { jar });
    const head = Buffer.from(`--${B}\r\nContent-Disposition: form-data; name="_csrf"\r\n\r\n${csrfFrom(page.body)}\r\n` +
      `--${B}\r\nContent-Disposition: form-data; name="file"; filename="${name}.csv"\r\nContent-Type: text/csv\r\n\r\n`);
    const tail = Buffer.from(`\r\n--${B}--\r\n`);
    const status = await new Promise((resolve, reject) => {
      const req = http.request({
        host: '127.0.0.1', port: srv.port, path: `/data-opd/${id}/unggah`, method: 'POST', agent: false,
        headers: { Cookie: jar.header(), 'Content-Type': `multipart/form-data; boundary=${B}`, 'Content-Length': head.length + size + tail.length },
      }, (res) => { res.resume(); res.on('end', () => resolve(res.statusCode)); });
      req.on('error', reject);
      (async () => {
        for (const b of [head, ...blocks, tail]) if (!req.write(b)) await new Promise((done) => req.once('drain', done));
        req.end();
      })();
    });
    assert.ok(status === 303 || status === 200, `upload: ${status}`);
    r = await post(`/data-opd/${id}`, `/data-opd/${id}/ajukan`, {});
    assert.equal(r.status, 303);
    for (const step of ['verifikasi', 'terbitkan']) assert.equal((await post('/walidata', `/walidata/${id}/${step}`, {}, wali)).status, 303, step);
    return { slug: s, bytes: size, sha256: hash.digest('hex') };
  }
  let wali;

  before(async () => {
    // Under AddressSanitizer every freed block waits in a 256 MB quarantine before reuse, so the
    // RSS of a streamed download grows by the quarantine, not by what the server holds: keep it
    // small there, so the figure measures the server's own buffering on that build too.
    const asan = SLOW ? { ASAN_OPTIONS: [process.env.ASAN_OPTIONS, 'quarantine_size_mb=4', 'thread_local_quarantine_size_kb=64']
      .filter(Boolean).join(':') } : {};
    srv = await startServer({ accessLog: false, env: asan });
    jar = await signIn(DEMO.operator);
    wali = await signIn(DEMO.walidata);
    // About 120 bytes a row: 100 MB stays under a spreadsheet's 1,048,576 rows.
    const big = await publishCsv('besar', (i) =>
      `K${String(i).padStart(8, '0')},"Desa contoh, nomor ${i}, Kecamatan Contoh dengan nama yang cukup panjang untuk uji",${(i * 7919) % 100000},${i % 100}.${i % 97}\n`,
    { bytes: MB * 1e6 });
    ({ slug, bytes: csvBytes, sha256: csvSha } = big);
  });
  after(async () => { if (srv) await srv.stop(); });

  it('sends the original from disk: its exact bytes, its length, little memory', async () => {
    const r = await download(srv, `/data/${slug}/asli/1`, { jar });
    assert.equal(r.status, 200);
    assert.equal(Number(r.headers['content-length']), csvBytes);
    assert.equal(r.bytes, csvBytes);
    assert.equal(r.sha256, csvSha, 'the original is byte for byte the upload');
    console.log(`# original ${(csvBytes / 1e6).toFixed(1)} MB: server RSS +${r.growthMb.toFixed(1)} MB`);
    assert.ok(r.growthMb < LIMIT_MB, `RSS grew ${r.growthMb.toFixed(1)} MB`);
  });

  for (const fmt of ['csv', 'json', 'xlsx']) {
    it(`renders the ${fmt.toUpperCase()} piece by piece with little memory`, async () => {
      const r = await download(srv, `/data/${slug}/unduh/1.${fmt}`);
      assert.equal(r.status, 200);
      if (fmt === 'xlsx') assert.equal(Number(r.headers['content-length']), r.bytes);
      else assert.equal(r.headers['transfer-encoding'], 'chunked');
      assert.ok(r.bytes > (fmt === 'xlsx' ? csvBytes / 4 : csvBytes), `${r.bytes} bytes`);
      console.log(`# ${fmt} ${(r.bytes / 1e6).toFixed(1)} MB: server RSS +${r.growthMb.toFixed(1)} MB`);
      assert.ok(r.growthMb < LIMIT_MB, `RSS grew ${r.growthMb.toFixed(1)} MB`);
    });
  }

  it('refuses the XLSX of a sheet over 1,048,576 rows with 413 before any work, in the user\'s language', async () => {
    const many = await publishCsv('banyak-baris', (i) => `K${i},a,${i % 10},1\n`, { rows: 1048576 });
    for (const lang of ['id', 'en']) {
      const msg = JSON.parse(readFileSync(join(ROOT, 'src', 'modules', 'satudata', 'i18n', `${lang}.json`), 'utf8')).satudata_err_xlsx_too_big;
      const t0 = Date.now();
      const r = await request(srv.base, `/data/${many.slug}/unduh/1.xlsx`, { headers: { 'Accept-Language': lang } });
      assert.equal(r.status, 413);
      assert.ok(r.body.includes(msg), `${lang}: ${r.body.slice(0, 300)}`);
      assert.ok(Date.now() - t0 < 5000, 'refused from the row count, without rendering');
    }
    const csv = await download(srv, `/data/${many.slug}/unduh/1.csv`);
    assert.equal(csv.status, 200, 'the CSV of the same version is still served');
  });

  it('a client leaving mid-download or reading slowly costs nothing and stops nothing else', async () => {
    const before = rssKb(srv.pid);
    for (let i = 0; i < 5; i++) {
      const r = await download(srv, `/data/${slug}/unduh/1.json`, { stopAfter: 2 << 20 });
      assert.equal(r.status, 200);
    }
    // A slow reader: 64 KB now and then for 1.5 s, while others are served.
    await new Promise((resolve) => {
      const req = http.get({ host: '127.0.0.1', port: srv.port, path: `/data/${slug}/unduh/1.csv`, agent: false }, (res) => {
        res.pause();
        const tick = setInterval(() => { res.read(64 * 1024); }, 100);
        setTimeout(() => { clearInterval(tick); req.destroy(); resolve(); }, 1500);
      });
      req.on('error', () => {});
    });
    assert.equal((await request(srv.base, '/healthz')).status, 200);
    await sleep(200);
    const grown = (rssKb(srv.pid) - before) / 1024;
    assert.ok(grown < LIMIT_MB, `RSS grew ${grown.toFixed(1)} MB after abandoned downloads`);
    const small = await request(srv.base, `/data/${slug}`);
    assert.equal(small.status, 200);
  });
});
