// Durability acceptance: with the webhook receiver DOWN, 500 text messages are accepted for a
// Baileys peer; the session's connection is dropped by the simulator right after the first
// batch (messages accepted while connected wait in the queue through a reconnect, and a batch
// is accepted while the session is DISCONNECTED/CONNECTING), the server is
// killed with SIGKILL in the middle of the sending, and restarted:
//   * the session reconnects WITHOUT a new QR;
//   * the peer receives every accepted messageId, and no body under two ids; only the one message
//     on the wire at each connection loss may arrive twice with the same id (see below);
//   * once the receiver is up, every event is delivered: session-status, message-status
//     (at least `sent`) for every accepted message, the peer's reply as new-message; X-Event-Id
//     values are unique and every body is signed.
//
// Usage: SUPERLIGHT_BIN=<path> node --test tests/integration/durability.test.mjs
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';

import { startSim, createAccount } from '../interop/lib/sim.mjs';
import { WaClient, patchRootKey, pnJid, textOf } from '../interop/lib/baileys.mjs';
import {
  binPath, createAndLink, gatewayEnv, sleep, startGateway, tempDir, waitFor, waitSessionState,
  webhookReceiver,
} from './lib/gateway.mjs';

const MASTER = 'dur-master-' + randomBytes(8).toString('hex');
const SESSION = 'durable';
const suffix = String(Date.now() % 1_000_000).padStart(6, '0');
const GW_PHONE = `1666${suffix}1`;
const PEER_PHONE = `1666${suffix}2`;
const TOTAL = 500;
const BATCH = 100;

test('500 messages survive a disconnect and kill -9; every event is delivered afterwards', { timeout: 230000 }, async () => {
  binPath();
  const tmp = tempDir('sl-durable-');
  const sim = await startSim({ logLevel: 'warn' });
  patchRootKey(sim.info);
  const hook = await webhookReceiver();
  await hook.down();
  const peer = new WaClient(sim, 'peer');
  let gw = null;
  const outputs = [];
  const tag = randomBytes(3).toString('hex');
  const bodyOf = (i) => `durable ${tag} #${i}`;
  const accepted = new Map(); // messageId → body
  try {
    await createAccount(sim, GW_PHONE, 'Gateway');
    await createAccount(sim, PEER_PHONE, 'Peer');
    const peerLinked = peer.linkByQr(PEER_PHONE, 'Peer');
    // One environment for both runs (same TOKEN_ENCRYPTION_KEY, database, data dir).
    const env = gatewayEnv({ dir: tmp.dir, sim, master: MASTER, extra: { WEBHOOK_RETRY_MAX_DELAY_SECONDS: '4' } });
    gw = await startGateway({ dir: tmp.dir, env });
    let api = gw.api.with({ 'x-master-key': MASTER });
    const link = await createAndLink({ api, sim, sessionId: SESSION, phone: GW_PHONE, webhookUrl: hook.url });
    hook.secrets[SESSION] = link.secret;
    await waitSessionState(api, SESSION, 'CONNECTED');
    await peerLinked;

    const batch = (from) => Array.from({ length: BATCH }, (_, k) => ({
      to: PEER_PHONE, type: 'text', text: { body: bodyOf(from + k) } }));
    // Sends one batch; records the accepted items. Resolves with the response (or the error).
    // Each batch carries an Idempotency-Key: a batch whose answer was lost (the kill) is posted
    // again with the same key, and the server answers the items it already took with their
    // first messageId instead of sending them twice.
    const sendBatch = async (from) => {
      const r = await api.post(`/api/v1/messages?sessionId=${SESSION}`, batch(from),
        { headers: { 'Idempotency-Key': `${tag}-batch-${from}` } });
      if (r.status !== 200) return r;
      r.json.forEach((res, k) => {
        if (res.status === 'success') accepted.set(res.messageId, bodyOf(from + k));
      });
      return r;
    };
    // The session may be reconnecting (404 "not connected"): retry until it takes the batch.
    const sendBatchWhenConnected = async (from) => waitFor(`batch ${from} accepted`, async () => {
      const r = await sendBatch(from);
      return r.status === 200 ? r : null;
    }, 40000, 100);

    // Batch 0, then the simulator drops the gateway's connection while it is still sending.
    const r0 = await sendBatch(0);
    assert.equal(r0.status, 200, r0.text);
    assert.equal(r0.json.filter((x) => x.status === 'success').length, BATCH, r0.text);
    const marks = { drop: peer.mark() };
    const drop = await sim.control('POST', '/control/faults', { kind: 'drop', phone: GW_PHONE });
    assert.equal(drop.status, 200, JSON.stringify(drop.json));
    // Batch 1 while the session is away (DISCONNECTED / CONNECTING, reconnect under way): a
    // linked session takes messages then too; they wait in the database for the next login.
    const away = await waitFor('the session notices the drop', async () => {
      const r = await api.get(`/api/v1/sessions/${SESSION}`);
      return r.json?.status && r.json.status !== 'CONNECTED' ? r.json.status : null;
    }, 10000, 10);
    const r1 = await sendBatch(BATCH);
    assert.equal(r1.status, 200, `accepted while ${away}: ${r1.text}`);
    assert.equal(r1.json.filter((x) => x.status === 'success').length, BATCH, r1.text);
    // Batch 2 as soon as the session takes it (it does at once, connected or not).
    {
      const r = await sendBatchWhenConnected(2 * BATCH);
      assert.equal(r.json.filter((x) => x.status === 'success').length, BATCH, r.text);
    }
    // Batch 3 is accepted, then SIGKILL while the server is still sending the queue (and while
    // batch 4's request may be in flight: its items count only if their answer arrived).
    const r3 = await sendBatchWhenConnected(3 * BATCH);
    assert.equal(r3.json.filter((x) => x.status === 'success').length, BATCH, r3.text);
    const inFlight = sendBatch(4 * BATCH).catch((e) => ({ status: -1, error: e }));
    await sleep(20);
    const receivedBeforeKill = countReceived(peer, tag).total;
    marks.kill = peer.mark();
    const exit = await gw.kill9();
    assert.equal(exit.signal, 'SIGKILL');
    await inFlight;
    outputs.push(gw.output());
    console.log(`accepted before the kill: ${accepted.size}; the peer had ${receivedBeforeKill}`);
    assert.ok(receivedBeforeKill < accepted.size,
      `the kill should interrupt the sending (peer had ${receivedBeforeKill} of ${accepted.size})`);

    // --- restart: no QR, same session, sending resumes ---
    gw = await startGateway({ dir: tmp.dir, env });
    marks.restart = peer.mark();
    api = gw.api.with({ 'x-master-key': MASTER });
    const states = new Set();
    await waitFor('CONNECTED after restart', async () => {
      const r = await api.get(`/api/v1/sessions/${SESSION}`);
      if (r.status === 200) states.add(r.json.status);
      const qr = await api.get(`/api/v1/sessions/${SESSION}/qr`);
      if (qr.status === 200 && qr.json?.qr) states.add('QR!');
      return r.json?.status === 'CONNECTED' ? r.json : null;
    }, 40000, 100);
    assert.ok(!states.has('GENERATING_QR') && !states.has('QR!'), `no QR after restart: ${[...states]}`);
    // Batch 4's answer may have been lost in the kill: post it again with the same key. Items
    // the killed server had already taken come back as duplicates with their first id.
    const r4 = await sendBatchWhenConnected(4 * BATCH);
    assert.equal(r4.json.filter((x) => x.status === 'success').length, BATCH, r4.text);
    assert.equal(accepted.size, TOTAL, 'every message accepted once');

    // --- the peer gets every accepted message exactly once ---
    await waitFor(`the peer receives ${TOTAL} messages`, async () => {
      const c = countReceived(peer, tag);
      return [...accepted.keys()].every((id) => c.byId.has(id)) ? c : null;
    }, 90000, 250).catch((e) => {
      const c = countReceived(peer, tag);
      const lost = [...accepted.keys()].filter((id) => !c.byId.has(id));
      throw new Error(`${e.message}: ${lost.length} accepted messages never arrived (e.g. ${lost.slice(0, 5)})`);
    });
    await sleep(1500); // a late duplicate would show up here
    const c = countReceived(peer, tag);
    const dupIds = [...c.byId].filter(([, n]) => n > 1);
    const dupBodies = [...c.byBody].filter(([, n]) => n > 1);
    // Where each copy arrived (peer event index) relative to the drop, the kill and the restart.
    const where = (id) => peer.events.flatMap((e, i) => e.type === 'messages.upsert' &&
      e.data.messages.some((m) => m.key.id === id) ? [`#${i}(${e.data.type})`] : []).join(' ');
    // Exactly-once failures are collected, so the webhook half below still runs and reports.
    const soft = [];
    const check = (fn) => {
      try {
        fn();
      } catch (e) {
        soft.push(e);
      }
    };
    // Exactly once, with one documented exception (docs/protocol-client.md, "No duplicate after
    // a drop"): the single message on the wire at the instant a connection is lost (the drop,
    // the kill), whose delivery receipt had not come back by the end of the offline backlog, is
    // sent again with the SAME id. WhatsApp clients drop such a repeat; Baileys shows it twice.
    // So: at most one such id per connection loss, two copies each, and no body ever under two
    // different ids (that would be a real double send).
    if (dupIds.length) console.log(`repeated in-flight message(s): ${dupIds.map(([id]) => `${id}: ${where(id)}`)}`);
    check(() => assert.ok(dupIds.length <= 2 && dupIds.every(([, n]) => n === 2),
      `at most the in-flight message of each connection loss arrives twice (marks: ${JSON.stringify(marks)}): ` +
      JSON.stringify(dupIds.map(([id, n]) => `${id} x${n}: ${where(id)}`))));
    const repeatedBodies = new Set(dupIds.map(([id]) => c.bodyOfId.get(id)));
    check(() => assert.deepEqual(dupBodies.filter(([body, n]) => !(n === 2 && repeatedBodies.has(body))), [],
      'no body received under two different ids'));
    for (const [id, body] of accepted) assert.equal(c.bodyOfId.get(id), body, `body of ${id}`);

    // The peer replies while the receiver is still down.
    const reply = await peer.sendText(pnJid(GW_PHONE), `reply ${tag}`);

    // --- the receiver comes up: every event is delivered ---
    await hook.up();
    const upAt = Date.now();
    const rate = () => {
      const ev = hook.events;
      if (!ev.length) return 'no event yet';
      const first = ev[0].at - upAt;
      const span = (ev[ev.length - 1].at - ev[0].at) / 1000;
      return `first event ${first} ms after the receiver came up; ${ev.length} events in ${span.toFixed(1)} s ` +
        `(${(ev.length / Math.max(span, 0.001)).toFixed(1)}/s)`;
    };
    const sentOf = (id) => hook.find((j) => j.event === 'message-status' && j.messageId === id &&
      ['sent', 'delivered', 'read'].includes(j.status));
    await waitFor('message-status for every accepted message', async () =>
      [...accepted.keys()].every((id) => sentOf(id)), 90000, 250).catch((e) => {
      const lost = [...accepted.keys()].filter((id) => !sentOf(id));
      throw new Error(`${e.message}: ${lost.length} without a status event (e.g. ${lost.slice(0, 5)}); ` +
        `${rate()}`);
    });
    await hook.waitEvent('new-message (the reply)', (j) => j.event === 'new-message' && j.messageId === reply.key.id, 30000);
    const sessionStatuses = hook.filter((j) => j.event === 'session-status').map((e) => e.json.status);
    assert.ok(sessionStatuses.includes('CONNECTED'), JSON.stringify(sessionStatuses));
    assert.ok(sessionStatuses.includes('DISCONNECTED'), `the drop was reported: ${JSON.stringify(sessionStatuses)}`);
    // Per-session order: the QR phase comes before the first CONNECTED, and never again.
    const firstConnected = sessionStatuses.indexOf('CONNECTED');
    assert.ok(!sessionStatuses.slice(firstConnected).includes('GENERATING_QR'), JSON.stringify(sessionStatuses));
    const ids = hook.events.map((e) => e.headers['x-event-id']);
    assert.equal(new Set(ids).size, ids.length, 'no X-Event-Id delivered twice');
    for (const e of hook.events) assert.equal(e.signed, true, `signature of ${e.body.slice(0, 100)}`);
    // Each message's statuses arrive in order (a status never goes backwards).
    const rank = { sent: 1, delivered: 2, read: 3, played: 4 };
    const last = new Map();
    for (const e of hook.filter((j) => j.event === 'message-status')) {
      const prev = last.get(e.json.messageId) ?? 0;
      const r = rank[e.json.status] ?? 0;
      assert.ok(r > prev, `${e.json.messageId}: ${e.json.status} after rank ${prev}`);
      last.set(e.json.messageId, r);
    }
    console.log(`webhook delivery: ${rate()}`);
    console.log(`events: ${hook.events.length}; session-status: ${sessionStatuses.join(',')}`);
    if (soft.length) throw soft.length === 1 ? soft[0] : new AggregateError(soft, soft.map((e) => e.message).join('\n'));
  } catch (e) {
    if (gw) outputs.push(gw.output());
    console.error(outputs.map((o) => o.slice(-15000)).join('\n----- restart -----\n'));
    throw e;
  } finally {
    await peer.dispose().catch(() => {});
    if (gw) await gw.stop();
    await sim.stop().catch(() => {});
    await hook.close();
    tmp.remove();
  }
});

// Messages the peer received (not from itself) whose text carries this run's tag.
function countReceived(peer, tag) {
  const byId = new Map();
  const byBody = new Map();
  const bodyOfId = new Map();
  let total = 0;
  for (const e of peer.events) {
    if (e.type !== 'messages.upsert') continue;
    for (const m of e.data.messages) {
      const t = textOf(m);
      if (m.key.fromMe || !t || !t.includes(tag)) continue;
      ++total;
      byId.set(m.key.id, (byId.get(m.key.id) ?? 0) + 1);
      byBody.set(t, (byBody.get(t) ?? 0) + 1);
      bodyOfId.set(m.key.id, t);
    }
  }
  return { byId, byBody, bodyOfId, total };
}
