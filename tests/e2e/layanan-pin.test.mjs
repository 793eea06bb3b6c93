// Browser test of the Layanan report form's optional map pin (Layanan issue: "citizens report from
// the web form (works without JS; location by desa/kelurahan + address, optional map pin)"):
//  1. With JS: the pin's <details> opens a Leaflet map centred on the regency; choosing a desa
//     re-centres it on the desa's kecamatan; a click places the pin and fills lat/long, dragging
//     moves it; a pin outside the regency typed by hand is refused with the message under the
//     field; the report is submitted and its public page shows the point (numbers, a map link and
//     a small map).
//  2. Without JS: the same form takes typed coordinates and the ticket page shows them.
//  3. axe: no serious or critical violations on the service choice, the form (pin closed, pin
//     open with the map, with errors) and the ticket page, in Indonesian and English.
// Map tiles point at a closed local port (no request leaves the machine; the map works without).
// Skipped when GAPURA_E2E_SKIP_BROWSER=1. Chromium: $CHROMIUM or /usr/bin/chromium.
// Run: GAPURA_BIN=$PWD/build/gapura node --test tests/e2e/layanan-pin.test.mjs
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { axeChecker, startBrowserServer, stopBrowserServer, newPage as openPage, signInWith } from './lib/browser.mjs';
import { freePort, ROOT, DEMO, DEMO_PASSWORD } from './lib/server.mjs';

const SKIP = process.env.GAPURA_E2E_SKIP_BROWSER === '1';
const LID = JSON.parse(readFileSync(join(ROOT, 'src', 'modules', 'layanan', 'i18n', 'id.json'), 'utf8'));
const REGENCY = JSON.parse(readFileSync(join(ROOT, 'data', 'regencies', 'tuban', 'regency.json'), 'utf8'));
const FORM = '/layanan/lapor?layanan=jalan-rusak';

describe('Layanan report form: the optional map pin in a browser (axe)', { skip: SKIP ? 'GAPURA_E2E_SKIP_BROWSER=1' : false }, () => {
  let srv;
  let browser;
  let AxeBuilder;

  before(async () => {
    const deadPort = await freePort();
    ({ srv, browser, AxeBuilder } = await startBrowserServer({ accessLog: false, env: { GAPURA_MAP_TILE_URL: `https://127.0.0.1:${deadPort}/{z}/{x}/{y}.png` } }));
    axeRun = axeChecker(AxeBuilder);
  });
  after(() => stopBrowserServer({ srv, browser }));

  let axeRun;  // the axe checks of the whole file, reported by the last test
  const axe = (page, what) => axeRun.check(page, what);

  // Fills everything but the pin: description, the required attribute, a desa of the `k`-th
  // kecamatan (returns that kecamatan's centre from its <optgroup>), the address.
  async function fillReport(page, k = 3) {
    await page.fill('#description', 'Jalan ambles setelah hujan, motor tidak bisa lewat.');
    await page.selectOption('select[name="attribute[tingkat_kerusakan]"]', 'berat');
    const g = page.locator('#village_code optgroup').nth(k);
    const village = await g.locator('option').first().getAttribute('value');
    await page.selectOption('#village_code', village);
    await page.fill('#address_string', 'Jl. Raya depan balai desa');
    return { lat: Number(await g.getAttribute('data-lat')), lng: Number(await g.getAttribute('data-lng')) };
  }
  const submit = (page) => page.click(`main form[method=post] button[type=submit]:has-text("${LID.layanan_submit}")`);
  const inputs = async (page) => ({ lat: Number(await page.inputValue('#lat')), lng: Number(await page.inputValue('#long')) });
  const inside = (p) => p.lat >= REGENCY.map.bounds.south && p.lat <= REGENCY.map.bounds.north &&
    p.lng >= REGENCY.map.bounds.west && p.lng <= REGENCY.map.bounds.east;

  it('with JS: open the pin, the desa re-centres the map, click and drag the pin, submit; the ticket shows the point', async () => {
    const { context, page, problems } = await openPage(browser, srv.base, { timeout: 15000 });
    try {
      await signInWith(page, DEMO.warga, DEMO_PASSWORD);
      await page.goto('/layanan/lapor');
      await axe(page, 'service choice');
      await page.goto(FORM);
      // Closed by default, the map not started: no tile request until the citizen wants a pin.
      assert.equal(await page.getAttribute('#pin', 'open'), null);
      assert.equal(await page.isVisible('#layanan-pin-map'), false);
      await axe(page, 'report form, pin closed');

      // A pin outside the regency, typed: refused by the server, the message under the field.
      const kec = await fillReport(page);
      await page.click('#pin summary');
      await page.waitForSelector('#layanan-pin-map.layanan-pin-live .leaflet-control-zoom-in');
      await page.fill('#lat', '-7.25');
      await page.fill('#long', '112.75');
      const [bad] = await Promise.all([page.waitForResponse((r) => r.request().method() === 'POST'), submit(page)]);
      assert.equal(bad.status(), 400);
      await page.waitForLoadState();
      assert.equal((await page.textContent('#lat-err')).trim(), LID.layanan_err_outside.replace('{regency}', REGENCY.name));
      assert.equal(await page.getAttribute('#lat', 'aria-invalid'), 'true');
      assert.equal(await page.getAttribute('#pin', 'open'), '');  // open again, with the map
      await page.waitForSelector('#layanan-pin-map.layanan-pin-live .leaflet-control-zoom-in');
      assert.equal(await page.locator('#layanan-pin-map .leaflet-marker-icon').count(), 0, 'a pin outside the regency was drawn');
      // The other fields kept their values.
      assert.equal(await page.inputValue('#address_string'), 'Jl. Raya depan balai desa');
      await axe(page, 'report form with a refused pin');

      // Clear the pin, choose the desa again: the map centres on its kecamatan; a click in the
      // middle of the map puts the pin there and fills lat/long.
      await page.click('.layanan-pin-clear');
      assert.equal(await page.inputValue('#lat'), '');
      assert.equal(await page.inputValue('#long'), '');
      const other = page.locator('#village_code optgroup').nth(0).locator('option').first();
      await page.selectOption('#village_code', await other.getAttribute('value'));
      await fillReport(page);  // back to the desa of kecamatan no. 4 (a change event re-centres)
      await page.locator('#layanan-pin-map').click();
      const clicked = await inputs(page);
      assert.ok(Math.abs(clicked.lat - kec.lat) < 0.005 && Math.abs(clicked.lng - kec.lng) < 0.005,
        `a click in the middle of the map gave ${JSON.stringify(clicked)}; the kecamatan's centre is ${JSON.stringify(kec)}`);
      assert.match(await page.inputValue('#lat'), /^-?\d+\.\d{6}$/);
      const marker = page.locator('#layanan-pin-map .leaflet-marker-icon');
      assert.equal(await marker.count(), 1);
      // Drag the pin 60 px east and 40 px south.
      const box = await marker.boundingBox();
      const x = box.x + box.width / 2;
      const y = box.y + box.height - 4;
      await page.mouse.move(x, y);
      await page.mouse.down();
      await page.mouse.move(x + 30, y + 20, { steps: 5 });
      await page.mouse.move(x + 60, y + 40, { steps: 5 });
      await page.mouse.up();
      const dragged = await inputs(page);
      assert.ok(dragged.lng > clicked.lng + 0.001 && dragged.lat < clicked.lat - 0.001,
        `dragging did not move the pin south-east: ${JSON.stringify(clicked)} -> ${JSON.stringify(dragged)}`);
      assert.ok(inside(dragged));
      await axe(page, 'report form, pin open with the map and a pin');

      const latText = await page.inputValue('#lat');
      const lngText = await page.inputValue('#long');
      await Promise.all([page.waitForURL(/\/layanan\/lacak\/LT-[A-Z0-9-]+\?baru=1$/), submit(page)]);
      const facts = await page.textContent('dl.layanan-facts');
      assert.ok(facts.includes(`${latText}, ${lngText}`), `the ticket page does not show ${latText}, ${lngText}: ${facts}`);
      const link = await page.getAttribute(`a:has-text("${LID.layanan_pin_open_map}")`, 'href');
      assert.equal(link, `https://www.openstreetmap.org/?mlat=${latText}&mlon=${lngText}#map=17/${latText}/${lngText}`);
      await page.waitForSelector('#layanan-pin-view.layanan-pin-live .leaflet-marker-icon');
      await axe(page, 'ticket page with the point');
      const code = new URL(page.url()).pathname.split('/').pop();
      assert.deepEqual(problems, []);

      // The same states in English.
      await page.goto(`/bahasa/en?ke=${encodeURIComponent(FORM)}`);
      assert.equal(await page.getAttribute('html', 'lang'), 'en');
      await axe(page, 'report form, pin closed');
      await page.click('#pin summary');
      await page.waitForSelector('#layanan-pin-map.layanan-pin-live .leaflet-control-zoom-in');
      await page.locator('#layanan-pin-map').click();
      await axe(page, 'report form, pin open with the map and a pin');
      await page.goto(`/layanan/lacak/${code}`);
      await page.waitForSelector('#layanan-pin-view.layanan-pin-live');
      await axe(page, 'ticket page with the point');
      assert.deepEqual(problems, []);
    } finally {
      await context.close();
    }
  });

  it('without JS: the pin is two inputs in a <details>; the report is stored with the typed point', async () => {
    const { context, page } = await openPage(browser, srv.base, { timeout: 15000, javaScriptEnabled: false });
    try {
      await signInWith(page, DEMO.warga, DEMO_PASSWORD);
      await page.goto(FORM);
      await fillReport(page, 1);
      await page.click('#pin summary');  // <details> opens without script
      assert.equal(await page.isVisible('#layanan-pin-map'), false, 'the map placeholder shows without script');
      await page.fill('#lat', '-6,8962');  // a decimal comma is read as a point
      await page.fill('#long', '112.0636');
      await Promise.all([page.waitForURL(/\/layanan\/lacak\/LT-[A-Z0-9-]+\?baru=1$/), submit(page)]);
      assert.ok((await page.textContent('dl.layanan-facts')).includes('-6.896200, 112.063600'));
      assert.equal(await page.isVisible('#layanan-pin-view'), false);
      assert.ok(await page.isVisible(`a:has-text("${LID.layanan_pin_open_map}")`));
    } finally {
      await context.close();
    }
  });

  it('axe: no serious or critical violations on the pages above', (t) => {
    assert.ok(axeRun.checked.length >= 8, `only ${axeRun.checked.length} page states were checked`);
    axeRun.report(t);
  });
});
