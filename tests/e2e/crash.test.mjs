// The "never lost" promise under a crash: Open311 reports are written by many clients at once
// (so they are group-committed), the server is killed with SIGKILL in the middle of the load,
// started again on the same database, and every report that was acknowledged with a 2xx must be
// there, intact (same service, same description), with the audit chain still verifying.
// Run: GAPURA_BIN=$PWD/build/gapura node --test tests/e2e/crash.test.mjs
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { startServer, runCli, SLOW } from './lib/server.mjs';
import { sleep } from './lib/client.mjs';

const CLIENTS = 48;
const LOAD_MS = SLOW ? 3000 : 1500;
const SERVICE = 'banjir-drainase';  // public, no required attribute

function post(agent, port, body) {
  return new Promise((resolve) => {
    const req = http.request({
      host: '127.0.0.1', port, agent, method: 'POST', path: '/open311/v2/requests.json',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body) },
      timeout: 10000,
    }, (res) => {
      let data = '';
      res.setEncoding('utf8');
      res.on('data', (d) => { data += d; });
      res.on('end', () => resolve({ status: res.statusCode, body: data }));
      res.on('error', () => resolve({ status: 0 }));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve({ status: 0 }));
    req.end(body);
  });
}

function getJson(port, path) {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      let data = '';
      res.setEncoding('utf8');
      res.on('data', (d) => { data += d; });
      res.on('end', () => resolve({ status: res.statusCode, json: data ? JSON.parse(data) : null }));
    }).on('error', reject);
  });
}

describe('crash safety of acknowledged writes', () => {
  let srv;
  let again;
  after(async () => {
    if (again) await again.stop().catch(() => {});
    else if (srv && !srv.exitInfo) srv.signal('SIGKILL');
  });

  it('keeps every acknowledged Open311 report after kill -9 during a write load', async () => {
    let apiKey = '';
    srv = await startServer({
      accessLog: false,
      beforeServe: async ({ env }) => {
        const r = await runCli(['open311', 'key', 'add', '--name', 'crash-test'], env);
        assert.equal(r.code, 0, r.stderr);
        apiKey = r.stdout.trim().split(/\s+/).pop();
      },
    });
    assert.ok(apiKey.length >= 16, `no API key printed: ${apiKey}`);

    const acked = new Map();  // service_request_id -> description
    let refused = 0;
    let stopping = false;
    const agent = new http.Agent({ keepAlive: true, maxSockets: CLIENTS });
    const client = async (n) => {
      for (let i = 0; !stopping; i++) {
        const description = `crash ${process.pid} client ${n} report ${i} ${Math.random().toString(36).slice(2)}`;
        const body = new URLSearchParams({
          api_key: apiKey, service_code: SERVICE, description,
          address_string: `Jl. Uji Tabrak ${n}/${i}`, lat: '-6.90', long: '112.05',
        }).toString();
        const r = await post(agent, srv.port, body);
        if (r.status >= 200 && r.status < 300) {
          const id = JSON.parse(r.body)[0].service_request_id;
          assert.ok(!acked.has(id), `id ${id} acknowledged twice`);
          acked.set(id, description);
        } else if (r.status !== 0) {
          refused++;
        } else if (!stopping && srv.exitInfo) {
          return;  // the server is gone
        }
      }
    };
    const clients = Array.from({ length: CLIENTS }, (_, n) => client(n));
    await sleep(LOAD_MS);
    srv.signal('SIGKILL');
    const exit = await srv.exited;
    assert.equal(exit.signal, 'SIGKILL');
    stopping = true;
    await Promise.all(clients);
    agent.destroy();
    assert.equal(refused, 0, 'a well-formed report was refused under load');
    assert.ok(acked.size >= 20, `too few reports acknowledged before the kill (${acked.size})`);

    again = await startServer({ varDir: srv.varDir, accessLog: false });
    const missing = [];
    const changed = [];
    for (const [id, description] of acked) {
      const r = await getJson(again.port, `/open311/v2/requests/${id}.json`);
      if (r.status !== 200) { missing.push(`${id} (${r.status})`); continue; }
      const got = r.json[0];
      if (got.description !== description || got.service_code !== SERVICE) changed.push(id);
    }
    assert.deepEqual(missing, [], `acknowledged reports missing after the crash (${missing.length} of ${acked.size})`);
    assert.deepEqual(changed, [], 'acknowledged reports changed after the crash');

    // Nothing half-written: the hash chain of the audit log still verifies after recovery.
    const verify = await runCli(['audit', 'verify'], again.env);
    assert.equal(verify.code, 0, `${verify.stdout}\n${verify.stderr}`);
    // The restarted server takes new reports.
    const r = await post(false, again.port, new URLSearchParams({
      api_key: apiKey, service_code: SERVICE, description: 'after the crash', address_string: 'Jl. Baru', lat: '-6.90', long: '112.05',
    }).toString());
    assert.equal(r.status, 200, r.body);
    console.log(`crash test: ${acked.size} reports acknowledged in ${LOAD_MS} ms before SIGKILL, all present after restart`);
  });
});
