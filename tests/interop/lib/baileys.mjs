// Real Baileys 7.0.0-rc14 clients against the simulator, with the harness settings of
// docs/wa-protocol.md §13 "Harness setup that worked": simulator root key patched into
// WA_CERT_DETAILS, waWebSocketUrl, a silent (but recording) logger, no history sync,
// markOnlineOnConnect, in-memory auth from initAuthCreds(), creds.me.name set after pairing, and
// a new socket whenever the old one closes (515 after pairing, drops) unless logged out.
//
// Media trust: uploads go through node https with `fetchAgent` (an https.Agent trusting the
// simulator's CA); downloads through fetch with an undici dispatcher trusting the same CA.
// Nothing disables certificate verification.
//
// Every wait has a deadline and fails the test with what the client saw; nothing sleeps.

import https from 'node:https';
import makeWASocket, {
  WA_CERT_DETAILS,
  initAuthCreds,
  downloadMediaMessage,
  proto,
} from 'baileys';

export const DELIVERED = 3; // proto.WebMessageInfo.Status.DELIVERY_ACK
export const READ = 4; // proto.WebMessageInfo.Status.READ

const STUB_CIPHERTEXT = proto.WebMessageInfo.StubType.CIPHERTEXT;

// A pino-compatible logger that prints nothing but keeps warnings and errors for assertions.
export function recordingLogger(entries, label) {
  const record = (level) => (obj, msg) => {
    const text = typeof obj === 'string' ? obj : `${msg ?? ''} ${safeJson(obj)}`;
    entries.push({ level, label, text });
    if (process.env.BAILEYS_LOG) console.log(`[${label}] ${level}: ${text.slice(0, 500)}`);
  };
  const logger = {
    level: 'silent',
    child: () => logger,
    trace: () => {},
    debug: () => {},
    info: () => {},
    warn: record('warn'),
    error: record('error'),
    fatal: record('fatal'),
  };
  return logger;
}

function safeJson(o) {
  try {
    return JSON.stringify(o, (k, v) => (v?.type === 'Buffer' ? '<buf>' : v)).slice(0, 2000);
  } catch {
    return String(o);
  }
}

export function patchRootKey(info) {
  WA_CERT_DETAILS.PUBLIC_KEY = Buffer.from(info.root_key, 'hex');
}

// An undici Agent (the class behind Node's global fetch dispatcher) trusting only `caPem`.
let dispatcherClass = null;
export async function mediaDispatcher(caPem) {
  if (!dispatcherClass) {
    await fetch('data:,warm-up');
    const global = globalThis[Symbol.for('undici.globalDispatcher.1')];
    if (!global) throw new Error('cannot find the global fetch dispatcher');
    dispatcherClass = global.constructor;
  }
  return new dispatcherClass({ connect: { ca: caPem } });
}

export function textOf(msg) {
  const m = msg?.message;
  return m?.conversation ?? m?.extendedTextMessage?.text ?? null;
}

export const pnJid = (phone) => `${phone}@s.whatsapp.net`;

export class WaClient {
  constructor(sim, label) {
    this.sim = sim;
    this.label = label;
    this.creds = initAuthCreds();
    this.keyData = {};
    this.events = [];
    this.waiters = [];
    this.logEntries = [];
    this.decryptFailures = [];
    this.sent = new Map();
    this.sock = null;
    this.generation = 0;
    this.stopping = false;
    this.autoReconnect = true;
    this.loggedOut = false;
    this.fetchAgent = new https.Agent({ ca: sim.info.media_ca_pem, keepAlive: false });
  }

  get keys() {
    const data = this.keyData;
    return {
      get: async (type, ids) => {
        const out = {};
        for (const id of ids) {
          let v = data[`${type}-${id}`];
          if (v !== undefined && type === 'app-state-sync-key') v = proto.Message.AppStateSyncKeyData.fromObject(v);
          if (v !== undefined) out[id] = v;
        }
        return out;
      },
      set: async (changes) => {
        for (const type of Object.keys(changes)) {
          for (const id of Object.keys(changes[type])) {
            const v = changes[type][id];
            if (v === null || v === undefined) delete data[`${type}-${id}`];
            else data[`${type}-${id}`] = v;
          }
        }
      },
    };
  }

  // Opens a new socket with the current creds.
  start() {
    this.stopping = false;
    const generation = ++this.generation;
    const sock = makeWASocket({
      waWebSocketUrl: this.sim.info.ws_url,
      auth: { creds: this.creds, keys: this.keys },
      logger: recordingLogger(this.logEntries, this.label),
      printQRInTerminal: false,
      shouldSyncHistoryMessage: () => false,
      markOnlineOnConnect: true,
      fetchAgent: this.fetchAgent,
      connectTimeoutMs: 20000,
      defaultQueryTimeoutMs: 30000,
      qrTimeout: 60000,
      getMessage: async (key) => this.sent.get(key.id)?.message ?? undefined,
    });
    this.sock = sock;
    const push = (type, data) => {
      if (generation !== this.generation && type !== 'connection.update') return;
      this.events.push({ type, data, generation });
      for (const w of [...this.waiters]) w.check();
    };
    sock.ev.on('creds.update', (u) => Object.assign(this.creds, u));
    sock.ev.on('connection.update', (u) => {
      push('connection.update', u);
      if (u.connection === 'close' && generation === this.generation) this.onClose(u);
    });
    sock.ev.on('messages.upsert', (u) => {
      for (const m of u.messages) {
        if (m.messageStubType === STUB_CIPHERTEXT) {
          this.decryptFailures.push({ key: m.key, params: m.messageStubParameters });
        }
      }
      push('messages.upsert', u);
    });
    sock.ev.on('messages.update', (u) => push('messages.update', u));
    sock.ev.on('message-receipt.update', (u) => push('message-receipt.update', u));
    sock.ev.on('groups.upsert', (u) => push('groups.upsert', u));
    return sock;
  }

  onClose(update) {
    const code = update.lastDisconnect?.error?.output?.statusCode;
    this.lastCloseCode = code;
    if (code === 401) this.loggedOut = true;
    if (this.stopping || !this.autoReconnect || code === 401) return;
    // 515 after pairing ("restart required"), a dropped connection, a stream error: log in again.
    setImmediate(() => {
      if (!this.stopping) this.start();
    });
  }

  mark() {
    return this.events.length;
  }

  // Resolves with the first event of `type` (a name or a list of names; from index `since`)
  // whose data satisfies `pred(data, type)` (pred may return a value; that value is returned).
  waitFor(type, pred, { since = 0, timeoutMs = 30000, what = type } = {}) {
    const types = Array.isArray(type) ? type : [type];
    return new Promise((resolve, reject) => {
      let next = since;
      const w = {
        check: () => {
          for (; next < this.events.length; ++next) {
            const e = this.events[next];
            if (!types.includes(e.type)) continue;
            const r = pred(e.data, e.type);
            if (r) {
              done();
              resolve(r === true ? e.data : r);
              return;
            }
          }
        },
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`[${this.label}] timed out after ${timeoutMs} ms waiting for ${what}; ` +
          `last events: ${this.describeEvents()}`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        const i = this.waiters.indexOf(w);
        if (i >= 0) this.waiters.splice(i, 1);
      };
      this.waiters.push(w);
      w.check();
    });
  }

  describeEvents(n = 12) {
    return this.events.slice(-n).map((e) => {
      if (e.type === 'connection.update') {
        const u = e.data;
        const code = u.lastDisconnect?.error?.output?.statusCode;
        return `conn(${u.connection ?? ''}${u.qr ? ' qr' : ''}${code ? ` ${code}` : ''}${u.isNewLogin ? ' newLogin' : ''}${u.receivedPendingNotifications ? ' pending-done' : ''})`;
      }
      if (e.type === 'messages.upsert') return `upsert(${e.data.messages.map((m) => textOf(m) ?? m.messageStubType ?? '?').join(',')})`;
      if (e.type === 'messages.update') return `update(${e.data.map((u) => u.update?.status).join(',')})`;
      return e.type;
    }).join(' ');
  }

  waitOpen(since, timeoutMs = 30000) {
    return this.waitFor('connection.update', (u) => u.connection === 'open', { since, timeoutMs, what: 'connection open' });
  }

  waitClose(since, timeoutMs = 30000) {
    return this.waitFor('connection.update', (u) => (u.connection === 'close' ? u : false), { since, timeoutMs, what: 'connection close' });
  }

  // After pairing: a push name makes Baileys send active receipts and go online (§0 item 7).
  async afterLinked(name) {
    this.creds.me = { ...this.creds.me, name };
    await this.sock.sendPresenceUpdate('available').catch(() => {});
  }

  // Links this client to `phone` by QR: wait for the QR, scan it through the control API (which
  // answers once the device is linked), then Baileys restarts (515) and logs in.
  async linkByQr(phone, name) {
    const since = this.mark();
    this.start();
    const qr = await this.waitFor('connection.update', (u) => u.qr, { since, what: 'a QR code' });
    const scan = await this.sim.control('POST', `/control/accounts/${phone}/scan`, { qr });
    if (scan.status !== 200) throw new Error(`scan: ${scan.status} ${JSON.stringify(scan.json)}`);
    await this.waitFor('connection.update', (u) => u.isNewLogin, { since, what: 'isNewLogin' });
    await this.waitOpen(since, 40000);
    await this.afterLinked(name);
    return scan.json.device_jid;
  }

  // Links by pairing code: the companion asks for a code, the "phone" enters it.
  async linkByPairCode(phone, name) {
    const since = this.mark();
    this.start();
    await this.waitFor('connection.update', (u) => u.qr, { since, what: 'registration (first QR)' });
    const code = await this.sock.requestPairingCode(phone);
    const r = await this.sim.control('POST', `/control/accounts/${phone}/pair-code`, { code });
    if (r.status !== 200) throw new Error(`pair-code: ${r.status} ${JSON.stringify(r.json)}`);
    await this.waitOpen(since, 40000);
    await this.afterLinked(name);
    return r.json.device_jid;
  }

  // Ends the socket on purpose and logs in again with the same creds (no pairing).
  async restart() {
    await this.stop();
    const since = this.mark();
    this.start();
    await this.waitOpen(since);
    await this.waitFor('connection.update', (u) => u.receivedPendingNotifications, { since, what: 'offline delivery done' });
    return since;
  }

  // Stops the socket and releases the HTTP agents so the test process can exit promptly.
  async dispose() {
    await this.stop();
    this.fetchAgent.destroy();
    await this.dispatcher?.close().catch(() => {});
  }

  async stop() {
    if (!this.sock) return;
    this.stopping = true;
    const since = this.mark();
    const closed = this.waitClose(since, 10000).catch(() => {});
    try {
      this.sock.end(undefined);
    } catch {}
    await closed;
  }

  async sendText(jid, text) {
    const msg = await this.sock.sendMessage(jid, { text });
    this.sent.set(msg.key.id, msg);
    return msg;
  }

  async send(jid, content) {
    const msg = await this.sock.sendMessage(jid, content);
    this.sent.set(msg.key.id, msg);
    return msg;
  }

  // The first incoming message (not fromMe) satisfying pred.
  waitMessage(pred, opts = {}) {
    return this.waitFor('messages.upsert', (u) => u.messages.find((m) => !m.key.fromMe && m.message && pred(m)), { what: 'a message', ...opts });
  }

  waitText(text, opts = {}) {
    return this.waitMessage((m) => textOf(m) === text, { what: `text "${text}"`, ...opts });
  }

  // Every received (not fromMe) message with this text, among all events so far.
  receivedTexts(text) {
    const out = [];
    for (const e of this.events) {
      if (e.type !== 'messages.upsert') continue;
      for (const m of e.data.messages) if (!m.key.fromMe && textOf(m) === text) out.push(m);
    }
    return out;
  }

  // Waits until message `id` reached `status` (DELIVERED, READ). Baileys reports receipts as
  // messages.update, but its event buffer may fold an update into the pending upsert of the same
  // message (status then rides on the upsert, possibly as the enum's name), so both count.
  waitStatus(id, status, opts = {}) {
    const num = (s) => (typeof s === 'string' ? proto.WebMessageInfo.Status[s] ?? 0 : s ?? 0);
    const hit = (data, type) =>
      type === 'messages.update'
        ? data.some((u) => u.key.id === id && num(u.update?.status) >= status)
        : data.messages.some((m) => m.key.id === id && num(m.status) >= status);
    return this.waitFor(['messages.update', 'messages.upsert'], hit, { what: `status ${status} for ${id}`, ...opts });
  }

  async download(msg) {
    this.dispatcher ??= await mediaDispatcher(this.sim.info.media_ca_pem);
    const dispatcher = this.dispatcher;
    return downloadMediaMessage(msg, 'buffer', { options: { dispatcher } }, {
      logger: recordingLogger(this.logEntries, this.label),
      reuploadRequest: (m) => this.sock.updateMediaMessage(m),
    });
  }

  // Log entries that indicate a decryption problem or a timeout inside Baileys.
  problems() {
    const bad = this.logEntries.filter((e) => /decrypt|timed? ?out|bad mac|no session|failed to/i.test(e.text));
    return [...this.decryptFailures.map((d) => ({ level: 'stub', text: `CIPHERTEXT stub ${JSON.stringify(d)}` })), ...bad];
  }
}
