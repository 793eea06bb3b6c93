// The Satu Data token page (/data-opd/token) in a browser, with axe on every state, in Indonesian
// and in English: an OPD operator creates a token, sees its secret once (gone on reload), the
// token works on the CKAN API and its "last used" time appears on the page, the operator revokes
// it (it stops working, the revoke button goes); the command line lists, adds and revokes tokens
// of the same database. Skipped when GAPURA_E2E_SKIP_BROWSER=1. Chromium: $CHROMIUM or
// /usr/bin/chromium.
// Run: GAPURA_BIN=$PWD/build/gapura node --test tests/e2e/satudata-token-page.test.mjs
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { axeChecker, startBrowserServer, stopBrowserServer, newPage as openPage, signInWith } from './lib/browser.mjs';
import { runCli, ROOT, DEMO, DEMO_PASSWORD } from './lib/server.mjs';
import { request } from './lib/client.mjs';

const SKIP = process.env.GAPURA_E2E_SKIP_BROWSER === '1';
const SD = {
  id: JSON.parse(readFileSync(join(ROOT, 'src', 'modules', 'satudata', 'i18n', 'id.json'), 'utf8')),
  en: JSON.parse(readFileSync(join(ROOT, 'src', 'modules', 'satudata', 'i18n', 'en.json'), 'utf8')),
};
const OPERATOR = DEMO.operator;  // operator.pupr@demo.gapura.id, producer for DPUPR-PRKP
const SECRET_RE = /^sd_[A-Za-z0-9_-]{40,}$/;

describe('Satu Data token page in a browser (create, secret once, last used, revoke; CLI; axe)',
  { skip: SKIP ? 'GAPURA_E2E_SKIP_BROWSER=1' : false }, () => {
    let srv;
    let browser;
    let AxeBuilder;

    before(async () => {
      ({ srv, browser, AxeBuilder } = await startBrowserServer({ accessLog: false }));
    });
    after(() => stopBrowserServer({ srv, browser }));

    const ckan = (secret) => request(srv.base, '/api/3/action/package_list', { headers: { Authorization: secret } });
    // The table row of the token called `name`.
    const rowOf = (page, name) => page.locator('main tbody tr', { has: page.locator('td', { hasText: name }) });

    it('create, see the secret once, use it, revoke it (id and en), axe on every state', async (t) => {
      const axeRun = axeChecker(AxeBuilder);
      for (const lang of ['id', 'en']) {
        const T = SD[lang];
        const { context, page, problems } = await openPage(browser, srv.base);
        try {
          await signInWith(page, OPERATOR, DEMO_PASSWORD);
          await page.goto(`/bahasa/${lang}?ke=${encodeURIComponent('/data-opd/token')}`);
          assert.equal(new URL(page.url()).pathname, '/data-opd/token');
          assert.equal(await page.getAttribute('html', 'lang'), lang);
          assert.equal((await page.textContent('main h1')).trim(), T.satudata_tokens_title);
          await axeRun.check(page, 'token page');

          // A bad name: the form comes back with the error, nothing created.
          const before = await page.locator('main tbody tr').count();
          await page.fill('#name', '   ');
          await page.evaluate(() => document.querySelector('#name').removeAttribute('required'));
          const [bad] = await Promise.all([
            page.waitForResponse((r) => r.url().endsWith('/data-opd/token') && r.request().method() === 'POST'),
            page.click('main form[action="/data-opd/token"] button[type=submit]'),
          ]);
          await page.waitForLoadState();
          assert.equal(bad.status(), 422);
          assert.equal((await page.textContent('main .field-err')).trim(), T.satudata_err_token_name);
          assert.equal(await page.locator('#secret').count(), 0);
          assert.equal(await page.locator('main tbody tr').count(), before);
          await axeRun.check(page, 'token page, name refused');

          // Create: the secret is shown once, in the page's language.
          const name = `Sistem SIMDA ${lang} ${process.pid}`;
          await page.fill('#name', name);
          await Promise.all([
            page.waitForResponse((r) => r.url().endsWith('/data-opd/token') && r.request().method() === 'POST' && r.status() === 200),
            page.click('main form[action="/data-opd/token"] button[type=submit]'),
          ]);
          await page.waitForLoadState();
          assert.equal((await page.textContent('main [role=status] h2')).trim(), T.satudata_token_created);
          const secret = await page.inputValue('#secret');
          assert.match(secret, SECRET_RE);
          const row = rowOf(page, name);
          assert.equal(await row.count(), 1);
          assert.match(await row.textContent(), new RegExp(T.satudata_token_active));
          assert.ok((await row.textContent()).includes(secret.slice(0, 7)), 'the row shows the prefix');
          assert.ok((await row.textContent()).includes(T.satudata_token_never_used), 'not used yet');
          await axeRun.check(page, 'token page, secret shown');

          // Shown once: a reload (GET) has neither the secret nor any trace of it.
          await page.goto('/data-opd/token');
          assert.equal(await page.locator('#secret').count(), 0);
          assert.ok(!(await page.content()).includes(secret), 'the secret is on the page again');

          // The token works, and its last use shows on the page.
          assert.equal((await ckan(secret)).status, 200);
          await page.reload();
          const used = await rowOf(page, name).textContent();
          assert.ok(!used.includes(T.satudata_token_never_used), `still "never used" after a use: ${used}`);
          await axeRun.check(page, 'token page, token used');

          // Revoke: the notice, the status, no button any more; the token stops working.
          await Promise.all([
            page.waitForURL(/\/data-opd\/token\?pesan=dicabut$/),
            rowOf(page, name).locator('button[type=submit]').click(),
          ]);
          assert.equal((await page.textContent('main p.notice')).trim(), T.satudata_token_revoked_notice);
          const revoked = rowOf(page, name);
          assert.match(await revoked.textContent(), new RegExp(T.satudata_token_revoked));
          assert.equal(await revoked.locator('button').count(), 0);
          assert.equal((await ckan(secret)).status, 403);
          await axeRun.check(page, 'token page, token revoked');
          assert.deepEqual(problems, []);
        } finally {
          await context.close();
        }
      }
      axeRun.report(t, 'fix src/modules/satudata/templates/tokens.mustache or gapura.css');
    });

    it('the command line lists, adds and revokes the same tokens', async () => {
      const add = await runCli(['satudata', 'token', 'add', '--opd', 'dpupr-prkp', '--name', 'Dasbor CLI'], srv.env);
      assert.equal(add.code, 0, add.stderr);
      const secret = add.stdout.trim();
      assert.match(secret, SECRET_RE);
      assert.equal((await ckan(secret)).status, 200);
      const list = await runCli(['satudata', 'token', 'list', '--opd', 'dpupr-prkp'], srv.env);
      assert.equal(list.code, 0, list.stderr);
      const line = list.stdout.split('\n').find((l) => l.includes('Dasbor CLI'));
      assert.ok(line, list.stdout);
      assert.ok(!list.stdout.includes(secret), 'list printed a secret');
      const id = line.split('\t')[0];
      assert.match(id, /^\d+$/);
      assert.match(line, /\tactive$/);
      const revoke = await runCli(['satudata', 'token', 'revoke', '--id', id], srv.env);
      assert.equal(revoke.code, 0, revoke.stderr);
      assert.equal((await ckan(secret)).status, 403);
      const again = await runCli(['satudata', 'token', 'revoke', '--id', id], srv.env);
      assert.equal(again.code, 1);
      assert.equal(again.stdout, '');
      const bad = await runCli(['satudata', 'token', 'add', '--opd', 'tidak-ada', '--name', 'x'], srv.env);
      assert.equal(bad.code, 2);
      assert.match(bad.stderr, /tidak-ada/);
    });
  });
