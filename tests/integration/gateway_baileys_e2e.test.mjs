// Acceptance, end to end over loopback: `superlight sim` + `superlight serve` pointed at it
// (WA_WS_URL / WA_NOISE_ROOT_KEY / WA_MEDIA_CA_FILE from the sim's ready line) + a real Baileys
// peer registered on the simulator.
//
//   create a session with the master key → QR over REST ({qr, expiresAt}) → scan through the
//   sim's control API with a fresh account → CONNECTED on /ws (ticket from /api/v1/ws-auth) and
//   as a signed session-status webhook → send every message type of message_shapes.md to the
//   peer, which must receive the right content (decrypted media bytes equal) → message-status
//   delivered and read on the webhook → the peer replies → new-message webhook (seed shape) →
//   a group with the peer, and a message to it.
//
// Database: SQLite in a temp dir, or the server named by $DATABASE_URL (postgres://, mariadb://);
// a server database is wiped first (ctest runs the PostgreSQL and MariaDB variants).
// Each message type is its own subtest: one failing type does not hide the others.
//
// Usage: SUPERLIGHT_BIN=<path> node --test tests/integration/gateway_baileys_e2e.test.mjs
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';

import { startSim, createAccount } from '../interop/lib/sim.mjs';
import { WaClient, patchRootKey, pnJid, textOf } from '../interop/lib/baileys.mjs';
import {
  binPath, createAndLink, gatewayEnv, liveFeed, startGateway, tempDir, waitFor, webhookReceiver,
  wsUpgradeStatus,
} from './lib/gateway.mjs';
import { wipeDatabase, describeDatabase } from './lib/database.mjs';
import { MEDIA } from './lib/media.mjs';

const MASTER = 'int-master-' + randomBytes(8).toString('hex');
const SESSION = 'e2e';
// Fresh numbers per run, so a reused server database cannot collide with an earlier run.
const suffix = String(Date.now() % 1_000_000).padStart(6, '0');
const GW_PHONE = `1555${suffix}1`;
const PEER_PHONE = `1555${suffix}2`;

// Unwraps the containers Baileys may leave around a received message.
function inner(m) {
  let msg = m?.message ?? {};
  for (let i = 0; i < 4; ++i) {
    const next = msg.ephemeralMessage?.message ?? msg.viewOnceMessage?.message ??
      msg.viewOnceMessageV2?.message ?? msg.documentWithCaptionMessage?.message ??
      msg.editedMessage?.message;
    if (!next) break;
    msg = next;
  }
  return msg;
}

function contextOf(m) {
  const msg = inner(m);
  for (const v of Object.values(msg)) if (v && typeof v === 'object' && v.contextInfo) return v.contextInfo;
  return null;
}

test(`gateway + simulator + Baileys end to end (${describeDatabase()})`, { timeout: 170000 }, async (t) => {
  binPath();
  await wipeDatabase();
  const tmp = tempDir('sl-gw-e2e-');
  const sim = await startSim({ logLevel: 'warn' });
  patchRootKey(sim.info);
  const hook = await webhookReceiver();
  let gw = null;
  const peer = new WaClient(sim, 'peer');
  const mediaServer = await linkServer();
  try {
    await createAccount(sim, GW_PHONE, 'Gateway');
    await createAccount(sim, PEER_PHONE, 'Peer');
    const peerLinked = peer.linkByQr(PEER_PHONE, 'Peer');

    gw = await startGateway({
      dir: tmp.dir,
      env: gatewayEnv({ dir: tmp.dir, sim, master: MASTER, databaseUrl: process.env.DATABASE_URL }),
    });
    const api = gw.api.with({ 'x-master-key': MASTER });
    const PEER = pnJid(PEER_PHONE);

    // --- live feed: a ticket is one-time; no ticket, no feed ---
    assert.equal(await wsUpgradeStatus(gw.base), 401);
    const feed = await liveFeed(api);
    assert.equal(await wsUpgradeStatus(gw.base, feed.ticket), 401, 'a ticket is redeemed once');

    // --- create with the master key, QR over REST, scan through the simulator ---
    assert.equal((await gw.api.post('/api/v1/sessions', { sessionId: SESSION })).status, 401,
      'creating a session needs the master key');
    const link = await createAndLink({ api, sim, sessionId: SESSION, phone: GW_PHONE, webhookUrl: hook.url });
    hook.secrets[SESSION] = link.secret;
    assert.equal(typeof link.qr.qr, 'string');
    assert.match(link.qr.qr, /^[^,]+,[^,]+,[^,]+,[^,]+/);
    assert.ok(Number.isFinite(Date.parse(link.qr.expiresAt)), `expiresAt is an ISO time: ${link.qr.expiresAt}`);
    assert.ok(Date.parse(link.qr.expiresAt) > Date.now() - 5000);
    assert.equal(link.deviceJid.split(/[:@]/)[0], GW_PHONE);

    const wsConnected = await feed.waitMessage('session-update CONNECTED', (m) => m.type === 'session-update' &&
      Array.isArray(m.data) && m.data.some((s) => s.sessionId === SESSION && s.status === 'CONNECTED'));
    assert.ok(!JSON.stringify(wsConnected).includes(link.token), 'the live feed never carries tokens');
    const hookConnected = await hook.waitEvent('session-status CONNECTED', (j) =>
      j.event === 'session-status' && j.sessionId === SESSION && j.status === 'CONNECTED');
    assert.equal(hookConnected.signed, true, 'session-status signature');
    feed.close();
    await peerLinked;

    const send = async (item, headers) => {
      const r = await api.post(`/api/v1/messages?sessionId=${SESSION}`, item, { headers });
      assert.equal(r.status, 200, r.text);
      assert.ok(Array.isArray(r.json), r.text);
      return r.json;
    };
    const sendOk = async (item) => {
      const [res] = await send(item);
      assert.equal(res.status, 'success', JSON.stringify(res));
      assert.equal(res.message, `Message sent to ${PEER}`);
      assert.match(res.messageId, /^[0-9A-F]{8,}$/i);
      return res.messageId;
    };
    const received = (id, what, timeoutMs = 30000) =>
      peer.waitMessage((m) => m.key.id === id, { what, timeoutMs });
    const upload = async (name, bytes) => {
      const r = await api.upload(bytes, name);
      assert.equal(r.status, 201, `upload ${name}: ${r.text}`);
      assert.match(r.json.mediaId, /^[A-Za-z0-9]+$/);
      return r.json;
    };
    const checkMedia = async (msg, field, bytes, mimetype) => {
      const media = inner(msg)[field];
      assert.ok(media, `${field} in ${JSON.stringify(Object.keys(inner(msg)))}`);
      assert.equal(media.mimetype.split(';')[0].trim(), mimetype.split(';')[0].trim());
      const got = await peer.download(msg);
      assert.ok(Buffer.from(bytes).equals(got), `decrypted ${field} bytes equal (${got.length} vs ${bytes.length})`);
      return media;
    };

    let textId = null;
    let textMsg = null;

    await t.test('text → peer; message-status delivered and read, signed', async () => {
      const body = 'hello from super light ' + randomBytes(3).toString('hex');
      textId = await sendOk({ to: PEER_PHONE, type: 'text', text: { body } });
      textMsg = await received(textId, 'the text');
      assert.equal(textOf(textMsg), body);
      assert.equal(textMsg.key.remoteJid.split('@')[0].split(':')[0], GW_PHONE);
      await peer.sock.readMessages([textMsg.key]);
      for (const status of ['sent', 'delivered', 'read']) {
        const e = await hook.waitEvent(`message-status ${status}`, (j) =>
          j.event === 'message-status' && j.messageId === textId && j.status === status);
        assert.equal(e.signed, true, `signature of message-status ${status}`);
        assert.equal(e.json.sessionId, SESSION);
        assert.equal(e.json.to, PEER);
        assert.ok(Number.isInteger(e.json.timestamp));
        assert.match(e.headers['x-event-id'], /^[0-9a-f-]{36}$/i);
        assert.match(e.headers['x-timestamp'], /^\d+$/);
      }
      const history = await api.get(`/api/v1/messages/${textId}?sessionId=${SESSION}`);
      assert.equal(history.status, 200, history.text);
      const steps = history.json.message.history.map((h) => h.status);
      for (const s of ['queued', 'sent', 'delivered', 'read']) assert.ok(steps.includes(s), JSON.stringify(steps));
    });

    await t.test('peer replies → new-message webhook (seed shape)', async () => {
      const reply = 'reply from baileys ' + randomBytes(3).toString('hex');
      const sent = await peer.sendText(pnJid(GW_PHONE), reply);
      const e = await hook.waitEvent('new-message', (j) => j.event === 'new-message' && j.messageId === sent.key.id);
      assert.equal(e.signed, true);
      const j = e.json;
      assert.equal(j.sessionId, SESSION);
      assert.equal(j.from, PEER);
      assert.ok(Number.isInteger(j.timestamp) && Math.abs(j.timestamp - Date.now() / 1000) < 300, `timestamp ${j.timestamp}`);
      assert.equal(j.data.key.remoteJid, PEER);
      assert.equal(j.data.key.fromMe, false);
      assert.equal(j.data.key.id, sent.key.id);
      assert.equal(j.data.message.conversation ?? j.data.message.extendedTextMessage?.text, reply);
      assert.equal(Number(j.data.messageTimestamp), j.timestamp);
    });

    await t.test('quoted (string and {message_id}) → contextInfo.stanzaId; unknown id refused', async () => {
      assert.ok(textId, 'needs the text case');
      const id = await sendOk({ to: PEER_PHONE, type: 'text', text: { body: 'quoting' }, quoted: textId });
      const ctx = contextOf(await received(id, 'the quoting text'));
      assert.equal(ctx?.stanzaId, textId);
      const id2 = await sendOk({ to: PEER_PHONE, type: 'text', text: { body: 'quoting 2' }, quoted: { message_id: textId } });
      assert.equal(contextOf(await received(id2, 'the second quoting text'))?.stanzaId, textId);
      const [bad] = await send({ to: PEER_PHONE, type: 'text', text: { body: 'x' }, quoted: '3EB0NOSUCHMESSAGE' });
      assert.equal(bad.status, 'error');
      assert.equal(bad.message, 'quoted message 3EB0NOSUCHMESSAGE not found');
    });

    await t.test('mentions → contextInfo.mentionedJid', async () => {
      const id = await sendOk({ to: PEER_PHONE, type: 'text', text: { body: `hi @${PEER_PHONE}` }, mentions: [PEER_PHONE] });
      const ctx = contextOf(await received(id, 'the mention'));
      assert.deepEqual(ctx?.mentionedJid, [PEER]);
    });

    await t.test('image by id with caption: bytes, mimetype, caption', async () => {
      const up = await upload('red.jpg', MEDIA.jpeg);
      assert.equal(up.mimetype, 'image/jpeg');
      const id = await sendOk({ to: PEER_PHONE, type: 'image', image: { id: up.mediaId, caption: 'a red dot' } });
      const m = await received(id, 'the image');
      const img = await checkMedia(m, 'imageMessage', MEDIA.jpeg, up.mimetype);
      assert.equal(img.caption, 'a red dot');
    });

    await t.test('image by link (http URL the server downloads)', async () => {
      const id = await sendOk({ to: PEER_PHONE, type: 'image', image: { link: `${mediaServer.url}/dot.png`, caption: 'linked' } });
      const m = await received(id, 'the linked image');
      const img = await checkMedia(m, 'imageMessage', MEDIA.png, 'image/png');
      assert.equal(img.caption, 'linked');
      assert.ok(mediaServer.hits.includes('/dot.png'), 'the server fetched the link');
    });

    await t.test('video with caption', async () => {
      const up = await upload('clip.mp4', MEDIA.mp4);
      const id = await sendOk({ to: PEER_PHONE, type: 'video', video: { id: up.mediaId, caption: 'a clip' } });
      const v = await checkMedia(await received(id, 'the video'), 'videoMessage', MEDIA.mp4, up.mimetype);
      assert.equal(v.caption, 'a clip');
      assert.match(v.mimetype, /^video\//);
    });

    await t.test('audio as voice note (ptt) and as plain audio', async () => {
      const up = await upload('voice.ogg', MEDIA.ogg);
      const id = await sendOk({ to: PEER_PHONE, type: 'audio', audio: { id: up.mediaId, ptt: true } });
      const a = await checkMedia(await received(id, 'the voice note'), 'audioMessage', MEDIA.ogg, up.mimetype);
      assert.equal(a.ptt, true);
      assert.match(a.mimetype, /^audio\//);
      const id2 = await sendOk({ to: PEER_PHONE, type: 'audio', audio: { id: up.mediaId } });
      const a2 = await checkMedia(await received(id2, 'the audio'), 'audioMessage', MEDIA.ogg, up.mimetype);
      assert.ok(!a2.ptt, 'ptt absent or false');
    });

    await t.test('document with filename and caption', async () => {
      const up = await upload('report.pdf', MEDIA.pdf);
      assert.equal(up.mimetype, 'application/pdf');
      const id = await sendOk({ to: PEER_PHONE, type: 'document',
        document: { id: up.mediaId, caption: 'the report', filename: 'Q3 report.pdf' } });
      const d = await checkMedia(await received(id, 'the document'), 'documentMessage', MEDIA.pdf, up.mimetype);
      assert.equal(d.fileName, 'Q3 report.pdf');
      assert.equal(d.caption, 'the report');
    });

    await t.test('sticker (webp)', async () => {
      const up = await upload('s.webp', MEDIA.webp);
      assert.equal(up.mimetype, 'image/webp');
      const id = await sendOk({ to: PEER_PHONE, type: 'sticker', sticker: { id: up.mediaId } });
      await checkMedia(await received(id, 'the sticker'), 'stickerMessage', MEDIA.webp, 'image/webp');
    });

    await t.test('location', async () => {
      const id = await sendOk({ to: PEER_PHONE, type: 'location',
        location: { latitude: 48.8583701, longitude: 2.2944813, name: 'Tour Eiffel', address: 'Paris' } });
      const loc = inner(await received(id, 'the location')).locationMessage;
      assert.ok(loc);
      assert.ok(Math.abs(loc.degreesLatitude - 48.8583701) < 1e-6);
      assert.ok(Math.abs(loc.degreesLongitude - 2.2944813) < 1e-6);
      assert.equal(loc.name, 'Tour Eiffel');
      assert.equal(loc.address, 'Paris');
    });

    await t.test('contact from name + phones, and from a vcard', async () => {
      const id = await sendOk({ to: PEER_PHONE, type: 'contact', contact: { name: 'Jane Roe', phones: ['+1 555 010 9999'] } });
      const c = inner(await received(id, 'the contact')).contactMessage;
      assert.equal(c?.displayName, 'Jane Roe');
      assert.match(c.vcard, /^BEGIN:VCARD/);
      assert.match(c.vcard, /FN:Jane Roe/);
      assert.match(c.vcard.replace(/[^0-9]/g, ''), /15550109999/);
      const vcard = 'BEGIN:VCARD\nVERSION:3.0\nFN:John Doe\nTEL;type=CELL;waid=15550108888:+1 555 010 8888\nEND:VCARD';
      const id2 = await sendOk({ to: PEER_PHONE, type: 'contact', contact: { name: 'John Doe', vcard } });
      const c2 = inner(await received(id2, 'the vcard contact')).contactMessage;
      assert.equal(c2?.displayName, 'John Doe');
      assert.equal(c2.vcard, vcard);
    });

    await t.test('reaction, then its removal', async () => {
      assert.ok(textId, 'needs the text case');
      const id = await sendOk({ to: PEER_PHONE, type: 'reaction', reaction: { message_id: textId, emoji: '👍' } });
      const r = inner(await received(id, 'the reaction')).reactionMessage;
      assert.equal(r?.text, '👍');
      assert.equal(r.key.id, textId);
      assert.equal(r.key.fromMe, false, 'seen from the peer, the reacted message is not its own');
      const id2 = await sendOk({ to: PEER_PHONE, type: 'reaction', reaction: { message_id: textId, emoji: '' } });
      const r2 = inner(await received(id2, 'the reaction removal')).reactionMessage;
      assert.equal(r2?.text ?? '', '');
      assert.equal(r2.key.id, textId);
    });

    await t.test('edit of a sent message', async () => {
      assert.ok(textId, 'needs the text case');
      const id = await sendOk({ to: PEER_PHONE, type: 'edit', edit: { message_id: textId, text: 'edited text' } });
      const m = await waitFor('the edit', async () => peer.events.flatMap((e) =>
        e.type === 'messages.upsert' ? e.data.messages : []).find((x) => {
        const p = inner(x).protocolMessage ?? x.message?.protocolMessage;
        return x.key.id === id || (p && p.type === 14 && p.key?.id === textId) ? x : null;
      }), 30000, 100);
      const p = inner(m).protocolMessage ?? m.message?.protocolMessage;
      assert.ok(p, `protocolMessage in ${JSON.stringify(m.message)}`);
      assert.equal(p.type, 14, 'MESSAGE_EDIT');
      assert.equal(p.key.id, textId);
      assert.equal(textOf({ message: p.editedMessage }), 'edited text');
      // Only messages this session sent can be edited.
      const [bad] = await send({ to: PEER_PHONE, type: 'edit', edit: { message_id: '3EB0NOTOURS0001', text: 'x' } });
      assert.equal(bad.status, 'error');
    });

    await t.test('group: create with the peer, list, info, send with recipient_type group', async () => {
      const created = await api.post(`/api/v1/groups?sessionId=${SESSION}`, { subject: 'Integration', participants: [PEER_PHONE] });
      assert.equal(created.status, 201, created.text);
      const g = created.json.group;
      assert.match(g.jid, /^[0-9-]+@g\.us$/);
      assert.equal(g.subject, 'Integration');
      assert.ok(g.participants.some((p) => p.jid === PEER), JSON.stringify(g.participants));
      assert.ok(g.participants.some((p) => p.jid.startsWith(GW_PHONE) && p.admin === 'superadmin'), JSON.stringify(g.participants));
      const list = await api.get(`/api/v1/groups?sessionId=${SESSION}`);
      assert.equal(list.status, 200, list.text);
      assert.ok(list.json.groups.some((x) => x.jid === g.jid));
      const info = await api.get(`/api/v1/groups/${encodeURIComponent(g.jid)}?sessionId=${SESSION}`);
      assert.equal(info.status, 200, info.text);
      assert.equal(info.json.group.subject, 'Integration');
      const [res] = await send({ to: g.jid.split('@')[0], recipient_type: 'group', type: 'text', text: { body: 'hello group' } });
      assert.equal(res.status, 'success', JSON.stringify(res));
      assert.equal(res.message, `Message sent to ${g.jid}`);
      const m = await received(res.messageId, 'the group message', 40000);
      assert.equal(m.key.remoteJid, g.jid);
      assert.equal(textOf(m), 'hello group');
    });

    await t.test('revoke via DELETE /api/v1/message; error cases', async () => {
      const id = await sendOk({ to: PEER_PHONE, type: 'text', text: { body: 'delete me' } });
      await received(id, 'the message to delete');
      const missing = await api.del('/api/v1/message', { sessionId: SESSION, messageId: id });
      assert.equal(missing.status, 400, missing.text);
      assert.equal(missing.json.status, 'error');
      assert.ok(missing.json.error?.code, missing.text);
      const unknown = await api.del('/api/v1/message', { sessionId: SESSION, messageId: '3EB0UNKNOWN00001', remoteJid: PEER });
      assert.equal(unknown.status, 404, unknown.text);
      const noSession = await api.del('/api/v1/message', { sessionId: 'nope', messageId: id, remoteJid: PEER });
      assert.equal(noSession.status, 404, noSession.text);
      const r = await api.del('/api/v1/message', { sessionId: SESSION, messageId: id, remoteJid: PEER });
      assert.equal(r.status, 200, r.text);
      // The seed's fields (extra fields, such as the revoke's own id, are allowed).
      assert.equal(r.json.status, 'success');
      assert.equal(r.json.message, `Attempted to delete message ID ${id}`);
      const m = await waitFor('the revoke', async () => peer.events.flatMap((e) =>
        e.type === 'messages.upsert' ? e.data.messages : []).find((x) => {
        const p = x.message?.protocolMessage;
        return p && (p.type ?? 0) === 0 && p.key?.id === id ? x : null;
      }), 30000, 100);
      assert.equal(m.key.fromMe, false);
      if (r.json.revokeId) assert.equal(m.key.id, r.json.revokeId);
    });

    await t.test('every webhook delivery is signed and has a unique X-Event-Id', async () => {
      assert.ok(hook.events.length > 0);
      for (const e of hook.events) {
        assert.equal(e.signed, true, `signature of ${e.body.slice(0, 120)}`);
      }
      const ids = hook.events.map((e) => e.headers['x-event-id']);
      assert.equal(new Set(ids).size, ids.length, 'no event delivered twice');
      assert.deepEqual(peer.problems(), [], 'no decryption problems on the peer');
    });

    await t.test('/metrics: sessions by state, messages in and out, webhook queue, HTTP', async () => {
      const r = await gw.api.get('/metrics');
      assert.equal(r.status, 200);
      const value = (name) => {
        const line = r.text.split('\n').find((l) => l.startsWith(name + ' '));
        return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : NaN;
      };
      assert.match(r.text, /^superlight_sessions\{state="CONNECTED"\} 1$/m);
      assert.match(r.text, /^superlight_sessions\{state="LOGGED_OUT"\} 0$/m);
      assert.ok(value('superlight_messages_out_total') >= 10, 'messages out counted');
      assert.ok(value('superlight_messages_in_total') >= 1, 'the reply counted in');
      assert.match(r.text, /^superlight_webhook_queue_depth \d+/m);
      assert.match(r.text, /^superlight_webhook_lag_seconds /m);
      assert.match(r.text, /^superlight_http_request_duration_seconds_bucket\{/m);
    });
  } catch (e) {
    if (gw) console.error(gw.output().slice(-20000));
    throw e;
  } finally {
    await peer.dispose().catch(() => {});
    if (gw) await gw.stop();
    await sim.stop().catch(() => {});
    await hook.close();
    mediaServer.server.close();
    tmp.remove();
  }
});

// A loopback HTTP server for `link` media (allowed by ALLOW_PRIVATE_WEBHOOKS=1).
function linkServer() {
  const hits = [];
  const server = createServer((req, res) => {
    hits.push(req.url);
    if (req.url === '/dot.png') {
      res.writeHead(200, { 'content-type': 'image/png', 'content-length': MEDIA.png.length });
      res.end(MEDIA.png);
      return;
    }
    res.writeHead(404).end();
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () =>
    resolve({ server, hits, url: `http://127.0.0.1:${server.address().port}` })));
}



