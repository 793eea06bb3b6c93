// Starts a real Gapura binary for black-box tests: a free port, a fresh temporary var dir,
// `gapura seed --demo`, then `gapura serve`, waits for GET /healthz = 200 (the time from spawning
// `serve` to that first 200 is the cold start), and stops it with SIGTERM, asserting exit code 0.
//
//   const srv = await startServer({ env: { GAPURA_HEADER_TIMEOUT_S: '2' } });
//   srv.url('/masuk'); srv.port; srv.coldStartMs; srv.accessLogPath; srv.output()
//   await startServer({ beforeServe: async ({ varDir, dbPath, env }) => { /* load extra rows */ } });
//   await srv.stop();               // SIGTERM, waits for exit, throws unless the exit code is 0
//   await startServer({ varDir });  // serve an existing var dir again (no seed), e.g. after a crash
//   await runCli(['audit', 'verify'], srv.env);   // { code, stdout, stderr }
//
// The binary is GAPURA_BIN (absolute path); default <repo>/build/gapura.
import { spawn, execFile } from 'node:child_process';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import net from 'node:net';
import http from 'node:http';
import { performance } from 'node:perf_hooks';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const BIN = process.env.GAPURA_BIN || join(ROOT, 'build', 'gapura');
export const DEMO_PASSWORD = 'gapura-demo-2026';
export const DEMO = {
  admin: 'admin@demo.gapura.id',
  walidata: 'walidata@demo.gapura.id',
  teknisi: 'teknisi@demo.gapura.id',
  operator: 'operator.pupr@demo.gapura.id',
  warga: 'warga@demo.gapura.id',
  usaha: 'usaha@demo.gapura.id',
};
// An AddressSanitizer build starts and answers more slowly: scale the waits.
export const SLOW = /asan|sanit/i.test(BIN) || !!process.env.GAPURA_E2E_SLOW;

const live = new Set();
process.on('exit', () => {
  for (const p of live) {
    try { p.kill('SIGKILL'); } catch { /* already gone */ }
  }
});

// A port that was free a moment ago (the kernel picks it; we release it for the server).
export function freePort() {
  return new Promise((res, rej) => {
    const s = net.createServer();
    s.unref();
    s.on('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => res(port));
    });
  });
}

// The child's environment: ours without any GAPURA_* (the binary rejects unknown GAPURA_ keys,
// e.g. GAPURA_BIN), plus the test's settings.
function childEnv(extra) {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('GAPURA_')) env[k] = v;
  return { ...env, ...extra };
}

export function runCli(args, env, timeoutMs = SLOW ? 180000 : 60000) {
  return run(args, env, timeoutMs);
}

function run(args, env, timeoutMs) {
  return new Promise((res) => {
    execFile(BIN, args, { cwd: ROOT, env, timeout: timeoutMs, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      res({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr, err });
    });
  });
}

function healthOnce(port, timeoutMs = 1000) {
  return new Promise((res) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/healthz', agent: false, timeout: timeoutMs }, (r) => {
      r.resume();
      r.on('end', () => res(r.statusCode));
      r.on('error', () => res(0));
    });
    req.on('timeout', () => { req.destroy(); res(0); });
    req.on('error', () => res(0));
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * @param {object} [opts]
 * @param {Record<string,string>} [opts.env]  extra GAPURA_* settings (override the defaults below)
 * @param {boolean} [opts.accessLog=true]     write the access log to <var>/access.log (else "off")
 * @param {boolean} [opts.demo=true]          seed --demo (else plain seed)
 * @param {string} [opts.varDir]              an existing var dir to serve again: no seed, no beforeServe
 * @param {(s: {varDir: string, dbPath: string, env: object}) => Promise<void>} [opts.beforeServe]
 *        runs once after the seed and before `serve` starts (e.g. bulk rows with the sqlite3 CLI)
 */
export async function startServer(opts = {}) {
  const { env: extra = {}, accessLog = true, demo = true, beforeServe } = opts;
  if (!existsSync(BIN)) throw new Error(`GAPURA_BIN not found: ${BIN} (set GAPURA_BIN to an absolute path)`);
  const reuse = !!opts.varDir;
  const varDir = opts.varDir || mkdtempSync(join(tmpdir(), 'gapura-e2e-'));
  const accessLogPath = join(varDir, 'access.log');
  const stopTimeoutMs = (SLOW ? 30000 : 15000);
  let lastError;
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const env = childEnv({
      GAPURA_VAR_DIR: varDir,
      GAPURA_DATABASE: `sqlite://${join(varDir, 'g.db')}`,
      GAPURA_LISTEN: `127.0.0.1:${port}`,
      GAPURA_PUBLIC_URL: `http://127.0.0.1:${port}`,
      GAPURA_PASSWORD_COST: 'min',
      GAPURA_LOG_LEVEL: 'warn',
      GAPURA_ACCESS_LOG: accessLog ? accessLogPath : 'off',
      GAPURA_REGENCY_DIR: join(ROOT, 'data', 'regencies', 'tuban'),
      GAPURA_AREA_DATA_DIR: join(ROOT, 'node_modules', 'idn-area-data', 'data'),
      GAPURA_WEB_DIR: join(ROOT, 'web'),
      GAPURA_MODULES_DIR: join(ROOT, 'src', 'modules'),
      GAPURA_NODE_MODULES_DIR: join(ROOT, 'node_modules'),
      ...extra,
    });
    if (attempt === 0 && !reuse) {
      const seed = await run(demo ? ['seed', '--demo'] : ['seed'], env, SLOW ? 180000 : 60000);
      if (seed.code !== 0) {
        rmSync(varDir, { recursive: true, force: true });
        throw new Error(`gapura seed failed (exit ${seed.code}):\n${seed.stdout}\n${seed.stderr}`);
      }
      if (beforeServe) {
        try {
          await beforeServe({ varDir, dbPath: env.GAPURA_DATABASE.replace(/^sqlite:\/\//, ''), env });
        } catch (e) {
          rmSync(varDir, { recursive: true, force: true });
          throw e;
        }
      }
    }
    let out = '';
    const t0 = performance.now();
    const proc = spawn(BIN, ['serve'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    live.add(proc);
    proc.stdout.on('data', (d) => { out += d; });
    proc.stderr.on('data', (d) => { out += d; });
    const exited = new Promise((res) => {
      proc.on('exit', (code, signal) => { live.delete(proc); res({ code, signal }); });
    });
    let exitInfo = null;
    exited.then((e) => { exitInfo = e; });

    const deadline = t0 + (SLOW ? 60000 : 20000);
    let coldStartMs = null;
    let healthPolls = 0;  // HTTP answers received while waiting (each one is an access log line)
    while (performance.now() < deadline && !exitInfo) {
      const status = await healthOnce(port);
      if (status) healthPolls++;
      if (status === 200) { coldStartMs = performance.now() - t0; break; }
      await sleep(5);
    }
    if (coldStartMs === null) {
      if (!exitInfo) { proc.kill('SIGKILL'); await exited; }
      lastError = new Error(`gapura serve did not become healthy on port ${port} ` +
        `(exit ${JSON.stringify(exitInfo)}):\n${out}`);
      if (/address already in use|bind/i.test(out)) continue;  // lost the port race: try another
      break;
    }

    let signalled = 0;  // performance.now() of the SIGTERM we sent
    const srv = {
      port,
      base: `http://127.0.0.1:${port}`,
      url: (p) => `http://127.0.0.1:${port}${p}`,
      varDir,
      accessLogPath: accessLog ? accessLogPath : null,
      coldStartMs,
      healthPolls,
      proc,
      pid: proc.pid,
      env,
      output: () => out,
      exited,
      get exitInfo() { return exitInfo; },
      /** Sends `signal` (SIGTERM) and waits; throws unless the process exits with code 0. */
      async stop({ signal = 'SIGTERM', timeoutMs = stopTimeoutMs, keepVarDir = false } = {}) {
        if (!exitInfo && !signalled) { proc.kill(signal); signalled = performance.now(); }
        const t = signalled || performance.now();
        const e = await Promise.race([exited, sleep(timeoutMs).then(() => null)]);
        // ms: from the signal to the exit
        if (!e) {
          proc.kill('SIGKILL');
          await exited;
          throw new Error(`gapura did not exit within ${timeoutMs} ms after ${signal}:\n${out}`);
        }
        const ms = performance.now() - t;
        if (!keepVarDir && !process.env.GAPURA_E2E_KEEP) rmSync(varDir, { recursive: true, force: true });
        if (e.code !== 0) {
          throw new Error(`gapura exited with ${e.code === null ? 'signal ' + e.signal : 'code ' + e.code} ` +
            `after ${signal} (expected 0):\n${out.slice(-8000)}`);
        }
        return { ...e, ms };
      },
      /** Removes the temporary var dir (after stop({ keepVarDir: true })). */
      cleanup() { rmSync(varDir, { recursive: true, force: true }); },
      /** Sends the signal without waiting (for shutdown tests). */
      signal(sig = 'SIGTERM') { signalled = performance.now(); proc.kill(sig); },
    };
    return srv;
  }
  rmSync(varDir, { recursive: true, force: true });
  throw lastError;
}
