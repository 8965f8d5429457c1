// Our protocol client (wa::Client via client_tool) against `superlight sim` with real Baileys
// 7.0.0-rc14 peers: 1:1 texts both ways with receipts, every message kind in both directions,
// a restart of our client, a 3-member group, a Baileys re-link with a new identity, and a
// 1,000-message burst each way with a drop fault in the middle. One simulator for the file;
// steps build on each other, so read the first failure.

import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { OurClient } from './client_harness.mjs';
import { DELIVERED, READ, WaClient, patchRootKey, pnJid, textOf } from './lib/baileys.mjs';
import { createAccount, startSim } from './lib/sim.mjs';

const T = { timeout: 240000 };
const PHONES = { ours: '15553330001', bob: '15553330002', carol: '15553330003' };
const sha = (b) => createHash('sha256').update(b).digest('hex');
const userOf = (jid) => (jid ?? '').split('@')[0].split(':')[0];

let sim;
let ours;
const stateDir = mkdtempSync(join(tmpdir(), 'sl-client-'));
const stateFile = join(stateDir, 'device.jsonl');
const peers = {};
let lids = {};

async function lidOf(phone) {
  if (!lids[phone]) {
    const r = await sim.control('GET', `/control/accounts/${phone}`);
    lids[phone] = r.json.lid;
  }
  return lids[phone];
}
async function isAccount(jid, phone) {
  return userOf(jid) === phone || userOf(jid) === (await lidOf(phone));
}

describe('wa::Client with Baileys peers through superlight sim', () => {
  before(async () => {
    sim = await startSim();
    patchRootKey(sim.info);
    for (const [k, p] of Object.entries(PHONES)) await createAccount(sim, p, k);
    ours = new OurClient(sim, 'ours', { stateFile });
    peers.bob = new WaClient(sim, 'bob');
    peers.carol = new WaClient(sim, 'carol');
    await Promise.all([
      ours.linkByQr(PHONES.ours),
      peers.bob.linkByQr(PHONES.bob, 'Bob'),
      peers.carol.linkByQr(PHONES.carol, 'Carol'),
    ]);
  });

  after(async () => {
    await ours?.quit();
    for (const c of Object.values(peers)) await c.stop().catch(() => {});
    await sim?.stop();
    rmSync(stateDir, { recursive: true, force: true });
  });

  test('1:1 text both ways, delivery and read receipts both ways', T, async () => {
    const { bob } = peers;
    const id = await ours.send(pnJid(PHONES.bob), { kind: 'text', text: 'hello bob from ours' });
    const r = await ours.sendResult(id);
    assert.equal(r.ok, true, JSON.stringify(r));
    const got = await bob.waitText('hello bob from ours');
    assert.ok(await isAccount(got.key.remoteJid, PHONES.ours), got.key.remoteJid);
    // Bob's delivery receipt and read receipt reach us.
    await ours.waitFor((e) => e.event === 'receipt' && e.ids.includes(id) && e.type === '', { what: 'delivery receipt' });
    await bob.sock.readMessages([got.key]);
    await ours.waitFor((e) => e.event === 'receipt' && e.ids.includes(id) && e.type === 'read', { what: 'read receipt' });

    const m2 = await bob.sendText(pnJid(PHONES.ours), 'hi ours from bob');
    const in2 = await ours.waitMessage((e) => e.text === 'hi ours from bob');
    assert.ok(['text', 'extended_text'].includes(in2.kind), in2.kind);
    assert.ok(await isAccount(in2.chat, PHONES.bob), in2.chat);
    assert.equal(userOf(in2.sender_pn), PHONES.bob);
    assert.equal(userOf(in2.sender_lid), await lidOf(PHONES.bob));
    await bob.waitStatus(m2.key.id, DELIVERED);
    await ours.call({ cmd: 'read', chat: in2.chat, ids: [in2.id] }, 'read_sent');
    await bob.waitStatus(m2.key.id, READ);
  });

  test('every kind we send is rendered by Baileys', T, async () => {
    const { bob } = peers;
    const to = pnJid(PHONES.bob);
    const img = randomBytes(3000), vid = randomBytes(5000), aud = randomBytes(2000), doc = randomBytes(70000), stk = randomBytes(1500);
    const cases = [
      [{ kind: 'extended', text: 'see https://example.org @' + PHONES.carol, url: 'https://example.org', title: 'Example', mentions: [pnJid(PHONES.carol)] },
        (m) => m.message?.extendedTextMessage?.text?.startsWith('see https://example.org') && m.message.extendedTextMessage.contextInfo?.mentionedJid?.[0] === pnJid(PHONES.carol) && m.message.extendedTextMessage.matchedText === 'https://example.org'],
      [{ kind: 'extended', text: 'a reply', quote_id: 'QUOTED1', quote_sender: pnJid(PHONES.bob), quote_text: 'orig' },
        (m) => m.message?.extendedTextMessage?.text === 'a reply' && m.message.extendedTextMessage.contextInfo?.stanzaId === 'QUOTED1' && m.message.extendedTextMessage.contextInfo?.quotedMessage?.conversation === 'orig'],
      [{ kind: 'image', data_b64: img.toString('base64'), caption: 'an image', width: 10, height: 10 }, (m) => m.message?.imageMessage?.caption === 'an image', img],
      [{ kind: 'video', data_b64: vid.toString('base64'), caption: 'a video', seconds: 3 }, (m) => m.message?.videoMessage?.caption === 'a video', vid],
      [{ kind: 'audio', data_b64: aud.toString('base64'), seconds: 2 }, (m) => m.message?.audioMessage && !m.message.audioMessage.ptt && Number(m.message.audioMessage.fileLength) === aud.length, aud],
      [{ kind: 'ptt', data_b64: aud.toString('base64'), seconds: 2 }, (m) => m.message?.audioMessage?.ptt === true, aud],
      [{ kind: 'document', data_b64: doc.toString('base64'), file_name: 'report.pdf', mimetype: 'application/pdf' }, (m) => m.message?.documentMessage?.fileName === 'report.pdf', doc],
      [{ kind: 'sticker', data_b64: stk.toString('base64') }, (m) => m.message?.stickerMessage?.mimetype === 'image/webp', stk],
      [{ kind: 'location', lat: 48.85, lon: 2.35, name: 'Paris' }, (m) => m.message?.locationMessage?.name === 'Paris' && Math.abs(m.message.locationMessage.degreesLatitude - 48.85) < 1e-9],
      [{ kind: 'contact', name: 'Dora', vcard: 'BEGIN:VCARD\nVERSION:3.0\nFN:Dora\nEND:VCARD' }, (m) => m.message?.contactMessage?.displayName === 'Dora'],
    ];
    for (const [fields, pred, bytes] of cases) {
      const since = bob.mark();
      const id = await ours.send(to, fields);
      const r = await ours.sendResult(id);
      assert.equal(r.ok, true, `${fields.kind}: ${JSON.stringify(r)}`);
      const got = await bob.waitMessage(pred, { since, what: `our ${fields.kind}` });
      assert.equal(got.key.id, id);
      if (bytes) {
        const data = await bob.download(got);
        assert.equal(sha(data), sha(bytes), `${fields.kind} bytes`);
      }
    }
    // Reaction, edit and revoke refer to a text we sent.
    const base = await ours.send(to, { kind: 'text', text: 'to be edited' });
    await ours.sendResult(base);
    await bob.waitText('to be edited');
    let since = bob.mark();
    await ours.send(to, { kind: 'reaction', key_id: base, key_remote: to, key_from_me: true, emoji: '👍' });
    await bob.waitFor('messages.upsert', (u) => u.messages.some((m) => m.message?.reactionMessage?.text === '👍' && m.message.reactionMessage.key.id === base), { since, what: 'reaction' });
    since = bob.mark();
    await ours.send(to, { kind: 'edit', key_id: base, key_remote: to, text: 'edited text' });
    await bob.waitFor('messages.upsert', (u) => u.messages.some((m) => m.message?.protocolMessage?.type === 14 && m.message.protocolMessage.editedMessage?.conversation === 'edited text'), { since, what: 'edit' });
    since = bob.mark();
    await ours.send(to, { kind: 'revoke', key_id: base, key_remote: to });
    await bob.waitFor('messages.upsert', (u) => u.messages.some((m) => m.message?.protocolMessage?.type === 0 && m.message.protocolMessage.key?.id === base), { since, what: 'revoke' });
  });

  test('every kind Baileys sends is decoded by us', T, async () => {
    const { bob } = peers;
    const to = pnJid(PHONES.ours);
    const img = randomBytes(4000), doc = randomBytes(30000), aud = randomBytes(2500), vid = randomBytes(6000);
    const base = await bob.sendText(to, 'bob base text');
    await ours.waitMessage((e) => e.text === 'bob base text');
    const cases = [
      [{ text: 'bob link https://example.com' }, (e) => e.text === 'bob link https://example.com'],
      [{ text: 'bob mention @' + PHONES.ours, mentions: [to] }, (e) => e.kind === 'extended_text' && e.mentions?.includes(to)],
      [{ text: 'bob reply', __quoted: base }, (e) => e.text === 'bob reply' && e.quote_id === base.key.id],
      [{ image: img, caption: 'bob image', jpegThumbnail: Buffer.alloc(0) }, (e) => e.kind === 'image' && e.text === 'bob image', img],
      [{ video: vid, caption: 'bob video', jpegThumbnail: Buffer.alloc(0) }, (e) => e.kind === 'video', vid],
      [{ audio: aud, mimetype: 'audio/ogg; codecs=opus' }, (e) => e.kind === 'audio', aud],
      [{ audio: aud, ptt: true, mimetype: 'audio/ogg; codecs=opus' }, (e) => e.kind === 'ptt', aud],
      [{ document: doc, mimetype: 'application/pdf', fileName: 'bob.pdf' }, (e) => e.kind === 'document' && e.file_name === 'bob.pdf', doc],
      [{ sticker: randomBytes(800) }, (e) => e.kind === 'sticker'],
      [{ location: { degreesLatitude: 1.5, degreesLongitude: 2.5, name: 'Spot' } }, (e) => e.kind === 'location' && e.name === 'Spot' && e.lat === 1.5],
      [{ contacts: { displayName: 'Eve', contacts: [{ displayName: 'Eve', vcard: 'BEGIN:VCARD\nVERSION:3.0\nFN:Eve\nEND:VCARD' }] } }, (e) => e.kind === 'contact' && e.name === 'Eve'],
      [{ react: { text: '❤️', key: base.key } }, (e) => e.kind === 'reaction' && e.key_id === base.key.id && e.emoji === '❤️'],
      [{ text: 'bob edited', edit: base.key }, (e) => e.kind === 'edit' && e.key_id === base.key.id && e.text === 'bob edited'],
      [{ delete: base.key }, (e) => e.kind === 'revoke' && e.key_id === base.key.id],
    ];
    for (const [content, pred, bytes] of cases) {
      const since = ours.mark();
      if (content.__quoted) await bob.sock.sendMessage(to, { text: content.text }, { quoted: content.__quoted });
      else await bob.send(to, content);
      const got = await ours.waitMessage(pred, { since, what: `bob's ${Object.keys(content)[0]}` });
      if (bytes) {
        const d = await ours.call({ cmd: 'download', id: got.id }, 'downloaded');
        assert.equal(d.sha256, sha(bytes));
      }
    }
    assert.deepEqual(ours.undecryptable(), []);
  });

  test('our client restarts and both directions continue without decryption errors', T, async () => {
    const { bob } = peers;
    const since = ours.mark();
    ours.cmd({ cmd: 'restart' });
    await ours.waitConnected(since);
    const id = await ours.send(pnJid(PHONES.bob), { kind: 'text', text: 'after restart from ours' });
    await ours.sendResult(id);
    await bob.waitText('after restart from ours');
    await bob.sendText(pnJid(PHONES.ours), 'after restart from bob');
    await ours.waitMessage((e) => e.text === 'after restart from bob', { since });
    assert.deepEqual(ours.undecryptable(), []);
  });

  test('a new client process on the saved device state logs in and both directions continue', T, async () => {
    const { bob } = peers;
    await ours.quit();
    ours = new OurClient(sim, 'ours', { stateFile });
    const since = ours.start();
    await ours.waitConnected(since);
    assert.ok(!ours.events.some((e) => e.event === 'qr'), 'no pairing after a process restart');
    const id = await ours.send(pnJid(PHONES.bob), { kind: 'text', text: 'from the new process' });
    assert.equal((await ours.sendResult(id)).ok, true);
    await bob.waitText('from the new process');
    await bob.sendText(pnJid(PHONES.ours), 'to the new process');
    await ours.waitMessage((e) => e.text === 'to the new process');
    assert.deepEqual(ours.undecryptable(), []);
    assert.deepEqual(bob.problems().filter((p) => /decrypt|bad mac|no session|ciphertext/i.test(p.text)), []);
  });

  test('a group of us + 2 Baileys clients: every member receives every member', T, async () => {
    const { bob, carol } = peers;
    const g = await ours.call({ cmd: 'create_group', subject: 'Mixed trio', participants: [pnJid(PHONES.bob), pnJid(PHONES.carol)] }, 'group_created');
    assert.match(g.jid, /@g\.us$/);
    assert.equal(g.participants.length, 3);
    const id = await ours.send(g.jid, { kind: 'text', text: 'group hello from ours' });
    const r = await ours.sendResult(id);
    assert.equal(r.ok, true, JSON.stringify(r));
    for (const p of [bob, carol]) {
      await p.waitMessage((m) => m.key.remoteJid === g.jid && textOf(m) === 'group hello from ours', { what: `${p.label} gets ours' group text` });
    }
    for (const sender of [bob, carol]) {
      const text = `group hello from ${sender.label}`;
      await sender.sendText(g.jid, text);
      await ours.waitMessage((e) => e.chat === g.jid && e.text === text, { what: `ours gets ${text}` });
      const other = sender === bob ? carol : bob;
      await other.waitMessage((m) => m.key.remoteJid === g.jid && textOf(m) === text, { what: `${other.label} gets ${text}` });
    }
    // A second round uses established sender keys on every side.
    const id2 = await ours.send(g.jid, { kind: 'text', text: 'second group message from ours' });
    await ours.sendResult(id2);
    for (const p of [bob, carol]) await p.waitMessage((m) => m.key.remoteJid === g.jid && textOf(m) === 'second group message from ours');
    await bob.sendText(g.jid, 'second from bob');
    await ours.waitMessage((e) => e.chat === g.jid && e.text === 'second from bob');
    // Management: subject and promote, seen in fresh metadata.
    const subj = await ours.call({ cmd: 'group_subject', jid: g.jid, subject: 'Renamed trio' }, 'group_subject');
    assert.equal(subj.ok, true, JSON.stringify(subj));
    const pr = await ours.call({ cmd: 'group_participants', jid: g.jid, action: 'promote', jids: [pnJid(PHONES.bob)] }, 'group_participants');
    assert.ok(pr.result.every((x) => x.error === 0), JSON.stringify(pr));
    const info = await ours.call({ cmd: 'group_info', jid: g.jid }, 'group_info');
    assert.equal(info.subject, 'Renamed trio');
    const bobLid = await lidOf(PHONES.bob);
    const bobEntry = info.participants.find((p) => userOf(p.jid) === PHONES.bob || userOf(p.jid) === bobLid);
    assert.ok(bobEntry && bobEntry.role === 'admin', JSON.stringify(info.participants));
    assert.deepEqual(ours.undecryptable(), []);
  });

  test('a Baileys client re-links with a new identity and we keep talking to it', T, async () => {
    const old = peers.carol;
    await old.stop();
    peers.carol = new WaClient(sim, 'carol2');
    await peers.carol.linkByQr(PHONES.carol, 'Carol');
    const since = ours.mark();
    await peers.carol.sendText(pnJid(PHONES.ours), 'carol is back');
    await ours.waitMessage((e) => e.text === 'carol is back', { since });
    const id = await ours.send(pnJid(PHONES.carol), { kind: 'text', text: 'welcome back carol' });
    await ours.sendResult(id);
    await peers.carol.waitText('welcome back carol');
    assert.deepEqual(ours.undecryptable(), []);
  });

  test('1,000 messages each way in a burst, with a drop fault mid-burst: none lost, none duplicated', { timeout: 600000 }, async () => {
    const { bob } = peers;
    const N = Number(process.env.BURST ?? 1000);
    const since = ours.mark();
    const bobSince = bob.mark();
    await ours.call({ cmd: 'burst', to: pnJid(PHONES.bob), count: N, prefix: 'o2b-' }, 'burst_queued');
    const bobSends = (async () => {
      for (let i = 0; i < N; ++i) {
        await bob.sendText(pnJid(PHONES.ours), `b2o-${i}`);
        if (i === Math.floor(N / 2)) {
          const f = await sim.control('POST', '/control/faults', { kind: 'drop', phone: PHONES.ours });
          assert.equal(f.status, 200, JSON.stringify(f.json));
        }
      }
    })();
    await bobSends;
    // Everything from bob reaches us exactly once.
    const want = new Set(Array.from({ length: N }, (_, i) => `b2o-${i}`));
    await ours.waitFor(() => {
      const got = ours.events.slice(since).filter((e) => e.event === 'message' && want.has(e.text));
      return new Set(got.map((e) => e.text)).size === N;
    }, { since, timeoutMs: 300000, what: `${N} messages from bob` });
    const got = ours.events.slice(since).filter((e) => e.event === 'message' && want.has(e.text));
    assert.equal(got.length, N, `duplicates: ${got.length - N}`);
    // Everything from us reaches bob exactly once.
    const wantB = Array.from({ length: N }, (_, i) => `o2b-${i}`);
    await bob.waitFor('messages.upsert', () => {
      const texts = new Set();
      for (const e of bob.events.slice(bobSince)) if (e.type === 'messages.upsert') for (const m of e.data.messages) if (!m.key.fromMe) texts.add(textOf(m));
      return wantB.every((t) => texts.has(t));
    }, { since: bobSince, timeoutMs: 300000, what: `${N} messages from ours` });
    for (const t of wantB.slice(0, 50)) assert.equal(bob.receivedTexts(t).length, 1, `${t} x${bob.receivedTexts(t).length}`);
    const counts = new Map();
    for (const e of bob.events.slice(bobSince)) if (e.type === 'messages.upsert') for (const m of e.data.messages) if (!m.key.fromMe && textOf(m)?.startsWith('o2b-')) counts.set(textOf(m), (counts.get(textOf(m)) ?? 0) + 1);
    const dups = [...counts.entries()].filter(([, c]) => c > 1);
    assert.deepEqual(dups, []);
    assert.ok(ours.events.slice(since).some((e) => e.event === 'connection' && e.state === 'disconnected'), 'the drop fault hit us');
    assert.deepEqual(ours.undecryptable(), []);
    assert.deepEqual(bob.problems().filter((p) => /decrypt|bad mac|no session|ciphertext/i.test(p.text)), []);
  });

  test('own-device fan-out: a Baileys companion on our account sees what we send, and we see what it sends (DSM)', T, async () => {
    const { bob } = peers;
    const twin = new WaClient(sim, 'ours-twin');
    peers.twin = twin;
    await twin.linkByQr(PHONES.ours, 'Ours twin');
    // Our devices notification reaches the client; give it the new device by sending.
    const since = ours.mark();
    const twinSince = twin.mark();
    const id = await ours.send(pnJid(PHONES.bob), { kind: 'text', text: 'fan-out to my twin' });
    await ours.sendResult(id);
    await bob.waitText('fan-out to my twin');
    await twin.waitFor('messages.upsert', (u) => u.messages.some((m) => m.key.fromMe && textOf(m) === 'fan-out to my twin'), { since: twinSince, what: 'our DSM at the twin' });
    await twin.sendText(pnJid(PHONES.bob), 'sent by the twin');
    await bob.waitText('sent by the twin');
    const dsm = await ours.waitMessage((e) => e.text === 'sent by the twin', { since, what: 'the twin\'s message as DSM' });
    assert.equal(dsm.from_me, true);
    assert.ok(await isAccount(dsm.chat, PHONES.bob), dsm.chat);
    assert.deepEqual(ours.undecryptable(), []);
  });
});
