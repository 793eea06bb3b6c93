// What the browser test files share: Debian's Chromium started by playwright-core with the flags
// this closed network needs, a page that records script errors and failed sub-resources,
// signing in through the real form, and axe checks of page states. Chromium: $CHROMIUM or
// /usr/bin/chromium.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { startServer } from './server.mjs';

export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

// Starts Chromium; returns { browser, AxeBuilder } (playwright-core and axe are loaded lazily, so a
// file skipped with GAPURA_E2E_SKIP_BROWSER=1 does not need them).
export async function launchBrowser() {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`Chromium not found at ${CHROMIUM} (set CHROMIUM, or GAPURA_E2E_SKIP_BROWSER=1 to skip)`);
  }
  const { chromium } = await import('playwright-core');
  const { default: AxeBuilder } = await import('@axe-core/playwright');
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
  return { browser, AxeBuilder };
}

// What every browser test file starts in its `before`: a server (startServer's options) and
// Chromium; returns { srv, browser, AxeBuilder }. The server is stopped again when Chromium fails.
export async function startBrowserServer(serverOpts = {}) {
  const srv = await startServer(serverOpts);
  try {
    return { srv, ...(await launchBrowser()) };
  } catch (e) {
    await srv.stop();
    throw e;
  }
}

// Its `after`: closes what startBrowserServer started (either may be missing after a failure).
export async function stopBrowserServer({ srv, browser } = {}) {
  if (browser) await browser.close().catch(() => {});
  if (srv) await srv.stop();
}

// A fresh context (empty cache, as on a first visit) for an Indonesian browser: the server
// negotiates the language from Accept-Language. `problems` collects page errors, console errors
// (documents answered 4xx on purpose log "Failed to load resource"; sub-resources are checked
// through their responses) and sub-resources answered 400 or more.
export async function newPage(browser, base, { timeout = 10000, ...opts } = {}) {
  const context = await browser.newContext({ baseURL: base, locale: 'id-ID', ...opts });
  const page = await context.newPage();
  page.setDefaultTimeout(timeout);
  const problems = [];
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) problems.push(`console error: ${m.text()}`);
  });
  page.on('response', (r) => {
    if (r.request().resourceType() !== 'document' && r.status() >= 400) problems.push(`${r.status()} for ${r.url()}`);
  });
  return { context, page, problems };
}

export async function signInWith(page, who, pw) {
  await page.goto('/masuk');
  await page.fill('#email', who);
  await page.fill('#password', pw);
  await Promise.all([page.waitForURL(/\/akun/), page.click('main button[type=submit]')]);
}

// Axe checks gathered over a test: `check(page, what)` runs axe on the page as it is now and
// records serious and critical violations (one entry per node, with the rule, its help and the
// element) in `found`, lesser ones in `minor` (printed, never failing), the page state in
// `checked`; it returns the page's lang. `report(t, hint)` prints the minor ones and the states
// checked, then fails when anything serious or critical was found.
export function axeChecker(AxeBuilder) {
  const found = [];
  const minor = [];
  const checked = [];
  async function check(page, what) {
    const lang = await page.getAttribute('html', 'lang');
    const result = await new AxeBuilder({ page }).options({ resultTypes: ['violations'] }).analyze();
    checked.push(`${what} [${lang}]`);
    for (const v of result.violations) {
      const where = v.nodes.map((n) => n.target.join(' ')).join(' | ');
      if (v.impact !== 'serious' && v.impact !== 'critical') {
        minor.push(`axe (${v.impact}) ${v.id} on ${what} [${lang}]: ${where}`);
        continue;
      }
      for (const n of v.nodes) {
        found.push(`${v.impact} ${v.id} on ${what} [${lang}]: ${n.target.join(' ')}\n    ${v.help} (${v.helpUrl})\n    ` +
          `${(n.failureSummary || '').split('\n').slice(0, 3).join(' ')}\n    ${n.html.slice(0, 200)}`);
      }
    }
    return lang;
  }
  function report(t, hint = '') {
    for (const m of minor) t.diagnostic(m);
    t.diagnostic(`axe checked ${checked.length} page states: ${checked.join(', ')}`);
    assert.deepEqual(found, [], `axe found ${found.length} serious/critical accessibility violations` +
      `${hint ? ` (${hint})` : ''}:\n${found.join('\n')}`);
  }
  return { check, report, found, minor, checked };
}
