// Real Baileys 7.0.0-rc14 clients against `superlight sim`: pairing by QR and by code, re-login,
// 1:1 texts with receipts, media through the HTTPS media host, a 3-member group, an echo
// virtual contact, a drop fault with offline delivery, and unlinking. One simulator for the
// whole file; the steps build on each other (later steps need the linked clients of earlier
// ones), so a failure early makes the later steps fail too — read the first failure.

import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { DELIVERED, READ, WaClient, patchRootKey, pnJid, textOf } from './lib/baileys.mjs';
import { createAccount, startSim } from './lib/sim.mjs';

const T = { timeout: 180000 };
const PHONES = { alice: '15551110001', bob: '15551110002', carol: '15551110003', echo: '15551119999' };

let sim;
const clients = {};
const sha = (b) => createHash('sha256').update(b).digest('hex');

// A user part of a JID, ignoring device and server ("123:4@lid" → "123").
const userOf = (jid) => (jid ?? '').split('@')[0].split(':')[0];

async function account(phone) {
  const r = await sim.control('GET', `/control/accounts/${phone}`);
  assert.equal(r.status, 200, JSON.stringify(r.json));
  return r.json;
}

// True if `jid` names the account with `phone` (by PN or by LID).
async function isAccount(jid, phone) {
  const a = await account(phone);
  return userOf(jid) === phone || userOf(jid) === a.lid;
}

async function makeImage() {
  try {
    const { default: sharp } = await import('sharp');
    return await sharp({ create: { width: 96, height: 64, channels: 3, background: { r: 200, g: 40, b: 90 } } })
      .jpeg()
      .toBuffer();
  } catch {
    return null; // no sharp: send random bytes with our own thumbnail instead
  }
}

describe('Baileys against superlight sim', () => {
  before(async () => {
    sim = await startSim();
    patchRootKey(sim.info);
    await createAccount(sim, PHONES.alice, 'Alice');
    await createAccount(sim, PHONES.bob, 'Bob');
    await createAccount(sim, PHONES.carol, 'Carol');
    await createAccount(sim, PHONES.echo, 'Echo', 'echo');
  });

  after(async () => {
    for (const c of Object.values(clients)) await c.dispose().catch(() => {});
    const r = await sim?.stop();
    if (r && r.code !== 0) console.log(`simulator exit ${JSON.stringify(r)}\n${sim.stderr().slice(-5000)}`);
  });

  test('two accounts link a Baileys client each by QR', T, async () => {
    clients.alice = new WaClient(sim, 'alice');
    clients.bob = new WaClient(sim, 'bob');
    const [ja, jb] = await Promise.all([
      clients.alice.linkByQr(PHONES.alice, 'Alice'),
      clients.bob.linkByQr(PHONES.bob, 'Bob'),
    ]);
    assert.equal(userOf(ja), PHONES.alice);
    assert.equal(userOf(jb), PHONES.bob);
    assert.equal(userOf(clients.alice.creds.me.id), PHONES.alice);
    const a = await account(PHONES.alice);
    assert.ok(a.devices.some((d) => d.jid === ja && d.online), JSON.stringify(a));
  });

  test('a third account links by pairing code', T, async () => {
    clients.carol = new WaClient(sim, 'carol');
    const jc = await clients.carol.linkByPairCode(PHONES.carol, 'Carol');
    assert.equal(userOf(jc), PHONES.carol);
  });

  test('clients restart their sockets and log in again without re-pairing', T, async () => {
    for (const c of [clients.alice, clients.bob]) {
      const since = await c.restart();
      const after = c.events.slice(since);
      assert.ok(!after.some((e) => e.type === 'connection.update' && (e.data.qr || e.data.isNewLogin)),
        `${c.label} was asked to pair again: ${c.describeEvents()}`);
    }
  });

  test('1:1 texts both ways with delivery and read receipts', T, async () => {
    const { alice, bob } = clients;
    const m1 = await alice.sendText(pnJid(PHONES.bob), 'hello bob');
    const got1 = await bob.waitText('hello bob');
    assert.ok(await isAccount(got1.key.remoteJid, PHONES.alice), got1.key.remoteJid);
    await alice.waitStatus(m1.key.id, DELIVERED);
    await bob.sock.readMessages([got1.key]);
    await alice.waitStatus(m1.key.id, READ);

    const m2 = await bob.sendText(pnJid(PHONES.alice), 'hi alice');
    const got2 = await alice.waitText('hi alice');
    assert.ok(await isAccount(got2.key.remoteJid, PHONES.bob), got2.key.remoteJid);
    await bob.waitStatus(m2.key.id, DELIVERED);
    await alice.sock.readMessages([got2.key]);
    await bob.waitStatus(m2.key.id, READ);
  });

  test('an image and a 5 MB document through the media server', T, async () => {
    const { alice, bob } = clients;
    let image = await makeImage();
    const content = image
      ? { image, caption: 'pic' }
      : { image: (image = randomBytes(4096)), caption: 'pic', jpegThumbnail: Buffer.alloc(0) };
    await alice.send(pnJid(PHONES.bob), content);
    const gotImage = await bob.waitMessage((m) => m.message?.imageMessage?.caption === 'pic', { what: 'the image' });
    assert.match(gotImage.message.imageMessage.url, new RegExp(`^${sim.info.media_url}/`));
    const imageBytes = await bob.download(gotImage);
    assert.equal(sha(imageBytes), sha(image));

    const doc = randomBytes(5 * 1024 * 1024);
    await bob.send(pnJid(PHONES.alice), { document: doc, mimetype: 'application/pdf', fileName: 'big.pdf' });
    const gotDoc = await alice.waitMessage((m) => m.message?.documentMessage?.fileName === 'big.pdf', { what: 'the document', timeoutMs: 60000 });
    assert.equal(Number(gotDoc.message.documentMessage.fileLength), doc.length);
    const docBytes = await alice.download(gotDoc);
    assert.equal(docBytes.length, doc.length);
    assert.equal(sha(docBytes), sha(doc));
  });

  test('a 3-member group: every member receives every member\'s messages', T, async () => {
    const { alice, bob, carol } = clients;
    const meta = await alice.sock.groupCreate('Trio', [pnJid(PHONES.bob), pnJid(PHONES.carol)]);
    assert.match(meta.id, /@g\.us$/);
    assert.equal(meta.participants.length, 3);
    const members = [alice, bob, carol];
    for (const sender of members) {
      const text = `group hello from ${sender.label}`;
      await sender.sendText(meta.id, text);
      for (const receiver of members) {
        if (receiver === sender) continue;
        const got = await receiver.waitMessage((m) => m.key.remoteJid === meta.id && textOf(m) === text, { what: `"${text}" in the group` });
        assert.ok(got.key.participant, 'group messages name their sender');
      }
    }
  });

  test('a Baileys client talks to an echo virtual contact and gets its reply', T, async () => {
    const { alice } = clients;
    const sent = await alice.sendText(pnJid(PHONES.echo), 'echo this please');
    const reply = await alice.waitMessage((m) => textOf(m) === 'echo this please', { what: 'the echo reply' });
    assert.ok(await isAccount(reply.key.remoteJid, PHONES.echo), reply.key.remoteJid);
    await alice.waitStatus(sent.key.id, DELIVERED);
  });

  test('a virtual contact sends a text through the control API', T, async () => {
    const { alice } = clients;
    const r = await sim.control('POST', `/control/accounts/${PHONES.echo}/send`, { to: PHONES.alice, text: 'ping from the sandbox' });
    assert.equal(r.status, 200, JSON.stringify(r.json));
    const got = await alice.waitText('ping from the sandbox');
    assert.ok(await isAccount(got.key.remoteJid, PHONES.echo), got.key.remoteJid);
  });

  test('a stream_error fault: Baileys sees the error code and logs in again', T, async () => {
    const { carol } = clients;
    const since = carol.mark();
    const f = await sim.control('POST', '/control/faults', { kind: 'stream_error', code: 503, phone: PHONES.carol });
    assert.equal(f.status, 200, JSON.stringify(f.json));
    const closed = await carol.waitClose(since);
    assert.equal(closed.lastDisconnect?.error?.output?.statusCode, 503, carol.describeEvents());
    await carol.waitOpen(since); // the harness re-created the socket
    await clients.bob.sendText(pnJid(PHONES.carol), 'after the stream error');
    await carol.waitText('after the stream error', { since });
  });

  test('a drop fault: Baileys reconnects and queued messages arrive exactly once', T, async () => {
    const { alice, bob } = clients;
    alice.autoReconnect = false; // reconnect by hand once the messages are queued
    const since = alice.mark();
    const f = await sim.control('POST', '/control/faults', { kind: 'drop', phone: PHONES.alice });
    assert.equal(f.status, 200, JSON.stringify(f.json));
    await alice.waitClose(since);

    const texts = ['queued 1', 'queued 2', 'queued 3'];
    const sent = [];
    for (const t of texts) sent.push(await bob.sendText(pnJid(PHONES.alice), t));
    const stats = await sim.control('GET', '/control/stats');
    assert.ok(stats.json.messages_queued >= texts.length, JSON.stringify(stats.json));

    alice.autoReconnect = true;
    const back = alice.mark();
    alice.start();
    await alice.waitOpen(back);
    for (const t of texts) await alice.waitText(t, { since: back });
    // A later message arrives after anything still queued, so duplicates would show by then.
    await bob.sendText(pnJid(PHONES.alice), 'after the drop');
    await alice.waitText('after the drop', { since: back });
    for (const t of texts) assert.equal(alice.receivedTexts(t).length, 1, `"${t}" delivered ${alice.receivedTexts(t).length} times`);
    for (const m of sent) await bob.waitStatus(m.key.id, DELIVERED);
  });

  test('a device unlinked through the control API sees itself logged out', T, async () => {
    const extra = new WaClient(sim, 'alice-2');
    clients.extra = extra;
    const jid = await extra.linkByQr(PHONES.alice, 'Alice 2');
    const device = Number(jid.split('@')[0].split(':')[1]);
    assert.ok(device > 0, jid);
    const since = extra.mark();
    const r = await sim.control('DELETE', `/control/accounts/${PHONES.alice}/devices/${device}`);
    assert.equal(r.status, 200, JSON.stringify(r.json));
    const closed = await extra.waitClose(since);
    assert.equal(closed.lastDisconnect?.error?.output?.statusCode, 401, extra.describeEvents());
    assert.equal(extra.loggedOut, true);
    const a = await account(PHONES.alice);
    assert.ok(!a.devices.some((d) => d.jid === jid), JSON.stringify(a.devices));
  });

  test('no Baileys decryption errors or timeouts in any client', () => {
    const problems = Object.values(clients).flatMap((c) => c.problems().map((p) => `[${c.label}] ${p.level}: ${p.text}`));
    assert.deepEqual(problems, []);
  });
});
