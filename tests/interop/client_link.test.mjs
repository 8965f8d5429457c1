// Our protocol client (wa::Client via client_tool) links to `superlight sim` by QR and by
// pairing code, logs in again after the 515 restart, survives a restart of the Client object,
// and reports a server-side unlink as logged out (no reconnect).

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { OurClient } from './client_harness.mjs';
import { createAccount, startSim } from './lib/sim.mjs';

const T = { timeout: 120000 };
const PHONES = { qr: '15552220001', code: '15552220002' };

let sim;
const ours = {};

describe('wa::Client linking against superlight sim', () => {
  before(async () => {
    sim = await startSim();
    await createAccount(sim, PHONES.qr, 'QR Owner');
    await createAccount(sim, PHONES.code, 'Code Owner');
  });

  after(async () => {
    for (const c of Object.values(ours)) await c.quit();
    await sim?.stop();
  });

  test('links by QR: QR string format, pairing, 515 restart, login', T, async () => {
    ours.qr = new OurClient(sim, 'ours-qr');
    const { paired, device_jid, qr } = await ours.qr.linkByQr(PHONES.qr);
    assert.match(qr, /^https:\/\/wa\.me\/settings\/linked_devices#[^,]+,[A-Za-z0-9+/=]{44},[A-Za-z0-9+/=]{44},[A-Za-z0-9+/=]{44},1$/);
    assert.equal(paired.jid, device_jid);
    assert.ok(paired.jid.startsWith(PHONES.qr + ':'), paired.jid);
    assert.match(paired.lid, /^\d+:\d+@lid$/);
    // The 515 restart was classified and reconnected at once.
    assert.ok(ours.qr.events.some((e) => e.event === 'connection' && e.reason === 'restart_required'));
    const acc = await sim.control('GET', `/control/accounts/${PHONES.qr}`);
    assert.ok(acc.json.devices.some((d) => d.jid === device_jid && d.online), JSON.stringify(acc.json));
  });

  test('links by pairing code', T, async () => {
    ours.code = new OurClient(sim, 'ours-code');
    const { paired, device_jid, code } = await ours.code.linkByPairCode(PHONES.code);
    assert.match(code, /^[1-9A-HJ-NP-TV-Z]{8}$/);
    assert.equal(paired.jid, device_jid);
  });

  test('a restarted Client logs in again without pairing', T, async () => {
    const since = ours.qr.mark();
    ours.qr.cmd({ cmd: 'restart' });
    await ours.qr.waitConnected(since);
    assert.ok(!ours.qr.events.slice(since).some((e) => e.event === 'qr'), 'no QR after restart');
  });

  test('unlinking the device on the server gives logged_out and no reconnect', T, async () => {
    const device = Number(ours.code.jid.split('@')[0].split(':')[1]);
    const since = ours.code.mark();
    const r = await sim.control('DELETE', `/control/accounts/${PHONES.code}/devices/${device}`);
    assert.ok(r.status === 200 || r.status === 204, JSON.stringify(r));
    await ours.code.waitFor((e) => e.event === 'logged_out', { since, what: 'logged_out' });
    await ours.code.waitFor((e) => e.event === 'connection' && e.state === 'logged_out', { since, what: 'state logged_out' });
    await new Promise((res) => setTimeout(res, 1500));
    assert.ok(!ours.code.events.slice(since).some((e) => e.event === 'connection' && e.state === 'connecting'), 'no reconnect after logout');
  });
});
