// What the browser test files share: Debian's Chromium started by playwright-core with the flags
// this closed network needs, a page that records script errors and failed sub-resources, and
// signing in through the real form. Chromium: $CHROMIUM or /usr/bin/chromium.
import { existsSync } from 'node:fs';

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
