// Shared helpers for the whole-binary integration suites: start/stop/kill -9 `superlight serve`
// pointed at a `superlight sim` (or in sandbox mode), a master-key REST client, a webhook receiver
// that checks X-Signature-256 and can be taken down and brought back on the same port, and a /ws
// live-feed client that authenticates with a one-time ticket from /api/v1/ws-auth.
//
// The simulator and Baileys helpers live in tests/interop/lib (sim.mjs, baileys.mjs); Baileys and
// `ws` are installed in tests/interop/node_modules, so they are resolved from there whatever the
// working directory is. Every wait has a deadline; nothing sleeps without bound.
import { spawn } from 'node:child_process';
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const interopRequire = createRequire(new URL('../../interop/package.json', import.meta.url));
const WebSocketImpl = interopRequire('ws');

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export function binPath() {
  const p = process.env.SUPERLIGHT_BIN ?? process.env.SUPERLIGHT;
  if (!p) throw new Error('set SUPERLIGHT_BIN to the superlight binary (ctest does this)');
  // sim.mjs reads $SUPERLIGHT.
  process.env.SUPERLIGHT ??= p;
  return p;
}

// Polls fn() until it returns something truthy (returned) or the deadline passes.
export async function waitFor(what, fn, timeoutMs = 20000, everyMs = 150) {
  const end = Date.now() + timeoutMs;
  let last;
  let lastErr;
  while (Date.now() < end) {
    try {
      last = await fn();
      if (last) return last;
    } catch (e) {
      lastErr = e;
    }
    await sleep(everyMs);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastErr ? `: ${lastErr.message}` : ''}`);
}

export function tempDir(prefix = 'sl-int-') {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  // SL_KEEP_TMP=1 keeps the directory (database, logs) for a post-mortem.
  return {
    dir,
    remove: () => {
      if (process.env.SL_KEEP_TMP) console.log(`kept ${dir}`);
      else rmSync(dir, { recursive: true, force: true });
    },
  };
}

// The environment for `superlight serve` against the simulator `sim` (lib/sim.mjs), with SQLite
// in `dir` unless databaseUrl is given. Extra variables override.
export function gatewayEnv({ dir, sim, master, databaseUrl, extra = {} }) {
  const caFile = join(dir, 'sim-media-ca.pem');
  if (sim) writeFileSync(caFile, sim.info.media_ca_pem);
  const env = {
    PATH: process.env.PATH,
    HOST: '127.0.0.1',
    PORT: '0',
    LOG_LEVEL: process.env.SL_LOG_LEVEL ?? 'warn',
    MASTER_API_KEY: master,
    DATABASE_URL: databaseUrl || `sqlite://${join(dir, 'db.sqlite')}`,
    DATA_DIR: dir,
    TOKEN_ENCRYPTION_KEY: randomBytes(32).toString('hex'),
    ALLOW_PRIVATE_WEBHOOKS: '1',
    RATE_LIMIT_PER_MINUTE: '0',
    ...(sim ? { WA_WS_URL: sim.info.ws_url, WA_NOISE_ROOT_KEY: sim.info.root_key, WA_MEDIA_CA_FILE: caFile } : {}),
    ...extra,
  };
  return env;
}

// Starts `superlight serve` with exactly `env` (nothing inherited but what env holds) in `dir`.
// Resolves once the banner names the port; { port, base, child, output(), stop(), kill9() }.
export async function startGateway({ dir, env, args = [] }) {
  const child = spawn(binPath(), ['serve', ...args], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const keep = (d) => {
    if (process.env.SL_SERVER_LOG) process.stderr.write(d);
    out += d;
    if (out.length > 4_000_000) out = out.slice(-2_000_000);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  const port = await waitFor('the server banner', async () => {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw Object.assign(new Error(`server exited early (${child.exitCode ?? child.signalCode}):\n${out}`), { fatal: true });
    }
    const m = out.match(/listening on http:\/\/127\.0\.0\.1:(\d+)/);
    return m ? Number(m[1]) : null;
  }, 30000, 50).catch((e) => {
    child.kill('SIGKILL');
    throw new Error(`${e.message}\n${out}`);
  });
  const base = `http://127.0.0.1:${port}`;
  const g = {
    port,
    base,
    child,
    exited,
    output: () => out,
    // SIGTERM, then SIGKILL after 15 s; resolves with { code, signal }.
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return { code: child.exitCode, signal: child.signalCode };
      child.kill('SIGTERM');
      const r = await Promise.race([exited, sleep(15000).then(() => null)]);
      if (r) return r;
      child.kill('SIGKILL');
      return { ...(await exited), timedOut: true };
    },
    async kill9() {
      child.kill('SIGKILL');
      return exited;
    },
  };
  g.api = apiClient(base);
  return g;
}

// A small REST client. call(method, path, {body, headers, raw}) → {status, json, text, headers}.
export function apiClient(base, defaultHeaders = {}) {
  const call = async (method, path, { body, headers = {}, form } = {}) => {
    const init = { method, headers: { ...defaultHeaders, ...headers } };
    if (form) {
      init.body = form;
    } else if (body !== undefined) {
      init.headers['content-type'] = 'application/json';
      init.body = typeof body === 'string' ? body : JSON.stringify(body);
    }
    const res = await fetch(base + path, init);
    const text = await res.text();
    let json;
    try {
      json = text ? JSON.parse(text) : null;
    } catch {
      json = undefined;
    }
    return { status: res.status, json, text, headers: res.headers };
  };
  return {
    base,
    call,
    with: (headers) => apiClient(base, { ...defaultHeaders, ...headers }),
    get: (p, o) => call('GET', p, o),
    post: (p, body, o = {}) => call('POST', p, { ...o, body }),
    del: (p, body, o = {}) => call('DELETE', p, { ...o, body }),
    // POST /api/v1/media with one file; resolves with {status, json}.
    async upload(bytes, filename, mime = 'application/octet-stream') {
      const form = new FormData();
      form.append('file', new Blob([bytes], { type: mime }), filename);
      return call('POST', '/api/v1/media', { form });
    },
  };
}

// Creates `sessionId` with the master key, sets its webhook, waits for a QR over REST, scans it
// with `phone` through the simulator's control API. Resolves with { token, secret, qr }.
export async function createAndLink({ api, sim, sessionId, phone, webhookUrl }) {
  const created = await api.post('/api/v1/sessions', { sessionId });
  if (created.status !== 201) throw new Error(`create session: ${created.status} ${created.text}`);
  const { token, webhookSecret: secret } = created.json;
  if (webhookUrl) {
    const wh = await api.post('/api/v1/webhook', { sessionId, url: webhookUrl });
    if (wh.status !== 200) throw new Error(`set webhook: ${wh.status} ${wh.text}`);
  }
  const qr = await waitFor('a QR over REST', async () => {
    const r = await api.get(`/api/v1/sessions/${sessionId}/qr`);
    return r.status === 200 && r.json?.qr ? r.json : null;
  }, 30000);
  const scan = await sim.control('POST', `/control/accounts/${phone}/scan`, { qr: qr.qr });
  if (scan.status !== 200) throw new Error(`sim scan: ${scan.status} ${JSON.stringify(scan.json)}`);
  return { token, secret, qr, deviceJid: scan.json.device_jid };
}

export async function waitSessionState(api, sessionId, state, timeoutMs = 30000) {
  return waitFor(`session ${sessionId} ${state}`, async () => {
    const r = await api.get(`/api/v1/sessions/${sessionId}`);
    return r.status === 200 && r.json?.status === state ? r.json : null;
  }, timeoutMs);
}

export function signatureOf(secret, body) {
  return 'sha256=' + createHmac('sha256', secret).update(body).digest('hex');
}

export function signatureValid(secret, body, header) {
  const a = Buffer.from(signatureOf(secret, body));
  const b = Buffer.from(String(header ?? ''));
  return a.length === b.length && timingSafeEqual(a, b);
}

// A webhook receiver on a fixed loopback port. `events` holds every delivery (with headers, the
// raw body and `signed`: whether its signature verifies against `secrets[sessionId]`). down()/up() close and
// reopen the listener on the same port (a receiver that is really down: connection refused).
export async function webhookReceiver({ secrets = {} } = {}) {
  const events = [];
  let server = null;
  const sockets = new Set();
  const handler = (req, res) => {
    const chunks = [];
    req.on('data', (d) => chunks.push(d));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      let json = null;
      try {
        json = JSON.parse(body);
      } catch {}
      events.push({
        headers: req.headers,
        body,
        json,
        path: req.url,
        at: Date.now(),
        // Checked when read: the secret may be learnt after the first events arrive.
        get signed() {
          const secret = json && secrets[json.sessionId];
          return secret ? signatureValid(secret, body, req.headers['x-signature-256']) : null;
        },
      });
      res.writeHead(200).end('ok');
    });
  };
  const listen = (port) => new Promise((resolve, reject) => {
    server = createServer(handler);
    server.on('connection', (s) => {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
    });
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server.address().port));
  });
  const port = await listen(0);
  const r = {
    port,
    url: `http://127.0.0.1:${port}/hook`,
    events,
    secrets,
    find: (pred) => events.find((e) => e.json && pred(e.json, e)),
    filter: (pred) => events.filter((e) => e.json && pred(e.json, e)),
    async waitEvent(what, pred, timeoutMs = 30000) {
      return waitFor(`webhook ${what}`, async () => r.find(pred), timeoutMs, 50);
    },
    async down() {
      if (!server) return;
      const s = server;
      server = null;
      await new Promise((resolve) => {
        s.close(() => resolve());
        for (const sock of sockets) sock.destroy();
      });
    },
    async up() {
      if (server) return;
      await listen(port);
    },
    close() {
      return r.down();
    },
  };
  return r;
}

// The live feed: GET /api/v1/ws-auth (with the caller's credentials) → /ws?token=<ticket>.
// Collects every JSON message; waitMessage(pred) resolves with the first match.
export async function liveFeed(api) {
  const t = await api.get('/api/v1/ws-auth');
  if (t.status !== 200 || !t.json?.wsToken) throw new Error(`ws-auth: ${t.status} ${t.text}`);
  const url = api.base.replace(/^http/, 'ws') + `/ws?token=${t.json.wsToken}`;
  const ws = new WebSocketImpl(url);
  const messages = [];
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) => reject(new Error(`/ws upgrade refused: ${res.statusCode}`)));
  });
  ws.on('message', (d) => {
    try {
      messages.push(JSON.parse(d.toString()));
    } catch {
      messages.push({ raw: d.toString() });
    }
  });
  return {
    ws,
    messages,
    ticket: t.json.wsToken,
    waitMessage: (what, pred, timeoutMs = 30000) =>
      waitFor(`live feed ${what}`, async () => messages.find(pred), timeoutMs, 50),
    close: () => ws.close(),
  };
}

// Tries a raw /ws upgrade with the given ticket; resolves with the HTTP status or 101.
export async function wsUpgradeStatus(base, ticket) {
  const url = base.replace(/^http/, 'ws') + `/ws${ticket === undefined ? '' : `?token=${ticket}`}`;
  const ws = new WebSocketImpl(url);
  return new Promise((resolve) => {
    ws.once('open', () => {
      ws.close();
      resolve(101);
    });
    ws.once('unexpected-response', (_req, res) => resolve(res.statusCode));
    ws.once('error', () => resolve(-1));
  });
}
