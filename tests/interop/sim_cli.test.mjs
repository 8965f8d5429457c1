// `superlight sim` as a process: the ready line, the control API over real HTTP, the HTTPS media
// host verified against the CA from the ready line, bad options, and a clean SIGTERM exit.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import https from 'node:https';
import { after, before, describe, test } from 'node:test';
import WebSocket from 'ws';
import { startSim, superlightPath } from './lib/sim.mjs';

function httpsGet(url, ca, extra = {}) {
  return new Promise((resolve, reject) => {
    const req = https.request(url, { method: 'GET', ca, ...extra }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('superlight sim process', () => {
  let sim;
  before(async () => {
    sim = await startSim();
  });
  after(async () => {
    await sim?.stop();
  });

  test('prints one ready line with every endpoint', () => {
    const i = sim.info;
    assert.match(i.ws_url, /^ws:\/\/127\.0\.0\.1:\d+\/ws\/chat$/);
    assert.match(i.media_url, /^https:\/\/127\.0\.0\.1:\d+$/);
    assert.match(i.control_url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.match(i.root_key, /^[0-9a-f]{64}$/);
    assert.match(i.media_ca_pem, /-----BEGIN CERTIFICATE-----/);
    assert.deepEqual(sim.extraStdout, []);
  });

  test('GET /control/info matches the ready line', async () => {
    const r = await sim.control('GET', '/control/info');
    assert.equal(r.status, 200);
    for (const k of ['ws_url', 'media_url', 'root_key', 'media_ca_pem']) assert.equal(r.json[k], sim.info[k]);
  });

  test('accounts: 201, 409 on a duplicate, 400 on bad input, listed afterwards', async () => {
    const created = await sim.control('POST', '/control/accounts', { phone: '15550001111', name: 'Cli' });
    assert.equal(created.status, 201, JSON.stringify(created.json));
    assert.equal(created.json.phone, '15550001111');
    assert.match(created.json.lid, /^\d+$/);
    assert.equal(created.json.name, 'Cli');

    const dup = await sim.control('POST', '/control/accounts', { phone: '15550001111' });
    assert.equal(dup.status, 409);
    assert.equal(dup.json.error.code, 'already_exists');

    const bad = await sim.control('POST', '/control/accounts', { phone: 'not-a-number' });
    assert.equal(bad.status, 400);
    assert.equal(bad.json.error.code, 'invalid_argument');

    const badJson = await sim.control('POST', '/control/accounts', '{oops');
    assert.equal(badJson.status, 400);

    const list = await sim.control('GET', '/control/accounts');
    assert.equal(list.status, 200);
    const mine = list.json.accounts.find((a) => a.phone === '15550001111');
    assert.ok(mine, JSON.stringify(list.json));
    assert.ok(Array.isArray(mine.devices));
  });

  test('scan with an unknown ref is 404 and does not hang', async () => {
    const r = await sim.control('POST', '/control/accounts/15550001111/scan', {
      qr: 'nosuchref,AAAA,BBBB,CCCC,1',
    });
    assert.ok([400, 404].includes(r.status), `${r.status} ${JSON.stringify(r.json)}`);
    assert.ok(r.json.error.code);
  });

  test('faults and stats', async () => {
    const f = await sim.control('POST', '/control/faults', { kind: 'delay', ms: 1, count: 1, phone: '19999999999' });
    assert.equal(f.status, 200, JSON.stringify(f.json));
    const bad = await sim.control('POST', '/control/faults', { kind: 'nope' });
    assert.equal(bad.status, 400);
    const s = await sim.control('GET', '/control/stats');
    assert.equal(s.status, 200);
    for (const k of ['connections_open', 'connections_total', 'messages_routed', 'messages_queued']) {
      assert.equal(typeof s.json[k], 'number', k);
    }
  });

  test('unknown control routes are JSON 404s', async () => {
    const r = await sim.control('GET', '/control/nothing-here');
    assert.equal(r.status, 404);
    assert.equal(r.json.error.code, 'not_found');
  });

  test('media host serves TLS that verifies against the announced CA', async () => {
    const r = await httpsGet(`${sim.info.media_url}/v/t62.7119-24/none.enc?ccb=1&hash=x&mms-type=image`, sim.info.media_ca_pem);
    assert.equal(r.status, 404);
    // Without the CA the certificate is not trusted.
    await assert.rejects(httpsGet(`${sim.info.media_url}/x`, undefined), /self[- ]signed|unable to verify|certificate/i);
  });

  test('a garbage WebSocket client is closed and the simulator keeps serving', async () => {
    const ws = new WebSocket(sim.info.ws_url, { origin: 'https://web.whatsapp.com' });
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    const closed = new Promise((resolve) => ws.once('close', resolve));
    ws.send(Buffer.from('GET / HTTP/1.1 garbage'));
    await closed;
    const r = await sim.control('GET', '/control/info');
    assert.equal(r.status, 200);
  });

  test('SIGTERM stops it with exit code 0', async () => {
    const r = await sim.stop();
    assert.equal(r.code, 0, `exit ${JSON.stringify(r)}\n${sim.stderr()}`);
  });
});

describe('superlight sim options', () => {
  test('a bad option exits 2 with one line on stderr', () => {
    const r = spawnSync(superlightPath(), ['sim', '--ws-port', 'notaport'], { encoding: 'utf8' });
    assert.equal(r.status, 2);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.equal(r.stdout, '');
  });

  test('an unknown log level exits 2', () => {
    const r = spawnSync(superlightPath(), ['sim', '--ephemeral', '--log-level', 'loud'], { encoding: 'utf8' });
    assert.equal(r.status, 2);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  });

  test('a port already in use exits non-zero with one line', async () => {
    const first = await startSim();
    try {
      const port = new URL(first.info.control_url).port;
      const r = spawnSync(superlightPath(), ['sim', '--ephemeral', '--ws-port', '0', '--media-port', '0', '--control-port', port], { encoding: 'utf8', timeout: 20000 });
      assert.equal(r.status, 1, r.stderr);
      assert.equal(r.stdout, '');
      assert.match(r.stderr, /control/);
    } finally {
      await first.stop();
    }
  });
});
