// A simulator restarted on the same --state-dir keeps its identity (root key, media CA) and its
// accounts: a Baileys client linked before the restart logs in again without pairing and can
// still message an account created before the restart.

import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { WaClient, patchRootKey, pnJid } from './lib/baileys.mjs';
import { createAccount, startSim } from './lib/sim.mjs';

const dir = mkdtempSync(join(tmpdir(), 'sl-sim-state-'));
const sims = [];
const clients = [];

after(async () => {
  for (const c of clients) await c.dispose().catch(() => {});
  for (const s of sims) await s.stop().catch(() => {});
  rmSync(dir, { recursive: true, force: true });
});

test('state survives a simulator restart', { timeout: 180000 }, async () => {
  const first = await startSim({ stateDir: dir });
  sims.push(first);
  patchRootKey(first.info);
  await createAccount(first, '15552220001', 'Dora');
  await createAccount(first, '15552220002', 'Eve');
  const dora = new WaClient(first, 'dora');
  const eve = new WaClient(first, 'eve');
  clients.push(dora, eve);
  await dora.linkByQr('15552220001', 'Dora');
  await eve.linkByQr('15552220002', 'Eve');
  await dora.stop();
  await eve.stop();
  assert.equal((await first.stop()).code, 0);

  assert.equal(readFileSync(join(dir, 'media-ca.pem'), 'utf8'), first.info.media_ca_pem);
  assert.equal(statSync(join(dir, 'media-ca.key')).mode & 0o077, 0, 'CA key is private');

  const second = await startSim({ stateDir: dir });
  sims.push(second);
  assert.equal(second.info.root_key, first.info.root_key);
  assert.equal(second.info.media_ca_pem, first.info.media_ca_pem);
  const list = await second.control('GET', '/control/accounts');
  assert.deepEqual(list.json.accounts.map((a) => a.phone).sort(), ['15552220001', '15552220002']);

  for (const c of [dora, eve]) {
    c.sim = second; // new ports, same identity
    const since = c.mark();
    c.start();
    await c.waitOpen(since);
    assert.ok(!c.events.slice(since).some((e) => e.type === 'connection.update' && e.data.qr), `${c.label} had to pair again`);
  }
  const m = await dora.sendText(pnJid('15552220002'), 'still there?');
  await eve.waitText('still there?');
  assert.ok(m.key.id);
  const problems = clients.flatMap((c) => c.problems());
  assert.deepEqual(problems, []);
});
