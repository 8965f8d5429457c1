// End to end over loopback: `superlight serve --sandbox` (SQLite in a temp dir, a master key)
// → create a session with the master key → QR over REST → sandbox scan → CONNECTED → send a
// text to the echo contact → the test's webhook receiver gets message-status sent/delivered and
// the new-message echo, each with a valid X-Signature-256 → restart → the session reconnects
// without a QR and messaging still works. Plus the access rules of the session routes.
//
// Usage: node --test tests/integration/sandbox_e2e.test.mjs   (SUPERLIGHT_BIN=<path>)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const BIN = process.env.SUPERLIGHT_BIN;
const MASTER = 'e2e-master-' + randomBytes(8).toString('hex');
const ECHO = '19990000001';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function waitFor(what, fn, timeoutMs = 20000, everyMs = 150) {
  const end = Date.now() + timeoutMs;
  let last;
  while (Date.now() < end) {
    last = await fn();
    if (last) return last;
    await sleep(everyMs);
  }
  throw new Error(`timed out waiting for ${what}`);
}

function startServer(dir) {
  const child = spawn(BIN, ['serve', '--sandbox'], { cwd: dir, env: { PATH: process.env.PATH } });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  const exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
  const ready = waitFor('banner', async () => {
    if (child.exitCode !== null) throw new Error(`server exited: ${out}\n${err}`);
    const m = out.match(/listening on http:\/\/127\.0\.0\.1:(\d+)/);
    return m ? Number(m[1]) : null;
  }, 20000, 50);
  return { child, ready, exited, output: () => out + err };
}

async function stopServer(s) {
  s.child.kill('SIGTERM');
  const code = await Promise.race([s.exited, sleep(10000).then(() => 'timeout')]);
  if (code === 'timeout') s.child.kill('SIGKILL');
  return code;
}

function receiver() {
  const events = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      events.push({ headers: req.headers, body, json: JSON.parse(body) });
      res.writeHead(200).end('ok');
    });
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve({ server, events, port: server.address().port })));
}

test('sandbox end to end: link, send, webhooks, restart', { timeout: 120000 }, async () => {
  assert.ok(BIN, 'set SUPERLIGHT_BIN');
  const dir = mkdtempSync(join(tmpdir(), 'sl-e2e-'));
  writeFileSync(join(dir, '.env'), [
    'HOST=127.0.0.1', 'PORT=0', 'LOG_LEVEL=warn', `MASTER_API_KEY=${MASTER}`,
    `DATABASE_URL=sqlite://${join(dir, 'db.sqlite')}`, `DATA_DIR=${dir}`,
    `TOKEN_ENCRYPTION_KEY=${randomBytes(32).toString('hex')}`, 'ALLOW_PRIVATE_WEBHOOKS=1', '',
  ].join('\n'));
  const hook = await receiver();
  let srv = startServer(dir);
  try {
    let port = await srv.ready;
    assert.match(srv.output(), /SANDBOX/);
    assert.match(srv.output(), new RegExp(`echo contact ${ECHO}`));
    let base = `http://127.0.0.1:${port}`;
    const call = async (method, path, { body, headers = {} } = {}) => {
      const res = await fetch(base + path, {
        method,
        headers: { 'content-type': 'application/json', ...headers },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      let json;
      try { json = JSON.parse(text); } catch { json = text; }
      return { status: res.status, json, headers: res.headers };
    };
    const master = { 'x-master-key': MASTER };

    // --- access rules ---
    assert.equal((await call('POST', '/api/v1/sessions', { body: { sessionId: 'x' } })).status, 401);
    assert.equal((await call('POST', '/api/v1/sessions', {
      body: { sessionId: 'x' }, headers: { 'x-master-key': 'wrong' } })).status >= 401, true);
    const bad = await call('POST', '/api/v1/sessions', { body: { sessionId: '../etc' }, headers: master });
    assert.equal(bad.status, 400);
    assert.equal(bad.json.status, 'error');
    assert.equal((await call('GET', '/api/v1/sessions')).status, 401);

    // --- create ---
    const created = await call('POST', '/api/v1/sessions', { body: { sessionId: 'e2e' }, headers: master });
    assert.equal(created.status, 201, JSON.stringify(created.json));
    assert.equal(created.json.status, 'success');
    assert.equal(created.json.message, 'Session e2e created.');
    assert.match(created.json.token, /.{20,}/);
    const token = created.json.token;
    const secret = created.json.webhookSecret;
    assert.match(secret, /^[0-9a-f]{64}$/);
    const bearer = { authorization: `Bearer ${token}` };
    assert.equal((await call('POST', '/api/v1/sessions', { body: { sessionId: 'e2e' }, headers: master })).status, 409);

    // A second session: the first session's token must not reach it.
    assert.equal((await call('POST', '/api/v1/sessions', { body: { sessionId: 'other' }, headers: master })).status, 201);
    assert.equal((await call('GET', '/api/v1/sessions/other', { headers: bearer })).status, 403);
    assert.equal((await call('DELETE', '/api/v1/sessions/other', { headers: bearer })).status, 403);
    const listed = await call('GET', '/api/v1/sessions', { headers: master });
    assert.equal(listed.status, 200);
    assert.deepEqual(listed.json.map((s) => s.sessionId).sort(), ['e2e', 'other']);
    assert.ok(!JSON.stringify(listed.json).includes(token), 'tokens are never listed');
    assert.ok(listed.json.every((s) => !('token' in s)));
    const own = await call('GET', '/api/v1/sessions', { headers: bearer });
    assert.deepEqual(own.json.map((s) => s.sessionId), ['e2e']);
    assert.equal((await call('DELETE', '/api/v1/sessions/other', { headers: master })).status, 200);

    // --- webhook ---
    const wh = await call('POST', '/api/v1/webhook', {
      body: { sessionId: 'e2e', url: `http://127.0.0.1:${hook.port}/hook` }, headers: bearer });
    assert.equal(wh.status, 200, JSON.stringify(wh.json));
    assert.equal((await call('GET', '/api/v1/webhook?sessionId=e2e', { headers: bearer })).json.url,
      `http://127.0.0.1:${hook.port}/hook`);

    // --- QR + scan ---
    const qr = await waitFor('QR', async () => {
      const r = await call('GET', '/api/v1/sessions/e2e/qr', { headers: bearer });
      return r.status === 200 ? r.json : null;
    });
    assert.match(qr.qr, /^[^,]+,[^,]+,[^,]+,[^,]+/);
    assert.ok(Date.parse(qr.expiresAt) > Date.now() - 1000);
    const svg = await fetch(`${base}/api/v1/sessions/e2e/qr?format=svg`, { headers: bearer });
    assert.equal(svg.status, 200);
    assert.match(await svg.text(), /<svg/);
    const scan = await call('POST', '/api/v1/sessions/e2e/sandbox/scan', { headers: bearer });
    assert.equal(scan.status, 200, JSON.stringify(scan.json));
    const connected = await waitFor('CONNECTED', async () => {
      const r = await call('GET', '/api/v1/sessions/e2e', { headers: bearer });
      return r.json.status === 'CONNECTED' ? r.json : null;
    });
    assert.equal(connected.qr, null);

    // --- send to echo ---
    const key = 'idem-' + randomBytes(4).toString('hex');
    const sent = await call('POST', '/api/v1/messages?sessionId=e2e', {
      body: { to: ECHO, type: 'text', text: { body: 'hello echo' } },
      headers: { ...bearer, 'Idempotency-Key': key } });
    assert.equal(sent.status, 200, JSON.stringify(sent.json));
    assert.equal(sent.json.length, 1);
    assert.equal(sent.json[0].status, 'success');
    assert.equal(sent.json[0].message, `Message sent to ${ECHO}@s.whatsapp.net`);
    const messageId = sent.json[0].messageId;
    const again = await call('POST', '/api/v1/messages?sessionId=e2e', {
      body: { to: ECHO, type: 'text', text: { body: 'hello echo' } },
      headers: { ...bearer, 'Idempotency-Key': key } });
    assert.equal(again.json[0].messageId, messageId, 'same idempotency key → same message');
    const mixed = await call('POST', '/api/v1/messages?sessionId=e2e', {
      body: [{ to: 'abc', type: 'text', text: { body: 'x' } }, { to: ECHO, type: 'text' }],
      headers: bearer });
    assert.equal(mixed.status, 200);
    assert.deepEqual(mixed.json.map((r) => r.status), ['error', 'error']);
    assert.equal((await call('POST', '/api/v1/messages', { body: {}, headers: bearer })).status, 400);

    const find = (pred) => hook.events.find((e) => pred(e.json));
    await waitFor('message-status delivered', async () =>
      find((j) => j.event === 'message-status' && j.messageId === messageId && j.status === 'delivered'));
    assert.ok(find((j) => j.event === 'message-status' && j.messageId === messageId && j.status === 'sent'));
    const echo = await waitFor('new-message echo', async () =>
      find((j) => j.event === 'new-message' && j.from === `${ECHO}@s.whatsapp.net`));
    assert.equal(echo.json.sessionId, 'e2e');
    assert.ok(JSON.stringify(echo.json.data).includes('hello echo'));
    assert.ok(find((j) => j.event === 'session-status' && j.status === 'CONNECTED'));
    for (const e of hook.events) {
      const expected = 'sha256=' + createHmac('sha256', secret).update(e.body).digest('hex');
      assert.equal(e.headers['x-signature-256'], expected, `signature of ${e.json.event}`);
    }
    const history = await call('GET', `/api/v1/messages/${messageId}?sessionId=e2e`, { headers: bearer });
    assert.equal(history.status, 200);
    const steps = history.json.message.history.map((h) => h.status);
    assert.ok(steps.includes('queued') && steps.includes('sent') && steps.includes('delivered'),
      JSON.stringify(steps));

    // Legacy route, working.
    const legacy = await call('POST', '/api/send-message', {
      body: { sessionId: 'e2e', number: ECHO, message: 'legacy hello' }, headers: bearer });
    assert.equal(legacy.status, 200, JSON.stringify(legacy.json));
    assert.equal(legacy.json.status, 'success');
    await waitFor('legacy echo', async () =>
      hook.events.find((e) => e.json.event === 'new-message' &&
        JSON.stringify(e.json.data).includes('legacy hello')));

    // --- media: upload (type sniffed), serve, send as an image ---
    const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');
    const upload = async (bytes, name) => {
      const form = new FormData();
      form.append('file', new Blob([bytes]), name);
      const r = await fetch(`${base}/api/v1/media`, { method: 'POST', headers: bearer, body: form });
      return { status: r.status, json: await r.json() };
    };
    const rejected = await upload(Buffer.from('<html><script>alert(1)</script>'), 'x.png');
    assert.equal(rejected.status, 400, JSON.stringify(rejected.json));
    const up = await upload(PNG, 'dot.png');
    assert.equal(up.status, 201, JSON.stringify(up.json));
    assert.equal(up.json.mimetype, 'image/png');
    const served = await fetch(`${base}${up.json.url}`, { headers: bearer });
    assert.equal(served.status, 200);
    assert.equal(served.headers.get('content-type'), 'image/png');
    assert.deepEqual(Buffer.from(await served.arrayBuffer()), PNG);
    assert.equal((await fetch(`${base}${up.json.url}`)).status, 401);
    const img = await call('POST', '/api/v1/messages?sessionId=e2e', {
      body: { to: ECHO, type: 'image', image: { id: up.json.mediaId, caption: 'a dot' } },
      headers: bearer });
    assert.equal(img.json[0].status, 'success', JSON.stringify(img.json));
    await waitFor('image delivered', async () =>
      find((j) => j.event === 'message-status' && j.messageId === img.json[0].messageId &&
        j.status === 'delivered'));

    // --- restart: reconnect without a QR ---
    assert.equal(await stopServer(srv), 0);
    // A message the previous process accepted but never got acked (as after a crash): the
    // next run hands it to the client again at login.
    const now = Date.now();
    execFileSync('sqlite3', [join(dir, 'db.sqlite'),
      `INSERT INTO messages (session_id, direction, chat_jid, message_id, type, body, status,
         message_ts, created_at, updated_at) VALUES ('e2e', 'out', '${ECHO}@s.whatsapp.net',
         '3EB0RESEND000001', 'text', '{"text":"resend me"}', 'queued', ${Math.floor(now / 1000)},
         ${now}, ${now})`]);
    srv = startServer(dir);
    port = await srv.ready;
    base = `http://127.0.0.1:${port}`;
    await waitFor('CONNECTED after restart', async () => {
      const r = await call('GET', '/api/v1/sessions/e2e', { headers: bearer });
      return r.json.status === 'CONNECTED' && r.json.qr === null ? r.json : null;
    });
    const before = hook.events.length;
    const sent2 = await waitFor('send after restart', async () => {
      const r = await call('POST', '/api/v1/messages?sessionId=e2e', {
        body: { to: ECHO, type: 'text', text: { body: 'after restart' } }, headers: bearer });
      return r.status === 200 && r.json[0].status === 'success' ? r : null;
    });
    assert.ok(sent2);
    await waitFor('echo after restart', async () =>
      hook.events.slice(before).find((e) => e.json.event === 'new-message' &&
        JSON.stringify(e.json.data).includes('after restart')));
    await waitFor('resent message delivered', async () =>
      hook.events.find((e) => e.json.event === 'message-status' &&
        e.json.messageId === '3EB0RESEND000001' && e.json.status === 'delivered'));
    await waitFor('echo of the resent message', async () =>
      hook.events.find((e) => e.json.event === 'new-message' &&
        JSON.stringify(e.json.data).includes('resend me')));
    assert.ok(!hook.events.slice(before).some((e) => e.json.status === 'GENERATING_QR'),
      'no new QR after restart');

    console.log('webhook events:', hook.events.map((e) =>
      `${e.json.event}:${e.json.status ?? e.json.messageId ?? ''}`).join(' '));

    // --- token rotation: the old token stops working at once ---
    const rotated = await call('POST', '/api/v1/sessions/e2e/token/rotate', { headers: bearer });
    assert.equal(rotated.status, 200, JSON.stringify(rotated.json));
    assert.notEqual(rotated.json.token, token);
    assert.ok([401, 403].includes((await call('GET', '/api/v1/sessions/e2e', { headers: bearer })).status));
    const bearer2 = { authorization: `Bearer ${rotated.json.token}` };
    assert.equal((await call('GET', '/api/v1/sessions/e2e', { headers: bearer2 })).status, 200);

    // --- delete ---
    assert.equal((await call('DELETE', '/api/v1/sessions/e2e', { headers: bearer2 })).status, 200);
    assert.equal((await call('GET', '/api/v1/sessions', { headers: master })).json.length, 0);
  } catch (e) {
    console.error(srv.output());
    throw e;
  } finally {
    await stopServer(srv);
    hook.server.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('MAX_SESSIONS and removal of sessions never linked in time', { timeout: 120000 }, async () => {
  assert.ok(BIN, 'set SUPERLIGHT_BIN');
  const dir = mkdtempSync(join(tmpdir(), 'sl-e2e-limit-'));
  writeFileSync(join(dir, '.env'), [
    'HOST=127.0.0.1', 'PORT=0', 'LOG_LEVEL=warn', `MASTER_API_KEY=${MASTER}`,
    `DATABASE_URL=sqlite://${join(dir, 'db.sqlite')}`, `DATA_DIR=${dir}`,
    `TOKEN_ENCRYPTION_KEY=${randomBytes(32).toString('hex')}`, 'MAX_SESSIONS=1',
    'SESSION_TIMEOUT_HOURS=0.01', '',
  ].join('\n'));
  const srv = startServer(dir);
  try {
    const base = `http://127.0.0.1:${await srv.ready}`;
    const create = (id) => fetch(`${base}/api/v1/sessions`, {
      method: 'POST', headers: { 'content-type': 'application/json', 'x-master-key': MASTER },
      body: JSON.stringify({ sessionId: id }) });
    assert.equal((await create('first')).status, 201);
    const refused = await create('second');
    assert.equal(refused.status, 429);
    assert.match((await refused.json()).message, /Maximum session limit \(1\)/);
    // Linking by phone number instead of QR: the client asks the (simulated) server for a code.
    const headers = { 'content-type': 'application/json', 'x-master-key': MASTER };
    await waitFor('QR of first', async () =>
      (await fetch(`${base}/api/v1/sessions/first/qr`, { headers })).status === 200);
    const bad = await fetch(`${base}/api/v1/sessions/first/pairing-code`, {
      method: 'POST', headers, body: JSON.stringify({ phone: '12ab' }) });
    assert.equal(bad.status, 400);
    const control = srv.output().match(/control (http:\/\/127\.0\.0\.1:\d+)/)[1];
    assert.equal((await fetch(`${control}/control/accounts`, {
      method: 'POST', body: JSON.stringify({ phone: '15550001111', name: 'Phone' }) })).status, 201);
    const code = await fetch(`${base}/api/v1/sessions/first/pairing-code`, {
      method: 'POST', headers, body: JSON.stringify({ phone: '+1 555 000 1111' }) });
    const codeJson = await code.json();
    assert.equal(code.status, 200, JSON.stringify(codeJson));
    assert.match(codeJson.code, /^[A-Z0-9]{8}$/);
    // The phone types the code: the session links without a QR scan.
    const typed = await fetch(`${control}/control/accounts/15550001111/pair-code`, {
      method: 'POST', body: JSON.stringify({ code: codeJson.code }) });
    assert.equal(typed.status, 200, await typed.text());
    await waitFor('CONNECTED by pairing code', async () =>
      (await (await fetch(`${base}/api/v1/sessions/first`, { headers })).json()).status === 'CONNECTED');
    assert.equal((await fetch(`${base}/api/v1/sessions/first`, {
      method: 'DELETE', headers })).status, 200);
    assert.equal((await create('third')).status, 201);
    // 0.01 h = 36 s after creation, the never-linked session is removed and its slot is free.
    await waitFor('auto-removal', async () => {
      const r = await fetch(`${base}/api/v1/sessions/third`, { headers: { 'x-master-key': MASTER } });
      return r.status === 404;
    }, 60000, 1000);
    assert.equal((await create('second')).status, 201);
  } catch (e) {
    console.error(srv.output(), `\nserver exit: ${srv.child.exitCode} signal: ${srv.child.signalCode}`);
    throw e;
  } finally {
    await stopServer(srv);
    rmSync(dir, { recursive: true, force: true });
  }
});
