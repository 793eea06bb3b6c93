// Browser walk-through of Satu Data (the figure of the Satu Data issue), in headless Chromium with
// axe on every page visited:
//   producer (operator.pupr) creates a dataset, declares its columns, uploads a CSV that is refused
//   (row report), uploads a good one, submits -> the walidata returns it with notes -> the producer
//   reads the notes, uploads the fixed file, submits again -> the walidata verifies and publishes ->
//   an anonymous visitor finds it by search on /data, opens it and sees the fixed numbers.
// Every page state on the way gets axe: no serious or critical violations (minor ones are printed
// as diagnostics). The GET pages of the walk are then checked once more in English.
// Skipped when GAPURA_E2E_SKIP_BROWSER=1. Chromium: $CHROMIUM or /usr/bin/chromium.
// Run: GAPURA_BIN=$PWD/build/gapura node --test tests/e2e/satudata-walkthrough.test.mjs
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { axeChecker, startBrowserServer, stopBrowserServer, newPage as openPage, signInWith } from './lib/browser.mjs';
import { ROOT, DEMO, DEMO_PASSWORD } from './lib/server.mjs';

const SKIP = process.env.GAPURA_E2E_SKIP_BROWSER === '1';
const SD = JSON.parse(readFileSync(join(ROOT, 'src', 'modules', 'satudata', 'i18n', 'id.json'), 'utf8'));
const PRODUCER = DEMO.operator;  // operator.pupr@demo.gapura.id: a producer for DPUPR-PRKP
const WALIDATA = DEMO.walidata;

describe('Satu Data walk-through in a browser (upload, return, fix, verify, publish, search; axe)',
  { skip: SKIP ? 'GAPURA_E2E_SKIP_BROWSER=1' : false }, () => {
    let srv;
    let browser;
    let AxeBuilder;

    before(async () => {
      ({ srv, browser, AxeBuilder } = await startBrowserServer({ accessLog: false }));
    });
    after(() => stopBrowserServer({ srv, browser }));

    it('producer -> walidata return with notes -> fix and re-upload -> verify -> publish -> found on /data', async (t) => {
      const axeRun = axeChecker(AxeBuilder);
      const axe = (page, what) => axeRun.check(page, what);
      const visited = new Set();  // GET pages of the walk, checked again in English at the end
      async function at(page, what) {
        const u = new URL(page.url());
        visited.add(u.pathname + u.search);
        await axe(page, what);
      }

      const stamp = `${process.pid}${Date.now() % 100000}`;
      const title = `Panjang jalan kabupaten per kecamatan ${stamp}`;
      const slug = `panjang-jalan-kecamatan-${stamp}`;
      const word = `jalanuji${stamp}`;  // a tag only this dataset has: the public search must find it
      const notes = `Kolom jumlah untuk 35.23.02 tertukar dengan 35.23.03 (uji ${stamp}).`;
      const refused = 'kode,jumlah\n35.23.01,12\n35.23.02,N/A\n';
      const first = 'kode,jumlah\n35.23.01,12\n35.23.02,47\n35.23.03,9\n';
      const fixed = 'kode,jumlah\n35.23.01,12\n35.23.02,9\n35.23.03,47\n';
      const csv = (name, text) => ({ name, mimeType: 'text/csv', buffer: Buffer.from(text, 'utf8') });

      const producer = await openPage(browser, srv.base, { timeout: 15000 });
      const walidata = await openPage(browser, srv.base, { timeout: 15000 });
      const visitor = await openPage(browser, srv.base, { timeout: 15000 });
      try {
        // ---- 1. The producer: a new dataset, its columns, a refused upload, a good one, submit.
        const p = producer.page;
        await signInWith(p, PRODUCER, DEMO_PASSWORD);
        await p.goto('/data-opd');
        await at(p, 'producer home');
        await Promise.all([p.waitForURL(/\/data-opd\/baru$/), p.click(`main a[href="/data-opd/baru"]`)]);
        await at(p, 'new dataset form');
        await p.fill('#title', title);
        await p.fill('#slug', slug);
        await p.fill('#description', `Panjang jalan kabupaten (km) menurut kecamatan. ${word}`);
        await p.fill('#satuan', 'km');
        await p.fill('#period_start', '2025');
        await p.fill('#tags', `jalan, ${word}`);
        await p.selectOption('#visibility', 'public');
        await Promise.all([p.waitForURL(/\/data-opd\/\d+\?pesan=dibuat$/), p.click('main form button[type=submit]')]);
        const id = new URL(p.url()).pathname.split('/').pop();
        assert.equal((await p.textContent('main [role=status]')).trim(), SD.satudata_msg_dibuat);
        await at(p, 'manage page, new dataset');

        await p.fill('input[name=name_1]', 'kode');
        await p.selectOption('select[name=type_1]', 'region');
        await p.check('input[name=required_1]');
        await p.fill('input[name=name_2]', 'jumlah');
        await p.selectOption('select[name=type_2]', 'integer');
        await p.check('input[name=required_2]');
        await Promise.all([p.waitForURL(/\?pesan=kolom$/), p.click(`main button:has-text("${SD.satudata_save_columns}")`)]);
        assert.equal((await p.textContent('main [role=status]')).trim(), SD.satudata_msg_kolom);
        await at(p, 'manage page, columns saved');

        const upload = async (file) => {
          await p.setInputFiles('#file', file);
          const [res] = await Promise.all([
            p.waitForResponse((r) => r.url().endsWith(`/data-opd/${id}/unggah`) && r.request().method() === 'POST'),
            p.click(`main form[action="/data-opd/${id}/unggah"] button[type=submit]`),
          ]);
          await p.waitForLoadState();
          return res.status();
        };
        // A refused file: 422 and the row report, nothing stored.
        assert.equal(await upload(csv('jalan-salah.csv', refused)), 422);
        const report = await p.textContent('main ol.sd-errors');
        assert.match(report, /baris 3, kolom jumlah/, `row report: ${report}`);
        await axe(p, 'manage page, upload refused (row report)');
        // The first good file, then submit.
        assert.equal(await upload(csv('jalan-2025.csv', first)), 200);
        assert.equal((await p.textContent('main [role=status]')).trim(), SD.satudata_upload_ok.replace('{rows}', '3'));
        await axe(p, 'manage page, upload accepted');
        await Promise.all([p.waitForURL(/\?pesan=diajukan$/), p.click(`main button:has-text("${SD.satudata_submit}")`)]);
        assert.equal((await p.textContent('main [role=status]')).trim(), SD.satudata_msg_diajukan);
        await at(p, 'manage page, submitted');

        // ---- 2. The walidata returns it with notes.
        const w = walidata.page;
        await signInWith(w, WALIDATA, DEMO_PASSWORD);
        await w.goto('/walidata');
        await at(w, 'walidata desk, dataset submitted');
        const card = w.locator('.card', { has: w.locator(`h3 a[href="/data/${slug}"]`) });
        assert.equal(await card.count(), 1, 'the submitted dataset is not on the walidata desk');
        await card.locator(`#notes-${id}`).fill(notes);
        await Promise.all([w.waitForURL(/\/walidata\?pesan=dikembalikan$/), card.locator(`button:has-text("${SD.satudata_return}")`).click()]);
        assert.equal((await w.textContent('main [role=status]')).trim(), SD.satudata_msg_dikembalikan);
        const returnedItem = w.locator('li', { has: w.locator(`a[href="/data/${slug}"]`) });
        assert.ok((await returnedItem.textContent()).includes(notes), 'the returned list does not show the notes');
        await at(w, 'walidata desk, dataset returned');

        // ---- 3. The producer reads the notes, uploads the fixed file and submits again.
        await p.goto(`/data-opd/${id}`);
        const alert = await p.textContent('main .alert');
        assert.ok(alert.includes(SD.satudata_return_notes) && alert.includes(notes), `return notes not shown: ${alert}`);
        await at(p, 'manage page, returned with notes');
        assert.equal(await upload(csv('jalan-2025-perbaikan.csv', fixed)), 200);
        await axe(p, 'manage page, fixed file accepted');
        const versions = await p.locator('main h2 + ul li').allTextContents();
        assert.equal(versions.length, 2, `versions after the fix: ${versions.join(' | ')}`);
        await Promise.all([p.waitForURL(/\?pesan=diajukan$/), p.click(`main button:has-text("${SD.satudata_submit}")`)]);
        await at(p, 'manage page, submitted again');

        // ---- 4. The walidata verifies, then publishes.
        await w.goto('/walidata');
        await at(w, 'walidata desk, submitted again');
        await Promise.all([w.waitForURL(/\/walidata\?pesan=diverifikasi$/),
          w.locator('.card', { has: w.locator(`h3 a[href="/data/${slug}"]`) }).locator(`button:has-text("${SD.satudata_verify}")`).click()]);
        assert.equal((await w.textContent('main [role=status]')).trim(), SD.satudata_msg_diverifikasi);
        await at(w, 'walidata desk, verified');
        await Promise.all([w.waitForURL(/\/walidata\?pesan=diterbitkan$/),
          w.locator('.card', { has: w.locator(`h3 a[href="/data/${slug}"]`) }).locator(`button:has-text("${SD.satudata_publish}")`).click()]);
        assert.equal((await w.textContent('main [role=status]')).trim(), SD.satudata_msg_diterbitkan);
        assert.equal(await w.locator(`details.card a[href="/data/${slug}"]`).count(), 1, 'not in the published list');
        await at(w, 'walidata desk, published');

        // ---- 5. Anyone finds it through the search form on /data and sees the fixed numbers.
        const v = visitor.page;
        await v.goto('/data');
        await at(v, 'catalogue');
        await v.fill('#q', word);
        await Promise.all([v.waitForURL(/\/data\?q=/), v.click(`main form[role=search] button[type=submit]`)]);
        const hits = v.locator('main li.card h2 a');
        assert.equal(await hits.count(), 1, `search for ${word}: ${(await hits.allTextContents()).join(' | ')}`);
        assert.equal((await hits.first().textContent()).trim(), title);
        await at(v, 'catalogue search result');
        await Promise.all([v.waitForURL(new RegExp(`/data/${slug}$`)), hits.first().click()]);
        assert.equal((await v.textContent('h1')).trim(), title);
        assert.ok((await v.textContent('main p.muted')).includes(SD.satudata_state_published));
        const preview = await v.locator('main table').first().locator('tbody tr')
          .evaluateAll((trs) => trs.map((tr) => [...tr.cells].map((td) => td.textContent.trim()).join(' ')));
        assert.deepEqual(preview, ['35.23.01 12', '35.23.02 9', '35.23.03 47'], `preview rows: ${preview.join(' | ')}`);
        await at(v, 'dataset page');
        const csvRes = await v.request.get(`/data/${slug}/unduh/2.csv`);
        assert.equal(csvRes.status(), 200);
        assert.match(await csvRes.text(), /35\.23\.02,9\r?\n/);

        for (const s of [producer, walidata, visitor]) assert.deepEqual(s.problems, []);
      } finally {
        await producer.context.close();
        await walidata.context.close();
        await visitor.context.close();
      }

      // ---- The same GET pages in English (as the producer, the walidata or anyone).
      const en = {
        producer: await openPage(browser, srv.base, { timeout: 15000, locale: 'en-GB' }),
        walidata: await openPage(browser, srv.base, { timeout: 15000, locale: 'en-GB' }),
        anyone: await openPage(browser, srv.base, { timeout: 15000, locale: 'en-GB' }),
      };
      try {
        await signInWith(en.producer.page, PRODUCER, DEMO_PASSWORD);
        await signInWith(en.walidata.page, WALIDATA, DEMO_PASSWORD);
        for (const path of visited) {
          const who = path.startsWith('/walidata') ? en.walidata : path.startsWith('/data-opd') ? en.producer : en.anyone;
          await who.page.goto(`/bahasa/en?ke=${encodeURIComponent(path)}`);
          assert.equal(await who.page.getAttribute('html', 'lang'), 'en', path);
          await axe(who.page, path);
        }
        for (const s of Object.values(en)) assert.deepEqual(s.problems, []);
      } finally {
        for (const s of Object.values(en)) await s.context.close();
      }

      axeRun.report(t);
    });
  });
