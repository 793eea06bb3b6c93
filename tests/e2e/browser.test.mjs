// Browser tests (Playwright on Debian's Chromium, axe-core): sign-up, sign-out, sign-in, language
// switch, phone layout, page weight and accessibility, in Indonesian and English.
// Skipped when GAPURA_E2E_SKIP_BROWSER=1 (the AddressSanitizer run). Chromium: $CHROMIUM or /usr/bin/chromium.
// Screenshots: /tmp/gapura-home.png (home on a phone) and /tmp/gapura-signup-errors.png.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startBrowserServer, stopBrowserServer, newPage as openPage, signInWith } from './lib/browser.mjs';
import { ROOT, DEMO, DEMO_PASSWORD } from './lib/server.mjs';

const SKIP = process.env.GAPURA_E2E_SKIP_BROWSER === '1';
const ID = JSON.parse(readFileSync(join(ROOT, 'web', 'i18n', 'id.json'), 'utf8'));
const EN = JSON.parse(readFileSync(join(ROOT, 'web', 'i18n', 'en.json'), 'utf8'));
const PHONE = { width: 360, height: 740 };
const HOME_BUDGET_BYTES = 50 * 1000;  // "under 50 KB" for HTML + CSS + images, headers included

describe('Gapura in a browser', { skip: SKIP ? 'GAPURA_E2E_SKIP_BROWSER=1' : false }, () => {
  let srv;
  let browser;
  let AxeBuilder;
  const email = `e2e-browser-${process.pid}-${Date.now()}@contoh.id`;
  const password = 'kata sandi panjang 2026';
  const name = 'Sri Rahayu';

  before(async () => {
    ({ srv, browser, AxeBuilder } = await startBrowserServer({ accessLog: false }));
  });
  after(() => stopBrowserServer({ srv, browser }));

  // A fresh context each time: an empty cache, as on a first visit.
  const newPage = (opts = {}) => openPage(browser, srv.base, { timeout: 10000, ...opts });


  it('sign up through the form, see the account page, sign out, sign in again', async () => {
    const { context, page, problems } = await newPage();
    try {
      await page.goto('/');
      await page.click(`main a[href="/daftar"]`);
      await page.waitForURL(/\/daftar$/);
      assert.equal(await page.textContent('h1'), ID.sign_up_title);
      await page.fill('#email', email);
      await page.fill('#display_name', name);
      await page.fill('#password', password);
      await page.fill('#password_confirm', password);
      await page.check('input[name=role][value=warga]');
      await Promise.all([page.waitForURL(/\/akun\?pesan=selamat-datang$/), page.click('main button[type=submit]')]);
      assert.equal(await page.textContent('h1'), ID.account_title);
      assert.equal((await page.textContent('[role=status]')).trim(), ID.notice_welcome);
      const facts = await page.textContent('dl.facts');
      assert.ok(facts.includes(name) && facts.includes(email) && facts.includes(ID.role_warga), `account facts: ${facts}`);
      // The session cookie is invisible to scripts.
      assert.ok(!(await page.evaluate(() => document.cookie)).includes('gapura_session'));

      await Promise.all([page.waitForURL((u) => u.pathname === '/'), page.click(`header button:has-text("${ID.sign_out}")`)]);
      assert.ok(await page.isVisible(`header a[href="/masuk"]`), 'not signed out: no sign-in link');
      const cookies = await context.cookies();
      assert.ok(!cookies.some((c) => c.name === 'gapura_session'), 'session cookie still set after sign-out');
      await page.goto('/akun');
      assert.match(new URL(page.url()).pathname, /^\/masuk$/, '/akun after sign-out should send to /masuk');

      // Wrong password first: an error in the form, then the right one.
      await page.fill('#email', email);
      await page.fill('#password', 'salah salah salah');
      await page.click('main button[type=submit]');
      assert.equal((await page.textContent('[role=alert]')).trim(), ID.err_bad_credentials);
      await page.fill('#password', password);
      await Promise.all([page.waitForURL(/\/akun$/), page.click('main button[type=submit]')]);
      assert.equal(await page.textContent('h1'), ID.account_title);
      assert.deepEqual(problems, []);
    } finally {
      await context.close();
    }
  });

  it('switching to English and back changes the texts and <html lang>', async () => {
    const { context, page, problems } = await newPage();
    try {
      await signInWith(page, DEMO.warga, DEMO_PASSWORD);
      for (const path of ['/akun', '/masuk', '/']) {
        if (path === '/masuk') {  // signed-out pages too
          await context.clearCookies();
        }
        await page.goto(path);
        const expectId = path === '/akun' ? ID.account_title : path === '/masuk' ? ID.sign_in_title : ID.home_heading;
        const expectEn = path === '/akun' ? EN.account_title : path === '/masuk' ? EN.sign_in_title : EN.home_heading;
        assert.equal(await page.getAttribute('html', 'lang'), 'id');
        assert.equal(await page.textContent('h1'), expectId);
        await Promise.all([page.waitForURL((u) => u.pathname === path), page.click('header a[hreflang="en"]')]);
        assert.equal(await page.getAttribute('html', 'lang'), 'en', `${path}: lang after switching to English`);
        assert.equal(await page.textContent('h1'), expectEn, `${path}: heading in English`);
        assert.equal(await page.textContent('.skip'), EN.skip_to_content);
        await Promise.all([page.waitForURL((u) => u.pathname === path), page.click('header a[hreflang="id"]')]);
        assert.equal(await page.getAttribute('html', 'lang'), 'id', `${path}: lang after switching back`);
        assert.equal(await page.textContent('h1'), expectId);
      }
      assert.deepEqual(problems, []);
    } finally {
      await context.close();
    }
  });

  it('a 360×740 phone viewport has no horizontal scroll (home, sign-up, sign-in, account, about data, audit)', async () => {
    const { context, page } = await newPage({ viewport: PHONE, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
    try {
      const overflow = [];
      const check = async (path, lang) => {
        await page.goto(path);
        const m = await page.evaluate(() => {
          const de = document.documentElement;
          const wide = [...document.querySelectorAll('body *')]
            .filter((el) => {
              const r = el.getBoundingClientRect();
              if (r.width === 0) return false;
              // Inside a horizontally scrollable box (e.g. .table-wrap) is fine.
              for (let p = el.parentElement; p; p = p.parentElement) {
                const s = getComputedStyle(p);
                if (p !== de && p !== document.body && /(auto|scroll|hidden)/.test(s.overflowX)) return false;
              }
              return r.right > de.clientWidth + 1 || r.left < -1;
            })
            .slice(0, 5)
            .map((el) => `${el.tagName.toLowerCase()}${el.id ? '#' + el.id : ''}${el.className ? '.' + String(el.className).trim().replace(/\s+/g, '.') : ''}`);
          return { scrollWidth: de.scrollWidth, clientWidth: de.clientWidth, wide };
        });
        if (m.scrollWidth > m.clientWidth) overflow.push(`${path} (${lang}): scrollWidth ${m.scrollWidth} > ${m.clientWidth}; too wide: ${m.wide.join(', ')}`);
      };
      for (const lang of ['id', 'en']) {
        await page.goto(`/bahasa/${lang}?ke=/`);
        for (const path of ['/', '/daftar', '/masuk', '/tentang-data', '/jejak-audit']) await check(path, lang);
      }
      await signInWith(page, DEMO.warga, DEMO_PASSWORD);
      await check('/akun', 'en');
      await page.goto('/');
      await page.screenshot({ path: '/tmp/gapura-home-signed-in.png', fullPage: true });
      assert.deepEqual(overflow, [], `horizontal scroll at 360 px:\n${overflow.join('\n')}`);
    } finally {
      await context.close();
    }
  });

  it('screenshots: home on a phone, sign-up with errors', async () => {
    const { context, page } = await newPage({ viewport: PHONE, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
    try {
      await page.goto('/');
      await page.screenshot({ path: '/tmp/gapura-home.png', fullPage: true });
      await page.goto('/daftar');
      await page.fill('#email', 'bukan-email');
      await page.fill('#display_name', '');
      await page.fill('#password', 'pendek');
      await page.fill('#password_confirm', 'pendek');
      await page.click('main button[type=submit]');
      await page.waitForSelector('[role=alert]');
      assert.equal((await page.textContent('[role=alert]')).trim(), ID.err_form_invalid);
      const errs = await page.$$eval('.field-err', (els) => els.map((e) => e.textContent.trim()));
      assert.deepEqual(errs, [ID.err_email_invalid, ID.err_name_invalid, ID.err_password_short]);
      // Each invalid field points at its message.
      for (const id of ['email', 'display_name', 'password']) {
        assert.equal(await page.getAttribute(`#${id}`, 'aria-invalid'), 'true', `#${id} aria-invalid`);
        const desc = (await page.getAttribute(`#${id}`, 'aria-describedby')) || '';
        const texts = await Promise.all(desc.split(/\s+/).filter(Boolean).map((d) => page.textContent(`#${d}`)));
        assert.ok(texts.some((t) => errs.includes(t.trim())), `#${id} is not described by its error message`);
      }
      // The typed e-mail is kept, the password is not echoed back.
      assert.equal(await page.inputValue('#email'), 'bukan-email');
      assert.equal(await page.inputValue('#password'), '');
      await page.screenshot({ path: '/tmp/gapura-signup-errors.png', fullPage: true });
    } finally {
      await context.close();
    }
  });

  it(`the home page transfers under ${HOME_BUDGET_BYTES / 1000} KB (HTML + CSS + images)`, async (t) => {
    const { context, page } = await newPage({ viewport: PHONE });
    try {
      const responses = [];
      page.on('response', (r) => responses.push(r));
      await page.goto('/', { waitUntil: 'load' });
      await page.waitForLoadState('networkidle');
      let total = 0;
      const rows = [];
      for (const r of responses) {
        const s = await r.request().sizes();
        const bytes = s.responseBodySize + s.responseHeadersSize;
        total += bytes;
        rows.push(`${r.status()} ${new URL(r.url()).pathname} ${bytes} B`);
      }
      t.diagnostic(`home page: ${total} bytes in ${responses.length} responses: ${rows.join('; ')}`);
      assert.ok(responses.some((r) => r.url().endsWith('.css')), 'no stylesheet loaded');
      assert.ok(total < HOME_BUDGET_BYTES, `home page transfers ${total} bytes (budget ${HOME_BUDGET_BYTES}):\n${rows.join('\n')}`);
    } finally {
      await context.close();
    }
  });

  it('axe: no serious or critical violations on /, /daftar, /masuk, /akun, /tentang-data, /jejak-audit (id and en)', async (t) => {
    const found = [];
    let checked = 0;
    for (const lang of ['id', 'en']) {
      for (const signedIn of [false, true]) {
        const { context, page } = await newPage();
        try {
          if (signedIn) await signInWith(page, DEMO.admin, DEMO_PASSWORD);
          await page.goto(`/bahasa/${lang}?ke=/`);
          const paths = signedIn ? ['/akun', '/', '/jejak-audit'] : ['/', '/daftar', '/masuk', '/tentang-data', '/jejak-audit'];
          for (const path of paths) {
            await page.goto(path);
            assert.equal(await page.getAttribute('html', 'lang'), lang, `${path}: lang`);
            const result = await new AxeBuilder({ page }).options({ resultTypes: ['violations'] }).analyze();
            checked++;
            for (const v of result.violations) {
              if (v.impact !== 'serious' && v.impact !== 'critical') {
                t.diagnostic(`axe (${v.impact}) ${v.id} on ${path} [${lang}${signedIn ? ', signed in' : ''}]: ` +
                  v.nodes.map((n) => n.target.join(' ')).join(' | '));
                continue;
              }
              for (const n of v.nodes) {
                found.push(`${v.impact} ${v.id} on ${path} [${lang}${signedIn ? ', signed in' : ''}]: ` +
                  `${n.target.join(' ')} — ${n.failureSummary?.split('\n').slice(0, 2).join(' ') || v.help}`);
              }
            }
          }
          // The sign-up form with errors too.
          if (!signedIn) {
            await page.goto('/daftar');
            await page.click('main button[type=submit]');
            await page.waitForSelector('[role=alert]');
            const result = await new AxeBuilder({ page }).options({ resultTypes: ['violations'] }).analyze();
            checked++;
            for (const v of result.violations.filter((x) => x.impact === 'serious' || x.impact === 'critical')) {
              for (const n of v.nodes) found.push(`${v.impact} ${v.id} on /daftar with errors [${lang}]: ${n.target.join(' ')}`);
            }
          }
        } finally {
          await context.close();
        }
      }
    }
    t.diagnostic(`axe checked ${checked} page states`);
    assert.deepEqual(found, [], `axe found serious/critical accessibility violations (templates/CSS need fixing):\n${found.join('\n')}`);
  });
});
