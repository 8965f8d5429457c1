// Signal layer cross-check: our wa/signal (libsignal-protocol-c, through signal_tool) against the
// Signal code Baileys 7.0.0-rc14 itself runs (makeLibSignalRepository over the npm `libsignal`
// package and Baileys' own sender-key implementation), in both directions:
//   * pairwise: bundles with and without a one-time pre-key, pkmsg → msg transition, many
//     messages both ways, out-of-order delivery, duplicates, WhatsApp padding;
//   * sender keys: SKDM both ways, skmsg both ways, gaps in iterations.
// Addresses are LID device JIDs, as Baileys keys its sessions.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { after, before, describe, test } from 'node:test';
import { addTransactionCapability, Curve, initAuthCreds, writeRandomPadMax16, unpadRandomMax16 } from 'baileys';
import { makeLibSignalRepository } from 'baileys/lib/Signal/libsignal.js';

const CPP_JID = '111111111111111:2@lid';
const JS_JID = '222222222222222:5@lid';
const GROUP = '120363000000000042@g.us';

const hex = (b) => Buffer.from(b).toString('hex');
const unhex = (s) => Buffer.from(s, 'hex');
const text = (s) => Buffer.from(s, 'utf8');

// ---- the C++ side --------------------------------------------------------------------------

function startSignalTool() {
  const path = process.env.SIGNAL_TOOL;
  if (!path) throw new Error('set SIGNAL_TOOL to the signal_tool binary (ctest does this)');
  if (!existsSync(path)) throw new Error(`SIGNAL_TOOL=${path} does not exist`);
  const child = spawn(path, [], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = [];
  const waiters = [];
  createInterface({ input: child.stdout }).on('line', (l) => {
    if (waiters.length) waiters.shift()(l);
    else lines.push(l);
  });
  const call = (req) =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`signal_tool timeout on ${req.op}`)), 30000);
      const done = (l) => (clearTimeout(timer), resolve(JSON.parse(l)));
      if (lines.length) done(lines.shift());
      else waiters.push(done);
      child.stdin.write(JSON.stringify(req) + '\n');
    });
  // Like call() but fails the test on {"ok":false}.
  const ok = async (req) => {
    const r = await call(req);
    assert.equal(r.ok, true, `signal_tool ${req.op}: ${JSON.stringify(r)}`);
    return r;
  };
  return { call, ok, close: () => child.stdin.end() };
}

// ---- the Baileys side ----------------------------------------------------------------------

const quiet = { level: 'silent', trace() {}, debug() {}, info() {}, warn() {}, error() {}, fatal() {} };
quiet.child = () => quiet;

function makeBaileysDevice() {
  const data = {};
  const raw = {
    async get(type, ids) {
      const out = {};
      for (const id of ids) out[id] = data[type]?.[id];
      return out;
    },
    async set(updates) {
      for (const [type, entries] of Object.entries(updates)) {
        data[type] ??= {};
        for (const [id, value] of Object.entries(entries)) {
          if (value === null || value === undefined) delete data[type][id];
          else data[type][id] = value;
        }
      }
    },
  };
  const creds = initAuthCreds();
  const keys = addTransactionCapability(raw, quiet, { maxCommitRetries: 1, delayBetweenTriesMs: 1 });
  const repo = makeLibSignalRepository({ creds, keys }, quiet, async () => []);
  let nextPreKeyId = 1;
  // A bundle as our C++ side would parse it from a key-fetch result (raw 32-byte keys).
  const bundle = async (withPreKey) => {
    const out = {
      registration_id: creds.registrationId,
      identity: hex(creds.signedIdentityKey.public),
      signed_pre_key: {
        id: creds.signedPreKey.keyId,
        public_key: hex(creds.signedPreKey.keyPair.public),
        signature: hex(creds.signedPreKey.signature),
      },
      pre_key: null,
    };
    if (withPreKey) {
      const id = nextPreKeyId++;
      const kp = Curve.generateKeyPair();
      await raw.set({ 'pre-key': { [id]: kp } });
      out.pre_key = { id, public_key: hex(kp.public) };
    }
    return out;
  };
  const preKeyCount = () => Object.keys(data['pre-key'] ?? {}).length;
  return { repo, creds, bundle, preKeyCount };
}

// Baileys' injectE2ESession input from a bundle our tool printed (it wants 0x05-prefixed keys).
const prefixed = (h) => Buffer.concat([Buffer.from([5]), unhex(h)]);
function toBaileysSession(b) {
  return {
    registrationId: b.registration_id,
    identityKey: prefixed(b.identity),
    signedPreKey: {
      keyId: b.signed_pre_key.id,
      publicKey: prefixed(b.signed_pre_key.public_key),
      signature: unhex(b.signed_pre_key.signature),
    },
    preKey: b.pre_key ? { keyId: b.pre_key.id, publicKey: prefixed(b.pre_key.public_key) } : undefined,
  };
}

// ---- tests ---------------------------------------------------------------------------------

describe('pairwise sessions', () => {
  let cpp;
  before(async () => {
    cpp = startSignalTool();
  });
  after(() => cpp.close());

  test('Baileys starts from our bundle (with one-time pre-key); conversation both ways', async () => {
    await cpp.ok({ op: 'init', seed: 1 });
    const js = makeBaileysDevice();
    const b = await cpp.ok({ op: 'bundle', pre_key_index: 3 });
    await js.repo.injectE2ESession({ jid: CPP_JID, session: toBaileysSession(b) });

    // Two pkmsgs before any answer, delivered out of order.
    const m1 = await js.repo.encryptMessage({ jid: CPP_JID, data: writeRandomPadMax16(text('first')) });
    const m2 = await js.repo.encryptMessage({ jid: CPP_JID, data: writeRandomPadMax16(text('second')) });
    assert.equal(m1.type, 'pkmsg');
    assert.equal(m2.type, 'pkmsg');
    const before = (await cpp.ok({ op: 'pre_key_count' })).count;
    for (const [m, want] of [[m2, 'second'], [m1, 'first']]) {
      const r = await cpp.ok({ op: 'decrypt', jid: JS_JID, type: m.type, ciphertext: hex(m.ciphertext), unpad: true });
      assert.equal(unhex(r.plaintext).toString(), want);
    }
    assert.equal((await cpp.ok({ op: 'pre_key_count' })).count, before - 1, 'one-time pre-key consumed');

    // A duplicate is reported as such.
    const dup = await cpp.call({ op: 'decrypt', jid: JS_JID, type: m1.type, ciphertext: hex(m1.ciphertext) });
    assert.equal(dup.ok, false);
    assert.equal(dup.duplicate, true, JSON.stringify(dup));

    // Our reply is a msg Baileys decrypts; then Baileys switches to msg too.
    for (let round = 0; round < 4; round++) {
      const burst = [];
      for (let i = 0; i < 3; i++) {
        const e = await cpp.ok({ op: 'encrypt', jid: JS_JID, plaintext: hex(text(`cpp ${round}.${i}`)), pad: true });
        assert.equal(e.type, 'msg');
        burst.push([e, `cpp ${round}.${i}`]);
      }
      for (const [e, want] of burst.reverse()) {
        const p = await js.repo.decryptMessage({ jid: CPP_JID, type: e.type, ciphertext: unhex(e.ciphertext) });
        assert.equal(Buffer.from(unpadRandomMax16(p)).toString(), want);
      }
      const back = await js.repo.encryptMessage({ jid: CPP_JID, data: writeRandomPadMax16(text(`js ${round}`)) });
      assert.equal(back.type, 'msg');
      const r = await cpp.ok({ op: 'decrypt', jid: JS_JID, type: back.type, ciphertext: hex(back.ciphertext), unpad: true });
      assert.equal(unhex(r.plaintext).toString(), `js ${round}`);
    }
  });

  test('Baileys starts from our bundle without a one-time pre-key', async () => {
    const c = startSignalTool();
    try {
      await c.ok({ op: 'init', seed: 2 });
      const js = makeBaileysDevice();
      const b = await c.ok({ op: 'bundle', pre_key_index: null });
      assert.equal(b.pre_key, null);
      await js.repo.injectE2ESession({ jid: CPP_JID, session: toBaileysSession(b) });
      const m = await js.repo.encryptMessage({ jid: CPP_JID, data: text('no otk') });
      assert.equal(m.type, 'pkmsg');
      const r = await c.ok({ op: 'decrypt', jid: JS_JID, type: m.type, ciphertext: hex(m.ciphertext) });
      assert.equal(unhex(r.plaintext).toString(), 'no otk');
      assert.equal((await c.ok({ op: 'pre_key_count' })).count, 10);
      const e = await c.ok({ op: 'encrypt', jid: JS_JID, plaintext: hex(text('reply')) });
      const p = await js.repo.decryptMessage({ jid: CPP_JID, type: e.type, ciphertext: unhex(e.ciphertext) });
      assert.equal(Buffer.from(p).toString(), 'reply');
    } finally {
      c.close();
    }
  });

  for (const withPreKey of [true, false]) {
    test(`we start from a Baileys bundle (${withPreKey ? 'with' : 'without'} one-time pre-key)`, async () => {
      const c = startSignalTool();
      try {
        await c.ok({ op: 'init', seed: withPreKey ? 3 : 4 });
        const js = makeBaileysDevice();
        const b = await js.bundle(withPreKey);
        const processed = await c.ok({ op: 'process_bundle', jid: JS_JID, bundle: b });
        assert.equal(processed.identity_changed, false);
        const sent = [];
        for (let i = 0; i < 3; i++) {
          const e = await c.ok({ op: 'encrypt', jid: JS_JID, plaintext: hex(text(`hello ${i}`)), pad: true });
          assert.equal(e.type, 'pkmsg');
          sent.push(e);
        }
        const before = js.preKeyCount();
        for (let i = 0; i < 3; i++) {
          const p = await js.repo.decryptMessage({ jid: CPP_JID, type: sent[i].type, ciphertext: unhex(sent[i].ciphertext) });
          assert.equal(Buffer.from(unpadRandomMax16(p)).toString(), `hello ${i}`);
        }
        if (withPreKey) assert.equal(js.preKeyCount(), before - 1, 'Baileys consumed its pre-key');
        const back = await js.repo.encryptMessage({ jid: CPP_JID, data: writeRandomPadMax16(text('hi from js')) });
        assert.equal(back.type, 'msg');
        const r = await c.ok({ op: 'decrypt', jid: JS_JID, type: back.type, ciphertext: hex(back.ciphertext), unpad: true });
        assert.equal(unhex(r.plaintext).toString(), 'hi from js');
        const e = await c.ok({ op: 'encrypt', jid: JS_JID, plaintext: hex(text('now a msg')) });
        assert.equal(e.type, 'msg');
        const p = await js.repo.decryptMessage({ jid: CPP_JID, type: e.type, ciphertext: unhex(e.ciphertext) });
        assert.equal(Buffer.from(p).toString(), 'now a msg');
      } finally {
        c.close();
      }
    });
  }

  test('a re-registered Baileys device: new identity accepted and reported', async () => {
    const c = startSignalTool();
    try {
      await c.ok({ op: 'init', seed: 5 });
      const js1 = makeBaileysDevice();
      await c.ok({ op: 'process_bundle', jid: JS_JID, bundle: await js1.bundle(true) });
      const js2 = makeBaileysDevice();
      const processed = await c.ok({ op: 'process_bundle', jid: JS_JID, bundle: await js2.bundle(true) });
      assert.equal(processed.identity_changed, true);
      const e = await c.ok({ op: 'encrypt', jid: JS_JID, plaintext: hex(text('to the new device')) });
      const p = await js2.repo.decryptMessage({ jid: CPP_JID, type: e.type, ciphertext: unhex(e.ciphertext) });
      assert.equal(Buffer.from(p).toString(), 'to the new device');
    } finally {
      c.close();
    }
  });
});

describe('sender keys', () => {
  test('our SKDM and skmsgs → Baileys, including an iteration gap', async () => {
    const c = startSignalTool();
    try {
      await c.ok({ op: 'init', seed: 6 });
      const js = makeBaileysDevice();
      const { skdm } = await c.ok({ op: 'skdm', group: GROUP, me: CPP_JID });
      await js.repo.processSenderKeyDistributionMessage({
        item: { groupId: GROUP, axolotlSenderKeyDistributionMessage: unhex(skdm) },
        authorJid: CPP_JID,
      });
      const sent = [];
      for (let i = 0; i < 4; i++) {
        const e = await c.ok({ op: 'group_encrypt', group: GROUP, me: CPP_JID, plaintext: hex(text(`g${i}`)), pad: true });
        sent.push(e.ciphertext);
      }
      // The third arrives first (iterations 0 and 1 skipped), then the fourth. The skipped ones
      // are not delivered late here: Baileys itself cannot decrypt them (its sender-key record
      // goes through JSON, turning the stored skipped keys into plain objects: "Expected Buffer
      // instead of: Object"), even between two Baileys devices.
      for (const i of [2, 3]) {
        const p = await js.repo.decryptGroupMessage({ group: GROUP, authorJid: CPP_JID, msg: unhex(sent[i]) });
        assert.equal(Buffer.from(unpadRandomMax16(p)).toString(), `g${i}`);
      }
    } finally {
      c.close();
    }
  });

  test("Baileys' SKDM and skmsgs → us, including an iteration gap and a duplicate", async () => {
    const c = startSignalTool();
    try {
      await c.ok({ op: 'init', seed: 7 });
      const js = makeBaileysDevice();
      const sent = [];
      let skdm;
      for (let i = 0; i < 5; i++) {
        const r = await js.repo.encryptGroupMessage({ group: GROUP, meId: JS_JID, data: writeRandomPadMax16(text(`js g${i}`)) });
        skdm ??= r.senderKeyDistributionMessage;  // the first one, from before any message
        sent.push(r.ciphertext);
      }
      await c.ok({ op: 'process_skdm', group: GROUP, sender: JS_JID, skdm: hex(skdm) });
      for (const i of [0, 4, 2]) {
        const r = await c.ok({ op: 'group_decrypt', group: GROUP, sender: JS_JID, ciphertext: hex(sent[i]), unpad: true });
        assert.equal(unhex(r.plaintext).toString(), `js g${i}`);
      }
      const dup = await c.call({ op: 'group_decrypt', group: GROUP, sender: JS_JID, ciphertext: hex(sent[4]) });
      assert.equal(dup.ok, false);
      assert.equal(dup.duplicate, true, JSON.stringify(dup));
      // Wrong sender: no sender key → a retry-worthy error, not a crash.
      const other = await c.call({ op: 'group_decrypt', group: GROUP, sender: '333:1@lid', ciphertext: hex(sent[1]) });
      assert.equal(other.ok, false);
      assert.equal(other.needs_retry, true);
    } finally {
      c.close();
    }
  });
});
