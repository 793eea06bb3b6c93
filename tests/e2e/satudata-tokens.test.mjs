// Satu Data OPD API tokens and the XLSX download against the real binary: a token made on the
// agency page works through the CKAN API in CKAN's three header forms and on the download links;
// bad header values (empty, 10 KB, non-ASCII) are refused without harm; a revoked token is
// CKAN's 403; the secret never appears in the access log, the application log or the audit
// chain; the XLSX download opens in python3's zipfile (every CRC) and `unzip -t`.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, runCli, DEMO_PASSWORD } from './lib/server.mjs';
import { request, CookieJar, csrfFrom, parseJson, rawOnce } from './lib/client.mjs';

const DISDIK = 'operator.disdik@demo.gapura.id';
const DATASET = 'jumlah-penduduk-per-kecamatan';

async function signIn(srv, email) {
  const jar = new CookieJar();
  const page = await request(srv.base, '/masuk', { jar });
  const res = await request(srv.base, '/masuk', { method: 'POST', jar, form: { _csrf: csrfFrom(page.body), email, password: DEMO_PASSWORD } });
  assert.equal(res.status, 303, 'sign in');
  return jar;
}

function has(cmd) {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe('Satu Data API tokens and XLSX (black box)', () => {
  let srv;
  let jar;
  let secret;
  const tmp = mkdtempSync(join(tmpdir(), 'gapura-xlsx-'));
  before(async () => {
    srv = await startServer({ env: { GAPURA_LOG_LEVEL: 'debug' } });
    jar = await signIn(srv, DISDIK);
  });
  after(async () => {
    if (srv) await srv.stop();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('creates a token on the agency page and shows the secret once', async () => {
    const page = await request(srv.base, '/data-opd/token', { jar });
    assert.equal(page.status, 200);
    const made = await request(srv.base, '/data-opd/token', { method: 'POST', jar, form: { _csrf: csrfFrom(page.body), name: 'Dasbor e2e', expires: '' } });
    assert.equal(made.status, 200);
    assert.equal(made.headers['cache-control'], 'no-store');
    const m = /id="secret" class="sd-hash" value="(sd_[A-Za-z0-9_-]{43})"/.exec(made.body);
    assert.ok(m, 'secret on the page');
    secret = m[1];
    const again = await request(srv.base, '/data-opd/token', { jar });
    assert.ok(!again.body.includes(secret), 'the secret is shown only once');
    assert.ok(again.body.includes('Dasbor e2e'));
  });

  it('answers the CKAN API in CKAN\'s three header forms, read-only', async () => {
    for (const headers of [{ Authorization: secret }, { Authorization: `Bearer ${secret}` }, { 'X-CKAN-API-Key': secret }]) {
      const r = await request(srv.base, '/api/3/action/package_search?include_private=true&rows=1', { headers });
      assert.equal(r.status, 200, JSON.stringify(Object.keys(headers)));
      assert.equal(parseJson(r).success, true);
    }
    const w = await request(srv.base, '/api/3/action/package_create', { method: 'POST', headers: { Authorization: secret }, json: { name: 'x' } });
    assert.equal(w.status, 403);
    assert.equal(parseJson(w).error.__type, 'Authorization Error');
    const dl = await request(srv.base, `/data/${DATASET}/unduh/1.csv`, { headers: { Authorization: secret } });
    assert.equal(dl.status, 200);
    assert.equal(dl.headers['cache-control'], 'private, no-store');
  });

  it('refuses bad header values without harm (empty, 10 KB, non-ASCII, unknown)', async () => {
    const empty = await rawOnce(srv.port, 'GET /api/3/action/package_list HTTP/1.1\r\nHost: a\r\nAuthorization: \r\nConnection: close\r\n\r\n');
    assert.equal(empty.status, 200, 'an empty Authorization is no credential');
    const big = await rawOnce(srv.port, `GET /api/3/action/package_list HTTP/1.1\r\nHost: a\r\nX-CKAN-API-Key: sd_${'A'.repeat(10 * 1024)}\r\nConnection: close\r\n\r\n`);
    assert.equal(big.status, 431, '10 KB header');
    const mid = await request(srv.base, '/api/3/action/package_list', { headers: { Authorization: `sd_${'A'.repeat(4000)}` } });
    assert.equal(mid.status, 403);
    assert.equal(parseJson(mid).error.__type, 'Authorization Error');
    const utf8 = Buffer.concat([
      Buffer.from('GET /api/3/action/package_list HTTP/1.1\r\nHost: a\r\nAuthorization: sd_'),
      Buffer.from('ééé-token-ü', 'utf8'),
      Buffer.from('\r\nConnection: close\r\n\r\n'),
    ]);
    const non = await rawOnce(srv.port, utf8);
    assert.equal(non.status, 403, 'non-ASCII key');
    const unknown = await request(srv.base, '/api/3/action/package_show?id=' + DATASET, { headers: { 'X-CKAN-API-Key': 'sd_' + 'B'.repeat(43) } });
    assert.equal(unknown.status, 403);
    assert.equal(parseJson(unknown).error.__type, 'Authorization Error');
    assert.equal((await request(srv.base, '/healthz')).status, 200, 'still serving');
  });

  it('serves the published version as an XLSX a real reader opens', async (t) => {
    const page = await request(srv.base, `/data/${DATASET}`);
    assert.ok(page.body.includes(`/data/${DATASET}/unduh/1.xlsx`), 'linked beside CSV and JSON');
    const r = await request(srv.base, `/data/${DATASET}/unduh/1.xlsx`);
    assert.equal(r.status, 200);
    assert.equal(r.headers['content-type'], 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
    const file = join(tmp, 'book.xlsx');
    writeFileSync(file, r.buffer);
    if (!has('python3')) return t.skip('python3 not installed');
    const script = [
      'import sys, zipfile, xml.etree.ElementTree as ET',
      'z = zipfile.ZipFile(sys.argv[1]); assert z.testzip() is None',
      'for n in z.namelist(): ET.fromstring(z.read(n))',
      'ns = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"',
      'rows = ET.fromstring(z.read("xl/worksheets/sheet1.xml")).iter(ns + "row")',
      'print(sum(1 for _ in rows))',
    ].join('\n');
    const rows = Number(execFileSync('python3', ['-c', script, file]).toString().trim());
    const csv = await request(srv.base, `/data/${DATASET}/unduh/1.csv`);
    assert.equal(rows, csv.body.trimEnd().split('\r\n').length, 'one sheet row per CSV record');
    if (has('unzip')) execFileSync('unzip', ['-tq', file]);  // throws on a bad archive
    const pkg = parseJson(await request(srv.base, `/api/3/action/package_show?id=${DATASET}`));
    assert.deepEqual(pkg.result.resources.map((x) => x.format), ['CSV', 'JSON', 'XLSX']);
  });

  it('a revoked token is CKAN\'s 403, and the secret is in no log and no audit entry', async () => {
    const page = await request(srv.base, '/data-opd/token', { jar });
    const id = /action="\/data-opd\/token\/(\d+)\/cabut"/.exec(page.body)[1];
    const rv = await request(srv.base, `/data-opd/token/${id}/cabut`, { method: 'POST', jar, form: { _csrf: csrfFrom(page.body) } });
    assert.equal(rv.status, 303);
    const r = await request(srv.base, '/api/3/action/package_list', { headers: { Authorization: secret } });
    assert.equal(r.status, 403);
    assert.deepEqual(Object.keys(parseJson(r)).sort(), ['error', 'help', 'success']);
    assert.equal(parseJson(r).error.__type, 'Authorization Error');
    const verify = await runCli(['audit', 'verify'], srv.env);
    assert.equal(verify.code, 0, verify.stdout + verify.stderr);
    await srv.stop({ keepVarDir: true });
    const access = readFileSync(srv.accessLogPath, 'utf8');
    assert.ok(access.includes('/api/3/action/package_list'), 'the access log has the requests');
    const core = secret.slice(3);
    for (const [name, text] of [['access log', access], ['application log', srv.output()]]) assert.ok(!text.includes(core), `secret in ${name}`);
    // The database files (the token table and the audit chain): the hash, never the secret.
    const db = srv.env.GAPURA_DATABASE.replace(/^sqlite:\/\//, '');
    for (const f of [db, `${db}-wal`]) {
      let bytes;
      try { bytes = readFileSync(f); } catch { continue; }
      assert.ok(!bytes.includes(core), `secret in ${f}`);
    }
    if (has('sqlite3')) {
      const audit = execFileSync('sqlite3', [db, "SELECT action || ' ' || summary FROM audit_log WHERE object_type = 'sd_api_token'"]).toString();
      assert.match(audit, /satudata\.token_create .*Dasbor e2e/);
      assert.match(audit, /satudata\.token_revoke/);
      assert.ok(!audit.includes(core));
    }
    rmSync(srv.varDir, { recursive: true, force: true });
    srv = null;
  });
});
