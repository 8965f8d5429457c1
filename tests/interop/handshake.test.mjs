// Noise handshake cross-check: a real Baileys 7.0.0-rc14 client (makeWASocket) connects over a
// loopback WebSocket to OUR Noise XX responder (interop_tool responder), registers, receives our
// encrypted pair-device iq, shows a QR and answers with an encrypted iq result.
//
// What each assertion proves:
//  * client_payload event with has_pairing_data / !passive: our responder decrypted Baileys'
//    clientFinish (static + ClientPayload) — the handshake completed.
//  * QR noise key == client_static: the static key Baileys put through the handshake is the one
//    our responder recovered.
//  * QR ref == the first ref we sent: Baileys decrypted and parsed our transport frame.
//  * received iq result with our id: we decrypted and parsed Baileys' transport frame.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import makeWASocket, { WA_CERT_DETAILS, initAuthCreds } from 'baileys';
import { startTool } from './tool.mjs';

const DEBUG = !!process.env.INTEROP_DEBUG;

// Baileys wants a pino-like logger; this one is silent (or prints with INTEROP_DEBUG=1).
function makeLogger(bindings = {}) {
  const log = (level) => (obj, msg) => {
    if (DEBUG) console.error(`[baileys ${level}]`, JSON.stringify(bindings), msg ?? '', typeof obj === 'string' ? obj : JSON.stringify(obj)?.slice(0, 300));
  };
  return {
    level: DEBUG ? 'debug' : 'silent',
    child: (b) => makeLogger({ ...bindings, ...b }),
    trace: () => {},
    debug: log('debug'),
    info: log('info'),
    warn: log('warn'),
    error: log('error'),
    fatal: log('fatal'),
  };
}

// In-memory SignalKeyStore: get(type, ids) -> {id: value}; set({type: {id: value | null}}).
function makeMemoryKeys() {
  const data = {};
  return {
    get: async (type, ids) => {
      const out = {};
      for (const id of ids) if (data[type]?.[id] !== undefined) out[id] = data[type][id];
      return out;
    },
    set: async (update) => {
      for (const [type, entries] of Object.entries(update)) {
        data[type] ??= {};
        for (const [id, value] of Object.entries(entries)) {
          if (value === null || value === undefined) delete data[type][id];
          else data[type][id] = value;
        }
      }
    },
    clear: async () => {
      for (const k of Object.keys(data)) delete data[k];
    },
  };
}

function withTimeout(promise, ms, what) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timeout (${ms} ms) waiting for ${what}`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

test('Baileys makeWASocket completes the Noise handshake with our responder', { timeout: 120000 }, async () => {
  const t0 = Date.now();
  const tool = startTool('responder');
  let sock;
  try {
    const ready = await tool.next(30000);
    assert.equal(ready.ready, true, JSON.stringify(ready));
    assert.ok(Number.isInteger(ready.port) && ready.port > 0);
    assert.match(ready.root_key, /^[0-9a-f]{64}$/);

    // Our simulator root. Baileys rc14 does not really verify the chain (wa-protocol.md §0.2),
    // so this is not what makes the test pass, but it is what a correct client would need.
    WA_CERT_DETAILS.PUBLIC_KEY = Buffer.from(ready.root_key, 'hex');

    // Tool events, in order: client_payload, sent, received. Collected as they come.
    const events = [];
    const toolDone = (async () => {
      for (;;) {
        const ev = await tool.next(90000);
        events.push(ev);
        if (ev.event === 'error') throw new Error(`interop_tool: ${ev.message}`);
        if (ev.event === 'received') return;
      }
    })();
    toolDone.catch(() => {});

    const creds = initAuthCreds();
    const qrPromise = new Promise((resolve, reject) => {
      sock = makeWASocket({
        waWebSocketUrl: `ws://127.0.0.1:${ready.port}/ws/chat`,
        auth: { creds, keys: makeMemoryKeys() },
        logger: makeLogger(),
        printQRInTerminal: false,
        shouldSyncHistoryMessage: () => false,
        markOnlineOnConnect: false,
        fireInitQueries: false,
        connectTimeoutMs: 20000,
      });
      sock.ev.on('creds.update', (update) => Object.assign(creds, update));
      sock.ev.on('connection.update', (u) => {
        if (u.qr) resolve(u.qr);
        if (u.connection === 'close') {
          const err = u.lastDisconnect?.error;
          reject(new Error(`Baileys closed before the QR: ${err?.message} (${err?.output?.statusCode})`));
        }
      });
    });
    qrPromise.catch(() => {});

    const qr = await withTimeout(qrPromise, 30000, 'the QR from Baileys');
    await withTimeout(toolDone, 30000, "the responder's received event");

    const payload = events.find((e) => e.event === 'client_payload');
    const sent = events.find((e) => e.event === 'sent');
    const received = events.find((e) => e.event === 'received');
    assert.ok(payload && sent && received, `missing events: ${JSON.stringify(events)}`);

    // Registration ClientPayload from a fresh Baileys client (wa-protocol.md §2.3).
    assert.equal(payload.has_pairing_data, true);
    assert.equal(payload.passive, false);
    assert.equal(payload.platform, 14, 'UserAgent.platform WEB');
    assert.match(payload.app_version, /^2\.3000\.\d+$/);

    // QR: https://wa.me/settings/linked_devices#REF,NOISE_PUB,IDENTITY_PUB,ADV_SECRET,PLATFORM
    const fields = qr.slice(qr.indexOf('#') + 1).split(',');
    assert.equal(fields.length, 5, qr);
    const [ref, noiseB64, identB64] = fields;
    assert.equal(Buffer.from(noiseB64, 'base64').toString('hex'), payload.client_static,
      "the QR's noise key is the static our responder decrypted");
    assert.equal(Buffer.from(noiseB64, 'base64').toString('hex'), Buffer.from(creds.noiseKey.public).toString('hex'));
    assert.equal(Buffer.from(identB64, 'base64').length, 32);
    assert.equal(ref, sent.refs[0], 'Baileys decrypted our pair-device frame and shows our first ref');

    // Baileys' encrypted answer, decrypted and decoded by us: <iq to="@s.whatsapp.net" type="result" id=ours/>.
    assert.equal(received.node.tag, 'iq', received.xml);
    assert.equal(received.node.attrs.type, 'result', received.xml);
    assert.equal(received.node.attrs.id, sent.id, received.xml);
    assert.equal(received.node.attrs.to, '@s.whatsapp.net', received.xml);
    // Baileys closes the WebSocket; the responder must then finish cleanly.
    sock.end(undefined);
    sock = undefined;
    const exit = await tool.waitExit(10000);
    assert.deepEqual(exit, { code: 0, signal: null }, 'interop_tool responder exits 0 after the client closes');

    console.log(`handshake + one frame each way OK in ${Date.now() - t0} ms; ` +
      `client_static ${payload.client_static.slice(0, 16)}…, ref ${ref}, received ${received.xml}`);
  } finally {
    sock?.end(undefined);
    await tool.close();
  }
});
