// Browser tests of the usulan (development proposals) pages, two figures of the usulan issue:
//  1. With 10,000 proposals the map page becomes usable (markers clustered, list shown) in under
//     2 s in headless Chromium, measured from navigation start, three separate cold page loads,
//     while map tiles cannot load (the test machine has no internet: the tile URL points at a
//     closed local port, so every tile fails at once) — the markers and the list must work anyway.
//  2. axe reports no serious or critical violations on the list (with and without filters), map,
//     submission form (empty and with errors), amend form and detail pages, in Indonesian and English.
// The 10,000 synthetic proposals are loaded before `serve` with bench/data/usulan_bulk.sql and the
// sqlite3 CLI ($SQLITE3 or sqlite3 on PATH); without it the timing test is skipped (the axe test
// still runs, on the demo data alone). Skipped entirely when GAPURA_E2E_SKIP_BROWSER=1.
// Chromium: $CHROMIUM or /usr/bin/chromium. The measured times are printed as test diagnostics.
// Run: GAPURA_BIN=$PWD/build/gapura node --test tests/e2e/usulan-map.test.mjs
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync, accessSync, constants } from 'node:fs';
import { join, delimiter, isAbsolute } from 'node:path';
import { axeChecker, startBrowserServer, stopBrowserServer, newPage as openPage, signInWith } from './lib/browser.mjs';
import { freePort, ROOT, DEMO, DEMO_PASSWORD } from './lib/server.mjs';

const SKIP = process.env.GAPURA_E2E_SKIP_BROWSER === '1';
const UID = JSON.parse(readFileSync(join(ROOT, 'src', 'modules', 'usulan', 'i18n', 'id.json'), 'utf8'));
const BULK_SQL = join(ROOT, 'bench', 'data', 'usulan_bulk.sql');
const BULK = 10000;            // synthetic proposals added to the demo ones
const MAP_BUDGET_MS = 2000;    // "usable in under 2 s"
const MAP_RUNS = 3;

// The sqlite3 command-line shell: $SQLITE3, else the first sqlite3 on PATH; null when missing.
function findSqlite3() {
  const candidates = process.env.SQLITE3
    ? [process.env.SQLITE3]
    : (process.env.PATH || '/usr/bin:/bin').split(delimiter).filter(Boolean).map((d) => join(d, 'sqlite3'));
  for (const c of candidates) {
    try {
      accessSync(isAbsolute(c) ? c : join(process.cwd(), c), constants.X_OK);
      return c;
    } catch { /* next */ }
  }
  return null;
}
const SQLITE3 = findSqlite3();
const NO_SQLITE3 = SQLITE3 ? false
  : 'sqlite3 CLI not found (apt-get install sqlite3, or set SQLITE3): cannot load 10,000 proposals';

function sh(cmd, args, { input, timeout = 120000 } = {}) {
  return new Promise((resolve, reject) => {
    const p = execFile(cmd, args, { timeout, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${cmd} ${args.join(' ')} failed: ${err.message}\n${stderr}`));
      else resolve(stdout);
    });
    if (input !== undefined) p.stdin.end(input);
  });
}

// Adds BULK synthetic proposals to the seeded database (before `serve` opens it).
async function loadBulk({ dbPath }) {
  await sh(SQLITE3, ['-bail', '-cmd', `.parameter set :n ${BULK}`, dbPath], { input: readFileSync(BULK_SQL) });
}

describe('Usulan pages in a browser (10,000 proposals on the map, axe)', { skip: SKIP ? 'GAPURA_E2E_SKIP_BROWSER=1' : false }, () => {
  let srv;
  let browser;
  let AxeBuilder;
  let tileOrigin;

  before(async () => {
    // Tiles from a local port nobody listens on: each tile fails at once (connection refused),
    // as on a machine without internet, and no request leaves the machine.
    const deadPort = await freePort();
    tileOrigin = `https://127.0.0.1:${deadPort}`;
    ({ srv, browser, AxeBuilder } = await startBrowserServer({
      accessLog: false,
      env: { GAPURA_MAP_TILE_URL: `${tileOrigin}/{z}/{x}/{y}.png` },
      beforeServe: SQLITE3 ? loadBulk : undefined,
    }));
  });
  after(() => stopBrowserServer({ srv, browser }));

  // A fresh context each time: an empty cache, as on a first visit.
  const newPage = (opts = {}) => openPage(browser, srv.base, { timeout: 15000, ...opts });


  // Zooms into the smallest cluster until single pins show, opens the popup of a pin that no
  // other pin covers and returns the popup's link.
  async function openPinPopup(page) {
    const clusters = page.locator('#usulan-map .marker-cluster');
    for (let i = 0; i < 12 && (await page.locator('#usulan-map .usulan-pin').count()) === 0; i++) {
      const idx = await clusters.evaluateAll((els) => {
        let b = 0;
        els.forEach((e, k) => { if (Number(e.textContent) < Number(els[b].textContent)) b = k; });
        return b;
      });
      const c = await clusters.nth(idx).elementHandle();
      await c.click();
      await page.waitForFunction((el) => !el.isConnected, c, { timeout: 3000 }).catch(() => {});
    }
    // A pin that no other pin covers (pins may overlap).
    const pins = page.locator('#usulan-map .usulan-pin');
    const top = await pins.evaluateAll((els) => els.findIndex((e) => {
      const r = e.getBoundingClientRect();
      return document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2) === e;
    }));
    assert.ok(top >= 0, 'every pin on the map is covered by another one');
    await pins.nth(top).click();
    const link = page.locator('#usulan-map .leaflet-popup-content a');
    await link.waitFor({ state: 'visible' });
    // Leaflet fades the popup in (opacity transition): checks see it once it is fully shown.
    await page.waitForFunction(() => {
      const p = document.querySelector('#usulan-map .leaflet-popup');
      return p && getComputedStyle(p).opacity === '1';
    }, null, { timeout: 3000 });
    return link;
  }

  it(`the map with ${BULK.toLocaleString('en')} proposals is usable (clusters + list) in under ${MAP_BUDGET_MS} ms, ` +
    `${MAP_RUNS} cold loads, tiles unreachable`, { skip: NO_SQLITE3 }, async (t) => {
    // The data behind the map: the GeoJSON the page loads holds the bulk proposals that have a point.
    const geo = await (await fetch(srv.url('/api/v1/proposals.geojson'))).json();
    const features = geo.features.length;
    assert.ok(features >= BULK * 0.9, `GeoJSON has only ${features} features; expected the ~${BULK * 0.9} bulk proposals with a point`);
    const list = await (await fetch(srv.url('/api/v1/proposals?limit=1'))).json();
    assert.ok(list.items[0].id > BULK, `newest proposal id ${list.items[0].id}: bulk data not loaded?`);

    const times = [];
    for (let run = 1; run <= MAP_RUNS; run++) {
      const { context, page, problems } = await newPage();
      try {
        const tileFailures = [];
        const tileLoads = [];
        page.on('requestfailed', (r) => { if (r.url().startsWith(tileOrigin)) tileFailures.push(r.url()); });
        page.on('requestfinished', (r) => { if (r.url().startsWith(tileOrigin)) tileLoads.push(r.url()); });
        await page.goto('/usulan/peta', { waitUntil: 'commit' });
        // performance.now() in the page counts from navigation start; polled on every frame.
        const usable = await page.waitForFunction(() => {
          const shown = (el) => !!el && el.getClientRects().length > 0 && getComputedStyle(el).visibility !== 'hidden';
          const cluster = document.querySelector('#usulan-map .marker-cluster');
          const item = document.querySelector('.usulan-maplist li a');
          return shown(cluster) && shown(item) ? performance.now() : false;
        }, null, { polling: 'raf', timeout: 30000 });
        const ms = Math.round(await usable.jsonValue());
        times.push(ms);
        const m = await page.evaluate(() => {
          const nav = performance.getEntriesByType('navigation')[0];
          const geojson = performance.getEntriesByType('resource').find((r) => r.name.includes('/api/v1/proposals.geojson'));
          const out = {
            response: Math.round(nav.responseEnd),
            domContentLoaded: Math.round(nav.domContentLoadedEventEnd),
            geojsonLoaded: geojson ? Math.round(geojson.responseEnd) : null,
            geojsonBytes: geojson ? geojson.encodedBodySize : null,
          };
          for (const mk of performance.getEntriesByType('mark')) {
            if (mk.name.startsWith('usulan-map:')) out[mk.name.slice(11)] = Math.round(mk.startTime);
          }
          // How many proposals the clusters and single pins on screen stand for.
          let shown = document.querySelectorAll('#usulan-map .usulan-pin').length;
          for (const c of document.querySelectorAll('#usulan-map .marker-cluster')) shown += Number(c.textContent.trim()) || 0;
          out.clusters = document.querySelectorAll('#usulan-map .marker-cluster').length;
          out.proposalsOnMap = shown;
          out.listItems = document.querySelectorAll('.usulan-maplist li').length;
          return out;
        });
        t.diagnostic(`map run ${run}: usable after ${ms} ms (budget ${MAP_BUDGET_MS}); ${JSON.stringify(m)}`);
        assert.ok(m.clusters > 0 && m.listItems > 0);
        assert.ok(m.proposalsOnMap >= features * 0.9,
          `the clusters on screen stand for ${m.proposalsOnMap} proposals of ${features} in the GeoJSON`);

        // Tiles could not load, and the page says so; the markers still work: a cluster zooms in,
        // a pin opens its popup with a link to the proposal.
        await page.waitForSelector('.usulan-tiles-failed[role=status]');
        assert.equal((await page.textContent('.usulan-tiles-failed')).trim(), UID.usulan_map_tiles_failed);
        assert.ok(tileFailures.length > 0, 'no tile request was made (or none failed)');
        assert.deepEqual(tileLoads, [], 'a tile loaded although the tile server is unreachable');
        if (run === 1) {
          const link = await openPinPopup(page);
          assert.match(await link.getAttribute('href'), /^\/usulan\/\d+$/);
          // Keyboard: Enter on a focused pin opens that proposal.
          await page.locator('#usulan-map .usulan-pin').last().focus();
          await Promise.all([page.waitForURL(/\/usulan\/\d+$/), page.keyboard.press('Enter')]);
          assert.ok(await page.isVisible('article.usulan-detail h1'));
        }
        assert.deepEqual(problems, []);
      } finally {
        await context.close();
      }
    }
    const sorted = [...times].sort((a, b) => a - b);
    t.diagnostic(`map usable (ms, navigation start to clusters + list shown), ${MAP_RUNS} cold loads: ` +
      `${times.join(', ')}; median ${sorted[sorted.length >> 1]}; ${features} features`);
    // Each load on its own must make the budget (all three are measured first, to report them).
    const slow = times.map((ms, i) => [i + 1, ms]).filter(([, ms]) => ms >= MAP_BUDGET_MS);
    assert.deepEqual(slow, [], `map usable after ${times.join(', ')} ms; budget ${MAP_BUDGET_MS} ms for each load ` +
      `(runs over budget: ${slow.map(([r, ms]) => `#${r} ${ms} ms`).join(', ')}); see the diagnostics for the steps`);
  });

  // Finds, through the public API, the demo proposal with the most comments and timeline entries
  // (at least one comment and 3 entries); with `open`, only one still waiting for a decision.
  async function proposalWithCommentsAndTimeline({ open = false } = {}) {
    let best = null;
    for (let id = 1; id <= 80; id++) {
      const r = await fetch(srv.url(`/api/v1/proposals/${id}`));
      if (r.status !== 200) continue;
      const p = await r.json();
      if (open && (p.status !== 'submitted' || p.stage === 'final')) continue;
      const score = p.comments * 10 + p.timeline.length;
      if (p.comments > 0 && p.timeline.length >= 3 && (!best || score > best.score)) best = { id, score, p };
    }
    return best;
  }

  // A proposal sent back for revision that the signed-in user may amend (its /perbaiki answers 200).
  async function amendableBy(page) {
    let cursor = '';
    for (let pages = 0; pages < 5; pages++) {
      const r = await fetch(srv.url(`/api/v1/proposals?status=revise&limit=100${cursor ? `&cursor=${cursor}` : ''}`));
      const body = await r.json();
      for (const p of body.items) {
        const res = await page.request.get(`/usulan/${p.id}/perbaiki`, { maxRedirects: 0 });
        if (res.status() === 200) return p.id;
      }
      if (!body.next_cursor) break;
      cursor = encodeURIComponent(body.next_cursor);
    }
    return null;
  }

  it('axe: no serious or critical violations on the usulan list, map, form, amend form and detail pages (id and en)', async (t) => {
    const axeRun = axeChecker(AxeBuilder);
    const detail = await proposalWithCommentsAndTimeline();
    assert.ok(detail, 'no demo proposal with comments and a timeline (seed --demo changed?)');
    t.diagnostic(`detail page: /usulan/${detail.id} (${detail.p.comments} comments, ${detail.p.timeline.length} timeline entries)`);
    const kec = detail.p.kecamatan.code;
    const waiting = await proposalWithCommentsAndTimeline({ open: true });

    async function check(page, what, lang) {
      assert.equal(await page.getAttribute('html', 'lang'), lang, `${what}: lang`);
      await axeRun.check(page, what);
    }

    for (const lang of ['id', 'en']) {
      // Anyone: the list with and without filters, the map (clusters drawn), the detail page.
      {
        const { context, page, problems } = await newPage();
        try {
          await page.goto(`/bahasa/${lang}?ke=/usulan`);
          await page.goto('/usulan');
          await check(page, '/usulan', lang);
          await page.goto(`/usulan?kecamatan=${kec}&tahap=desa&status=submitted`);
          await check(page, '/usulan with filters', lang);
          await page.goto('/usulan?q=tidak-ada-usulan-seperti-ini');
          await check(page, '/usulan with no results', lang);
          await page.goto('/usulan?sebelum=5000');
          await check(page, '/usulan second page', lang);
          await page.goto('/usulan/peta');
          await page.waitForSelector('#usulan-map .marker-cluster');
          await page.waitForSelector('.usulan-tiles-failed');
          await check(page, '/usulan/peta', lang);
          await openPinPopup(page);
          await check(page, '/usulan/peta with a popup open', lang);
          await page.goto(`/usulan/peta?kecamatan=${kec}`);
          await page.waitForSelector('#usulan-map .marker-cluster, #usulan-map .usulan-pin');
          await check(page, '/usulan/peta with a filter', lang);
          await page.goto(`/usulan/${detail.id}`);
          await check(page, `/usulan/${detail.id}`, lang);
          assert.deepEqual(problems, []);
        } finally {
          await context.close();
        }
      }
      // A signed-in citizen: the submission form (empty and with errors), the detail page with
      // its forms, the amend form of a proposal sent back for revision (if they have one).
      {
        const { context, page, problems } = await newPage();
        try {
          await signInWith(page, DEMO.warga, DEMO_PASSWORD);
          await page.goto(`/bahasa/${lang}?ke=/usulan/baru`);
          await page.goto('/usulan/baru');
          assert.ok(await page.isVisible('form[action="/usulan"]'), '/usulan/baru: no submission form (is a planning year open?)');
          await page.waitForSelector('#usulan-pick.usulan-pick-live');
          await check(page, '/usulan/baru', lang);
          await page.click('main form[action="/usulan"] button[type=submit]');
          await page.waitForSelector('[role=alert]');
          await check(page, '/usulan/baru with errors', lang);
          await page.goto(`/usulan/${detail.id}`);
          await check(page, `/usulan/${detail.id} signed in`, lang);
          const amend = await amendableBy(page);
          if (amend) {
            await page.goto(`/usulan/${amend}`);
            await check(page, `/usulan/${amend} (revise, own)`, lang);
            await page.goto(`/usulan/${amend}/perbaiki`);
            await check(page, `/usulan/${amend}/perbaiki`, lang);
          } else {
            t.diagnostic(`[${lang}] amend form not checked: no proposal in status revise belongs to ${DEMO.warga}`);
          }
          assert.deepEqual(problems, []);
        } finally {
          await context.close();
        }
      }
      // An administrator: detail pages with the operator forms (progress, decision, moderation).
      {
        const { context, page, problems } = await newPage();
        try {
          await signInWith(page, DEMO.admin, DEMO_PASSWORD);
          await page.goto(`/bahasa/${lang}?ke=/usulan`);
          await page.goto(`/usulan/${detail.id}`);
          await check(page, `/usulan/${detail.id} as admin`, lang);
          if (waiting) {
            await page.goto(`/usulan/${waiting.id}`);
            const forms = await page.locator('.usulan-operator h2').allTextContents();
            await check(page, `/usulan/${waiting.id} as admin (${waiting.p.stage}; ${forms.join(', ') || 'no operator form'})`, lang);
          }
          assert.deepEqual(problems, []);
        } finally {
          await context.close();
        }
      }
    }
    axeRun.report(t, 'fix the usulan templates, gapura.css or usulan-map.js');
  });
});
