#!/usr/bin/env node
// Gateway load benchmark: drives `superlight serve --sandbox` over loopback and prints
//   1. send: POST /api/v1/messages?sessionId= (one text to a silent simulated contact) with C
//      concurrent keep-alive connections for N seconds each → requests/s, p50/p99 latency to the
//      200 "accepted" answer, error counts; medians over --runs runs.
//   2. bad: the same good traffic at --bad-concurrency with and without hostile clients in
//      parallel (slowloris header dribblers, malformed JSON, bodies above MAX_BODY_KB, broken
//      multipart) → throughput with/without and what the attackers got back.
//   3. rss: VmRSS/RssAnon of the server with 0 and --rss-sessions linked, CONNECTED, idle
//      sessions → per-session cost. With --external-sim the simulator runs as its own
//      `superlight sim` process, so the gateway's RSS is measured alone.
//
// Usage (release build recommended; `make bench` runs it through scripts/run-benchmarks):
//   node tests/bench/gateway_load.mjs [--bin build/release/apps/superlight/superlight] [--phases send,bad,rss]
//        [--duration 10] [--runs 3] [--concurrency 1,16,64,256] [--sessions 128]
//        [--bad-concurrency 64] [--rss-sessions 1000] [--rss-runs 1] [--settle 20] [--external-sim]
//        [--json results.json] [--quick] [--wrap "heaptrack -o /tmp/sl"]
// SUPERLIGHT_BIN overrides the binary. --quick = short smoke run (2 s, 1 run, 10 RSS sessions).
//
// Every process it starts is killed on exit (normal, error or signal). It exits non-zero with a
// one-line reason when the server (or simulator) fails to start or a phase cannot proceed.
//
// The server runs with RATE_LIMIT_PER_MINUTE=0 and TOKEN_RATE_LIMIT_PER_MINUTE=0; the load is
// still spread round-robin over --sessions tokens (many senders, as in production); any 429 is
// reported as "limited" and excluded from latency percentiles.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { cpus, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
// A timeout for Promise.race that does not keep the process alive once the race is decided.
const deadline = (ms) => new Promise((r) => setTimeout(() => r('timeout'), ms).unref());
const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const SILENT_PHONE = '19990000077';
const SLOWLORIS = 50;
let WRAP = [];  // --wrap: command prefix for the server (e.g. heaptrack); RSS then includes it

// ---------- options ----------
function parseArgs(argv) {
  const o = {
    bin: process.env.SUPERLIGHT_BIN || '',
    phases: 'send,bad,rss',
    duration: 10,
    runs: 3,
    concurrency: '1,16,64,256',
    sessions: 128,
    badConcurrency: 64,
    rssSessions: 1000,
    rssRuns: 1,
    settle: 20,
    externalSim: false,
    json: '',
    quick: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => {
      if (i + 1 >= argv.length) fail(`option ${a} needs a value`);
      return argv[++i];
    };
    switch (a) {
      case '--bin': o.bin = val(); break;
      case '--phases': o.phases = val(); break;
      case '--duration': o.duration = Number(val()); break;
      case '--runs': o.runs = Number(val()); break;
      case '--concurrency': o.concurrency = val(); break;
      case '--sessions': o.sessions = Number(val()); break;
      case '--bad-concurrency': o.badConcurrency = Number(val()); break;
      case '--rss-sessions': o.rssSessions = Number(val()); break;
      case '--settle': o.settle = Number(val()); break;
      case '--rss-runs': o.rssRuns = Number(val()); break;
      case '--external-sim': o.externalSim = true; break;
      case '--json': o.json = val(); break;
      case '--quick': o.quick = true; break;
      case '--wrap': WRAP = val().split(' ').filter(Boolean); break;
      case '-h': case '--help':
        console.log(readFileSync(fileURLToPath(import.meta.url), 'utf8').split('\nimport ')[0]);
        process.exit(0);
      default: fail(`unknown option ${a}`);
    }
  }
  if (o.quick) {
    o.duration = 2; o.runs = 1; o.concurrency = '1,16'; o.sessions = 16; o.badConcurrency = 16;
    o.rssSessions = 10; o.settle = 2;
  }
  o.phases = new Set(o.phases.split(',').map((s) => s.trim()).filter(Boolean));
  o.concurrency = o.concurrency.split(',').map(Number);
  for (const [k, v] of Object.entries({ duration: o.duration, runs: o.runs, sessions: o.sessions,
    badConcurrency: o.badConcurrency, rssSessions: o.rssSessions, rssRuns: o.rssRuns })) {
    if (!Number.isFinite(v) || v <= 0) fail(`--${k} must be a positive number`);
  }
  if (o.concurrency.some((c) => !Number.isInteger(c) || c <= 0)) fail('--concurrency: positive integers');
  if (!o.bin) {
    for (const p of ['build/release/apps/superlight/superlight',
      'build/h-h5-rel/apps/superlight/superlight', 'build/debug/apps/superlight/superlight']) {
      if (existsSync(join(REPO, p))) { o.bin = join(REPO, p); break; }
    }
  }
  if (!o.bin || !existsSync(o.bin)) fail(`superlight binary not found (use --bin or SUPERLIGHT_BIN)`);
  o.bin = resolve(o.bin);
  if (statSync(o.bin).isDirectory()) o.bin = join(o.bin, 'superlight');
  if (!existsSync(o.bin)) fail(`superlight binary not found at ${o.bin}`);
  return o;
}

// ---------- process bookkeeping: everything we start is killed on the way out ----------
const children = new Set();
const tempDirs = new Set();
function cleanup() {
  for (const c of children) {
    try {
      if (c.exitCode === null && c.signalCode === null) {
        if (c.wrapped) process.kill(-c.pid, 'SIGKILL'); else c.kill('SIGKILL');
      }
    } catch { /* gone */ }
  }
  children.clear();
  for (const d of tempDirs) {
    try { rmSync(d, { recursive: true, force: true }); } catch { /* best effort */ }
  }
  tempDirs.clear();
}
process.on('exit', cleanup);
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => { console.error(`gateway_load: ${sig}, stopping`); cleanup(); process.exit(130); });
}
function fail(reason) {
  console.error(`gateway_load: ${reason}`);
  cleanup();
  process.exit(1);
}

function tempDir() {
  const d = mkdtempSync(join(tmpdir(), 'sl-load-'));
  tempDirs.add(d);
  return d;
}

function track(child, name) {
  children.add(child);
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => { out += d; if (out.length > 1e6) out = out.slice(-5e5); });
  child.stderr.on('data', (d) => { err += d; if (err.length > 1e6) err = err.slice(-5e5); });
  const exited = new Promise((r) => child.on('exit', (code, sig) => { children.delete(child); r(code ?? sig); }));
  child.on('error', (e) => { err += String(e); });
  return { child, name, exited, out: () => out, err: () => err };
}

async function waitLine(proc, re, timeoutMs) {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    const m = proc.out().match(re);
    if (m) return m;
    if (proc.child.exitCode !== null || proc.child.signalCode !== null) break;
    await sleep(50);
  }
  const last = (proc.err() + proc.out()).trim().split('\n').filter(Boolean).pop() || 'no output';
  fail(`${proc.name} failed to start: ${proc.child.exitCode !== null ? `exit ${proc.child.exitCode}: ` : 'timeout: '}${last}`);
}

async function stopProc(proc) {
  if (proc.child.exitCode !== null || proc.child.signalCode !== null) return;
  if (proc.child.wrapped) {
    // SIGKILL the server itself so a heap profiler's "leaked" figure is the live heap at the end
    // (a graceful stop frees everything); the wrapper then finishes writing its data.
    try { process.kill(serverPid(proc), 'SIGKILL'); } catch { /* gone */ }
    const r = await Promise.race([proc.exited, deadline(120000)]);
    if (r === 'timeout') { process.kill(-proc.child.pid, 'SIGKILL'); await proc.exited; }
    return;
  }
  proc.child.kill('SIGTERM');
  const r = await Promise.race([proc.exited, deadline(15000)]);
  if (r === 'timeout') { proc.child.kill('SIGKILL'); await proc.exited; }
}

// The superlight process itself: the child, or under --wrap its first descendant named superlight.
function serverPid(proc) {
  if (!proc.child.wrapped) return proc.child.pid;
  const queue = [proc.child.pid];
  while (queue.length) {
    const pid = queue.shift();
    try {
      if (readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'superlight') return pid;
      for (const t of readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/)) {
        if (t) queue.push(Number(t));
      }
    } catch { /* raced with exit */ }
  }
  return proc.child.pid;
}

async function startSim(bin) {
  const dir = tempDir();
  const sim = track(spawn(bin, ['sim', '--ephemeral', '--ws-port', '0', '--control-port', '0',
    '--media-port', '0', '--log-level', 'warn'], { cwd: dir, env: { PATH: process.env.PATH } }), 'simulator');
  const m = await waitLine(sim, /^(\{"ready":true.*\})$/m, 30000);
  const info = JSON.parse(m[1]);
  const ca = join(dir, 'media-ca.pem');
  writeFileSync(ca, info.media_ca_pem);
  return { proc: sim, info, ca };
}

// Starts the gateway with SQLite in a temp dir and limits raised for benchmarking.
async function startServer(bin, { maxSessions, sim, extraEnv = {} }) {
  const dir = tempDir();
  const master = 'load-master-' + randomBytes(8).toString('hex');
  const env = {
    HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'warn', MASTER_API_KEY: master,
    DATABASE_URL: `sqlite://${join(dir, 'db.sqlite')}`, DATA_DIR: dir,
    TOKEN_ENCRYPTION_KEY: randomBytes(32).toString('hex'),
    MAX_SESSIONS: String(maxSessions), RATE_LIMIT_PER_MINUTE: '0', TOKEN_RATE_LIMIT_PER_MINUTE: '0', MAX_CONNECTIONS: '4096',
    DASHBOARD_DIR: join(dir, 'no-dashboard'),
    ...extraEnv,
  };
  const args = ['serve'];
  if (sim) {
    env.WA_WS_URL = sim.info.ws_url;
    env.WA_NOISE_ROOT_KEY = sim.info.root_key;
    env.WA_MEDIA_CA_FILE = sim.ca;
  } else {
    args.push('--sandbox');
  }
  writeFileSync(join(dir, '.env'), Object.entries(env).map(([k, v]) => `${k}=${v}`).join('\n') + '\n');
  const wrap = WRAP.length ? WRAP : null;
  const child = wrap
    ? spawn(wrap[0], [...wrap.slice(1), bin, ...args], { cwd: dir, env: { PATH: process.env.PATH }, detached: true })
    : spawn(bin, args, { cwd: dir, env: { PATH: process.env.PATH } });
  child.wrapped = !!wrap;
  const srv = track(child, 'server');
  const m = await waitLine(srv, /listening on http:\/\/127\.0\.0\.1:(\d+)/, 30000);
  const port = Number(m[1]);
  let control = sim ? sim.info.control_url : null;
  if (!sim) {
    const c = await waitLine(srv, /\(control (http:\/\/[^)\s]+)\)/, 10000);
    control = c[1];
  }
  return { proc: srv, port, master, control, dir, pid: serverPid(srv) };
}

// ---------- HTTP ----------
function request(agent, port, method, path, { headers = {}, body } = {}) {
  return new Promise((resolveReq) => {
    const data = body === undefined ? undefined : (Buffer.isBuffer(body) ? body : Buffer.from(
      typeof body === 'string' ? body : JSON.stringify(body)));
    const h = { ...headers };
    if (data) { h['content-type'] ??= 'application/json'; h['content-length'] = data.length; }
    const t0 = process.hrtime.bigint();
    const req = http.request({ host: '127.0.0.1', port, method, path, agent, headers: h }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const ms = Number(process.hrtime.bigint() - t0) / 1e6;
        const text = Buffer.concat(chunks).toString();
        let json;
        try { json = JSON.parse(text); } catch { json = undefined; }
        resolveReq({ status: res.statusCode, json, text, ms, headers: res.headers });
      });
      res.on('error', (e) => resolveReq({ status: 0, error: e.code || e.message, ms: 0 }));
    });
    req.on('error', (e) => resolveReq({ status: 0, error: e.code || e.message, ms: 0 }));
    if (data) req.end(data); else req.end();
  });
}

// Calls with Retry-After honoured for 429 (session setup only; never in measured loops).
async function call(agent, port, method, path, opts = {}) {
  for (let attempt = 0; attempt < 200; attempt++) {
    const r = await request(agent, port, method, path, opts);
    if (r.status !== 429) return r;
    await sleep(Math.max(1, Number(r.headers['retry-after']) || 1) * 1000);
  }
  return { status: 429 };
}

async function controlCall(url, method, path, body) {
  const u = new URL(path, url);
  const agent = new http.Agent({ keepAlive: false });
  return request(agent, Number(u.port), method, u.pathname, { body });
}

// Creates session `id`, waits for its QR and links it (sandbox scan route, or the simulator's
// control API when the simulator is external). Returns the session's bearer token.
async function linkSession(srv, agent, id, { external, phone }) {
  const master = { 'x-master-key': srv.master };
  const c = await call(agent, srv.port, 'POST', '/api/v1/sessions', { body: { sessionId: id }, headers: master });
  if (c.status !== 201) throw new Error(`create ${id}: ${c.status} ${c.text}`);
  const bearer = { authorization: `Bearer ${c.json.token}` };
  const end = Date.now() + 120000;
  while (Date.now() < end) {
    if (external) {
      const q = await call(agent, srv.port, 'GET', `/api/v1/sessions/${id}/qr`, { headers: bearer });
      if (q.status === 200 && q.json?.qr) {
        const s = await controlCall(srv.control, 'POST', `/control/accounts/${phone}/scan`, { qr: q.json.qr });
        if (s.status === 200) return c.json.token;
      }
    } else {
      const s = await call(agent, srv.port, 'POST', `/api/v1/sessions/${id}/sandbox/scan`, { headers: bearer });
      if (s.status === 200) return c.json.token;
      if (s.status !== 409 && s.status !== 410 && s.status !== 404) throw new Error(`scan ${id}: ${s.status} ${s.text}`);
    }
    await sleep(300);
  }
  throw new Error(`session ${id}: no QR/scan within 120 s`);
}

async function linkMany(srv, n, { external, parallel = 8, prefix, phoneBase = 15552000000 }) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: parallel * 2 });
  const tokens = new Array(n);
  let next = 0;
  let done = 0;
  const t0 = Date.now();
  const worker = async () => {
    while (next < n) {
      const i = next++;
      const id = `${prefix}${String(i).padStart(4, '0')}`;
      const phone = String(phoneBase + i);
      if (external) {
        const a = await controlCall(srv.control, 'POST', '/control/accounts', { phone, name: id });
        if (a.status !== 201 && a.status !== 409) throw new Error(`sim account ${phone}: ${a.status} ${a.text}`);
      }
      tokens[i] = { id, token: await linkSession(srv, agent, id, { external, phone }) };
      if (++done % 100 === 0) console.error(`  linked ${done}/${n} (${((Date.now() - t0) / 1000).toFixed(0)} s)`);
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallel, n) }, worker));
  // Wait until every session reports CONNECTED.
  const master = { 'x-master-key': srv.master };
  const end = Date.now() + 300000;
  let connected = 0;
  while (Date.now() < end) {
    const l = await call(agent, srv.port, 'GET', '/api/v1/sessions', { headers: master });
    if (l.status === 200 && Array.isArray(l.json)) {
      connected = l.json.filter((x) => x.sessionId.startsWith(prefix) && x.status === 'CONNECTED').length;
      if (connected >= n) break;
    }
    await sleep(1000);
  }
  agent.destroy();
  if (connected < n) throw new Error(`only ${connected}/${n} sessions CONNECTED after 300 s`);
  return { tokens, seconds: (Date.now() - t0) / 1000 };
}

// ---------- load ----------
function percentile(sorted, p) {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}
const median = (xs) => {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (!s.length) return NaN;
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

// CPU seconds (user + system) a process has used so far, from /proc/<pid>/stat.
function cpuSeconds(pid) {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(f[11]) + Number(f[12])) / 100;  // utime, stime (fields 14, 15) at USER_HZ=100
  } catch { return NaN; }
}

// C workers, each with its own keep-alive connection, sending back-to-back for `seconds`.
// With `pid`, also the server's CPU use during the run: accepted requests per server CPU-second
// is a capacity figure that does not depend on how busy the rest of the machine is.
async function drive(port, tokens, concurrency, seconds, pid) {
  const cpu0 = pid ? cpuSeconds(pid) : NaN;
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency, maxFreeSockets: concurrency });
  const lat = [];
  const stats = { ok: 0, itemError: 0, limited: 0, http: {}, net: 0 };
  let rr = 0;
  let seq = 0;
  const stopAt = performance.now() + seconds * 1000;
  const worker = async () => {
    while (performance.now() < stopAt) {
      const t = tokens[rr++ % tokens.length];
      const r = await request(agent, port, 'POST', `/api/v1/messages?sessionId=${t.id}`, {
        headers: { authorization: `Bearer ${t.token}` },
        body: { to: SILENT_PHONE, type: 'text', text: { body: `load ${seq++}` } },
      });
      if (r.status === 200 && Array.isArray(r.json) && r.json[0]?.status === 'success') {
        stats.ok++;
        lat.push(r.ms);
      } else if (r.status === 200) {
        stats.itemError++;
        if (stats.itemError <= 3) console.error(`  item error: ${r.text}`);
      } else if (r.status === 429) {
        stats.limited++;
      } else if (r.status === 0) {
        stats.net++;
        await sleep(10);
      } else {
        stats.http[r.status] = (stats.http[r.status] || 0) + 1;
      }
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: concurrency }, worker));
  const elapsed = (performance.now() - t0) / 1000;
  const cpu = pid ? cpuSeconds(pid) - cpu0 : NaN;
  agent.destroy();
  lat.sort((a, b) => a - b);
  const errors = stats.itemError + stats.net + Object.values(stats.http).reduce((a, b) => a + b, 0);
  return { rps: stats.ok / elapsed, p50: percentile(lat, 50), p99: percentile(lat, 99),
    ok: stats.ok, errors, limited: stats.limited, detail: stats,
    serverCpu: cpu / elapsed, perCpuSecond: stats.ok / cpu };
}

// ---------- hostile clients ----------
function attackers(port, token, sessionId) {
  const counts = { slowlorisConnections: 0, slowlorisClosedByServer: 0, malformed: {}, huge: {}, multipart: {} };
  let stopping = false;
  const sockets = new Set();
  // Slowloris: open a request and dribble one header byte per second, forever.
  const slowloris = () => {
    if (stopping) return;
    const s = net.connect(port, '127.0.0.1');
    sockets.add(s);
    counts.slowlorisConnections++;
    let timer;
    s.on('connect', () => {
      s.write(`POST /api/v1/messages?sessionId=${sessionId} HTTP/1.1\r\nHost: 127.0.0.1\r\nX-a: `);
      timer = setInterval(() => s.write('a'), 1000);
    });
    s.on('error', () => {});
    s.on('close', () => {
      clearInterval(timer);
      sockets.delete(s);
      if (!stopping) { counts.slowlorisClosedByServer++; setTimeout(slowloris, 100); }
    });
  };
  const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
  const bump = (m, r) => { const k = r.status || r.error; m[k] = (m[k] || 0) + 1; };
  const auth = { authorization: `Bearer ${token}` };
  const huge = Buffer.alloc(2 * 1024 * 1024, 0x61);
  const boundary = 'xXbadXx';
  const badMultipart = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.bin"\r\n` +
    `Content-Type: application/octet-stream\r\n\r\n${'z'.repeat(5000)}\r\n--not-the-boundary--\r\n`);
  const loop = async (pauseMs, fn) => { while (!stopping) { await fn(); await sleep(pauseMs); } };
  const jobs = [];
  for (let i = 0; i < 2; i++) {
    jobs.push(loop(10, async () => bump(counts.malformed, await request(agent, port, 'POST',
      `/api/v1/messages?sessionId=${sessionId}`, { headers: auth, body: '{"to": "1555", "type": "text", "text": {"body": ' }))));
  }
  jobs.push(loop(50, async () => bump(counts.huge, await request(agent, port, 'POST',
    `/api/v1/messages?sessionId=${sessionId}`, { headers: auth, body: huge }))));
  jobs.push(loop(20, async () => bump(counts.multipart, await request(agent, port, 'POST',
    `/api/v1/media?sessionId=${sessionId}`, { headers: { ...auth, 'content-type': `multipart/form-data; boundary=${boundary}` },
      body: badMultipart }))));
  for (let i = 0; i < SLOWLORIS; i++) slowloris();
  return {
    counts,
    async stop() {
      stopping = true;
      for (const s of sockets) s.destroy();
      await Promise.all(jobs);
      agent.destroy();
      return counts;
    },
  };
}

// The attackers run in their own node process so they do not steal the load generator's event
// loop (which would lower the "under attack" number for reasons unrelated to the server).
async function startAttackers(port, token, sessionId) {
  const p = track(spawn(process.execPath, [fileURLToPath(import.meta.url), '--attack', `${port},${token},${sessionId}`],
    { stdio: ['ignore', 'pipe', 'pipe'] }), 'attackers');
  await waitLine(p, /^attacking$/m, 10000);
  return {
    async stop() {
      p.child.kill('SIGTERM');
      await p.exited;
      const m = p.out().match(/^counts (.*)$/m);
      return m ? JSON.parse(m[1]) : { error: 'attacker process gave no counts' };
    },
  };
}

async function attackMain(spec) {
  const [port, token, sessionId] = spec.split(',');
  const atk = attackers(Number(port), token, sessionId);
  process.removeAllListeners('SIGTERM');
  process.on('SIGTERM', async () => {
    const counts = await atk.stop();
    process.stdout.write(`counts ${JSON.stringify(counts)}\n`, () => process.exit(0));
  });
  console.log('attacking');
}

// ---------- memory ----------
function procStatus(pid) {
  const txt = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (k) => Number((txt.match(new RegExp(`^${k}:\\s+(\\d+)`, 'm')) || [])[1] || NaN);
  return { VmRSS: kb('VmRSS'), RssAnon: kb('RssAnon'), RssFile: kb('RssFile'), VmHWM: kb('VmHWM'),
    Threads: kb('Threads') };
}
const mb = (kb) => (kb / 1024).toFixed(1);
const loadAvg = () => readFileSync('/proc/loadavg', 'utf8').split(' ')[0];

// ---------- phases ----------
async function phaseSend(o, results) {
  const sim = o.externalSim ? await startSim(o.bin) : null;
  const srv = await startServer(o.bin, { maxSessions: Math.max(o.sessions + 10, 10), sim });
  const created = await controlCall(srv.control, 'POST', '/control/accounts',
    { phone: SILENT_PHONE, name: 'Silent', virtual: 'silent' });
  if (created.status !== 201 && created.status !== 409) fail(`cannot create silent contact: ${created.status} ${created.text}`);
  console.error(`send: linking ${o.sessions} sessions…`);
  const { tokens, seconds } = await linkMany(srv, o.sessions, { external: !!sim, prefix: 'load' });
  console.error(`send: linked in ${seconds.toFixed(1)} s; warming up`);
  await drive(srv.port, tokens, Math.min(16, tokens.length), 1);
  results.send = [];
  for (const c of o.phases.has('send') ? o.concurrency : []) {
    const runs = [];
    for (let r = 0; r < o.runs; r++) {
      const res = await drive(srv.port, tokens, c, o.duration, srv.pid);
      runs.push(res);
      console.error(`  C=${c} run ${r + 1}: ${res.rps.toFixed(0)} req/s p50 ${res.p50?.toFixed(2)} ms p99 ${res.p99?.toFixed(2)} ms errors ${res.errors} limited ${res.limited}; server CPU ${res.serverCpu.toFixed(2)} cores, ${res.perCpuSecond.toFixed(0)} req per CPU-s; load ${loadAvg()}`);
      await sleep(1000);
    }
    results.send.push({ concurrency: c, runs, rps: median(runs.map((x) => x.rps)), p50: median(runs.map((x) => x.p50)),
      p99: median(runs.map((x) => x.p99)), errors: runs.reduce((a, x) => a + x.errors, 0),
      serverCpu: median(runs.map((x) => x.serverCpu)), perCpuSecond: median(runs.map((x) => x.perCpuSecond)),
      limited: runs.reduce((a, x) => a + x.limited, 0) });
  }
  if (o.phases.has('bad')) {
    const c = o.badConcurrency;
    const pairs = [];
    console.error(`bad: C=${c} with and without hostile clients`);
    // tokens[0]'s session is the attackers'; the good traffic uses the others in both halves.
    const good = tokens.length > 1 ? tokens.slice(1) : tokens;
    for (let r = 0; r < o.runs; r++) {
      const clean = await drive(srv.port, good, c, o.duration, srv.pid);
      await sleep(500);
      const atk = await startAttackers(srv.port, tokens[0].token, tokens[0].id);
      await sleep(300);
      const dirty = await drive(srv.port, good, c, o.duration, srv.pid);
      const counts = await atk.stop();
      console.error(`  run ${r + 1}: clean ${clean.rps.toFixed(0)} req/s, under attack ${dirty.rps.toFixed(0)} req/s (p99 ${clean.p99?.toFixed(2)} → ${dirty.p99?.toFixed(2)} ms; server CPU ${clean.serverCpu.toFixed(2)} → ${dirty.serverCpu.toFixed(2)} cores, ${clean.perCpuSecond.toFixed(0)} → ${dirty.perCpuSecond.toFixed(0)} req per CPU-s) ${JSON.stringify(counts)}`);
      pairs.push({ clean, dirty, counts });
      await sleep(1000);
    }
    const health = await request(new http.Agent(), srv.port, 'GET', '/health');
    results.bad = { concurrency: c, runs: pairs, cleanRps: median(pairs.map((p) => p.clean.rps)),
      dirtyRps: median(pairs.map((p) => p.dirty.rps)), cleanP99: median(pairs.map((p) => p.clean.p99)),
      dirtyP99: median(pairs.map((p) => p.dirty.p99)),
      cleanPerCpu: median(pairs.map((p) => p.clean.perCpuSecond)), dirtyPerCpu: median(pairs.map((p) => p.dirty.perCpuSecond)),
      dirtyErrors: pairs.reduce((a, p) => a + p.dirty.errors, 0),
      healthAfter: health.status };
    if (health.status !== 200) fail(`server unresponsive after the bad-input phase (/health ${health.status || health.error})`);
  }
  results.sendServer = procStatus(srv.pid);
  await stopProc(srv.proc);
  if (sim) await stopProc(sim.proc);
}

async function phaseRss(o, results) {
  const sim = o.externalSim ? await startSim(o.bin) : null;
  const srv = await startServer(o.bin, { maxSessions: o.rssSessions + 100, sim });
  await sleep(Math.min(o.settle, 5) * 1000);
  const base = procStatus(srv.pid);
  const simBase = sim ? procStatus(sim.proc.child.pid) : null;
  // A few sessions first: the code paths of linking page in the binary and warm allocator pools,
  // which is a one-time cost; the marginal per-session figure is measured from this point.
  const warmN = Math.min(10, Math.max(1, Math.floor(o.rssSessions / 10)));
  console.error(`rss: baseline VmRSS ${mb(base.VmRSS)} MB; linking ${warmN} + ${o.rssSessions - warmN} sessions (${sim ? 'external' : 'in-process'} simulator)…`);
  const w = await linkMany(srv, warmN, { external: !!sim, prefix: 'rsw', phoneBase: 15553000000 });
  await sleep(Math.min(o.settle, 5) * 1000);
  const warm = procStatus(srv.pid);
  const simWarm = sim ? procStatus(sim.proc.child.pid) : null;
  const rest = o.rssSessions - warmN;
  const { seconds } = rest > 0 ? await linkMany(srv, rest, { external: !!sim, prefix: 'rss' }) : { seconds: 0 };
  console.error(`rss: all CONNECTED after ${(seconds + w.seconds).toFixed(0)} s; settling ${o.settle} s`);
  await sleep(o.settle * 1000);
  const after = procStatus(srv.pid);
  const simAfter = sim ? procStatus(sim.proc.child.pid) : null;
  const n = o.rssSessions;
  const per = (a, b, k, count) => (count > 0 ? (a[k] - b[k]) / count : NaN);
  (results.rssRuns ??= []).push({
    sessions: n, warmSessions: warmN, simulator: sim ? 'external' : 'in-process',
    linkSeconds: seconds + w.seconds, base, warm, after,
    perSessionKB: { VmRSS: per(after, base, 'VmRSS', n), RssAnon: per(after, base, 'RssAnon', n) },
    marginalKB: { VmRSS: per(after, warm, 'VmRSS', rest), RssAnon: per(after, warm, 'RssAnon', rest) },
    sim: sim ? { base: simBase, warm: simWarm, after: simAfter, perSessionKB: per(simAfter, simBase, 'VmRSS', n) } : null,
  });
  const x = results.rssRuns[results.rssRuns.length - 1];
  console.error(`rss run: VmRSS ${mb(base.VmRSS)} → ${mb(warm.VmRSS)} → ${mb(after.VmRSS)} MB, RssAnon ${mb(base.RssAnon)} → ${mb(warm.RssAnon)} → ${mb(after.RssAnon)} MB; per session ${(x.perSessionKB.VmRSS / 1024).toFixed(3)} MB, marginal ${(x.marginalKB.VmRSS / 1024).toFixed(3)} MB (anon ${(x.marginalKB.RssAnon / 1024).toFixed(3)})${sim ? `; simulator ${mb(simBase.VmRSS)} → ${mb(simAfter.VmRSS)} MB` : ''}`);
  await stopProc(srv.proc);
  if (sim) await stopProc(sim.proc);
}

function report(o, results) {
  const f = (x, d = 1) => (Number.isFinite(x) ? x.toFixed(d) : '-');
  console.log(`gateway_load: ${o.bin}; ${o.duration} s per run, median of ${o.runs}; simulator ${o.externalSim ? 'external' : 'in-process'}; ${cpus().length} CPUs, load average at the end ${loadAvg()}`);
  if (results.send?.length) {
    console.log(`send  POST /api/v1/messages (text to a silent contact), ${o.sessions} session tokens round-robin`);
    console.log('  conc     req/s    p50 ms    p99 ms   errors  limited(429)  server-cores  req/CPU-s');
    for (const s of results.send) {
      console.log(`  ${String(s.concurrency).padStart(4)} ${f(s.rps, 0).padStart(9)} ${f(s.p50, 2).padStart(9)} ${f(s.p99, 2).padStart(9)} ${String(s.errors).padStart(8)} ${String(s.limited).padStart(13)} ${f(s.serverCpu, 2).padStart(13)} ${f(s.perCpuSecond, 0).padStart(10)}`);
    }
  }
  if (results.bad) {
    const b = results.bad;
    console.log(`bad   C=${b.concurrency}: clean ${f(b.cleanRps, 0)} req/s (p99 ${f(b.cleanP99, 2)} ms); with ${SLOWLORIS} slowloris + malformed JSON + 2 MB bodies + bad multipart ${f(b.dirtyRps, 0)} req/s (p99 ${f(b.dirtyP99, 2)} ms); req per server CPU-s ${f(b.cleanPerCpu, 0)} → ${f(b.dirtyPerCpu, 0)}; good-traffic errors ${b.dirtyErrors}; /health after: ${b.healthAfter}`);
    const last = b.runs[b.runs.length - 1].counts;
    console.log(`      attackers (last run): malformed ${JSON.stringify(last.malformed)} huge ${JSON.stringify(last.huge)} multipart ${JSON.stringify(last.multipart)} slowloris closed by server ${last.slowlorisClosedByServer}/${last.slowlorisConnections}`);
  }
  if (results.rssRuns?.length) {
    // Field-wise medians over the RSS runs.
    const runs = results.rssRuns;
    const med = (get) => median(runs.map(get));
    const st = (get) => ({ VmRSS: med((x) => get(x).VmRSS), RssAnon: med((x) => get(x).RssAnon), Threads: med((x) => get(x).Threads) });
    const r = results.rss = {
      runs: runs.length, sessions: runs[0].sessions, warmSessions: runs[0].warmSessions, simulator: runs[0].simulator,
      linkSeconds: med((x) => x.linkSeconds), base: st((x) => x.base), warm: st((x) => x.warm), after: st((x) => x.after),
      perSessionKB: { VmRSS: med((x) => x.perSessionKB.VmRSS), RssAnon: med((x) => x.perSessionKB.RssAnon) },
      marginalKB: { VmRSS: med((x) => x.marginalKB.VmRSS), RssAnon: med((x) => x.marginalKB.RssAnon) },
      sim: runs[0].sim ? { base: st((x) => x.sim.base), after: st((x) => x.sim.after), perSessionKB: med((x) => x.sim.perSessionKB) } : null,
    };

    console.log(`rss   ${r.sessions} linked idle sessions, median of ${r.runs} run(s) (${r.simulator} simulator, linked in ${f(r.linkSeconds, 0)} s): VmRSS ${mb(r.base.VmRSS)} → ${mb(r.warm.VmRSS)} (${r.warmSessions}) → ${mb(r.after.VmRSS)} MB, RssAnon ${mb(r.base.RssAnon)} → ${mb(r.warm.RssAnon)} → ${mb(r.after.RssAnon)} MB; threads ${r.after.Threads}`);
    console.log(`      per session from 0: ${f(r.perSessionKB.VmRSS / 1024, 3)} MB (anon ${f(r.perSessionKB.RssAnon / 1024, 3)} MB); marginal after ${r.warmSessions}: ${f(r.marginalKB.VmRSS / 1024, 3)} MB (anon ${f(r.marginalKB.RssAnon / 1024, 3)} MB)`);
    if (r.sim) console.log(`      simulator process: VmRSS ${mb(r.sim.base.VmRSS)} → ${mb(r.sim.after.VmRSS)} MB (${f(r.sim.perSessionKB / 1024, 3)} MB per account, not part of the gateway)`);
  }
}

if (process.argv[2] === '--attack') {
  await attackMain(process.argv[3]);
  await new Promise(() => {});  // until SIGTERM
}
const o = parseArgs(process.argv.slice(2));
const results = {};
try {
  if (o.phases.has('send') || o.phases.has('bad')) await phaseSend(o, results);
  if (o.phases.has('rss')) for (let r = 0; r < o.rssRuns; r++) await phaseRss(o, results);
} catch (e) {
  fail(e.message.split('\n')[0]);
}
report(o, results);
if (o.json) writeFileSync(o.json, JSON.stringify({ options: { ...o, phases: [...o.phases] }, results }, null, 2));
cleanup();
process.exit(0);
