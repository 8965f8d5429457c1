// Drives tests/interop/client_tool (our wa::Client) from node tests: spawn it, send JSON-line
// commands, wait for JSON-line events with deadlines. Also links it to a simulator account by
// QR or by pairing code through the simulator's control API.

import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';

export function clientToolPath() {
  const p = process.env.CLIENT_TOOL;
  if (!p) throw new Error('set CLIENT_TOOL to the client_tool binary (ctest does this)');
  if (!existsSync(p)) throw new Error(`CLIENT_TOOL=${p} does not exist`);
  return p;
}

export class OurClient {
  constructor(sim, label, { stateFile } = {}) {
    this.sim = sim;
    this.stateFile = stateFile;
    this.label = label;
    this.events = [];
    this.waiters = [];
    this.stderr = '';
    this.refs = 0;
    this.child = spawn(clientToolPath(), [], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stderr.on('data', (d) => {
      if (process.env.CLIENT_TOOL_LOG) process.stderr.write(`[${label}] ${d}`);
      this.stderr += d.toString();
      if (this.stderr.length > 1_000_000) this.stderr = this.stderr.slice(-500_000);
    });
    const rl = createInterface({ input: this.child.stdout, crlfDelay: Infinity });
    rl.on('line', (line) => {
      let e;
      try {
        e = JSON.parse(line);
      } catch {
        return;
      }
      if (process.env.CLIENT_TOOL_EVENTS) console.log(`[${label}] ${line.slice(0, Number(process.env.CLIENT_TOOL_EVENTS) > 1 ? 3000 : 300)}`);
      this.events.push(e);
      for (const w of [...this.waiters]) w.check();
    });
    this.exited = new Promise((resolve) => this.child.on('exit', (code, signal) => resolve({ code, signal })));
  }

  cmd(obj) {
    this.child.stdin.write(JSON.stringify(obj) + '\n');
  }

  // Sends a command with a ref and waits for the reply event carrying it.
  async call(obj, event, timeoutMs = 30000) {
    const ref = `r${++this.refs}`;
    const since = this.events.length;
    this.cmd({ ...obj, ref });
    return this.waitFor((e) => e.ref === ref && (e.event === event || e.event === 'error'), { since, timeoutMs, what: `${event} for ${obj.cmd}` })
      .then((e) => {
        if (e.event === 'error') throw new Error(`[${this.label}] ${obj.cmd}: ${e.error}`);
        return e;
      });
  }

  mark() {
    return this.events.length;
  }

  waitFor(pred, { since = 0, timeoutMs = 30000, what = 'an event' } = {}) {
    return new Promise((resolve, reject) => {
      let next = since;
      const w = {
        check: () => {
          for (; next < this.events.length; ++next) {
            const r = pred(this.events[next]);
            if (r) {
              done();
              resolve(r === true ? this.events[next] : r);
              return;
            }
          }
        },
      };
      const timer = setTimeout(() => {
        done();
        const last = this.events.slice(-8).map((e) => JSON.stringify(e).slice(0, 200)).join('\n  ');
        reject(new Error(`[${this.label}] timed out after ${timeoutMs} ms waiting for ${what}; last events:\n  ${last}\nstderr tail: ${this.stderr.slice(-1500)}`));
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

  waitConnected(since, timeoutMs = 40000) {
    return this.waitFor((e) => e.event === 'connection' && e.state === 'connected', { since, timeoutMs, what: 'connected' });
  }

  waitMessage(pred, opts = {}) {
    return this.waitFor((e) => e.event === 'message' && pred(e), { what: 'a message', ...opts });
  }

  messages(pred = () => true) {
    return this.events.filter((e) => e.event === 'message' && pred(e));
  }

  start(extra = {}) {
    const since = this.mark();
    this.cmd({
      cmd: 'start',
      ws_url: this.sim.info.ws_url,
      root_key: this.sim.info.root_key,
      media_ca_pem: this.sim.info.media_ca_pem,
      push_name: this.label,
      ...(this.stateFile ? { state_file: this.stateFile } : {}),
      ...extra,
    });
    return since;
  }

  async linkByQr(phone) {
    const since = this.start();
    const qr = await this.waitFor((e) => e.event === 'qr' && !!e.code, { since, what: 'a QR code' });
    const scan = await this.sim.control('POST', `/control/accounts/${phone}/scan`, { qr: qr.code });
    if (scan.status !== 200) throw new Error(`scan: ${scan.status} ${JSON.stringify(scan.json)}`);
    const paired = await this.waitFor((e) => e.event === 'paired', { since, what: 'paired' });
    await this.waitConnected(since);
    this.jid = paired.jid;
    this.lid = paired.lid;
    return { paired, device_jid: scan.json.device_jid, qr: qr.code };
  }

  async linkByPairCode(phone) {
    const since = this.start();
    await this.waitFor((e) => e.event === 'qr', { since, what: 'registration (first QR)' });
    const { code } = await this.call({ cmd: 'pair_code', phone }, 'pair_code');
    const r = await this.sim.control('POST', `/control/accounts/${phone}/pair-code`, { code });
    if (r.status !== 200) throw new Error(`pair-code: ${r.status} ${JSON.stringify(r.json)}`);
    const paired = await this.waitFor((e) => e.event === 'paired', { since, what: 'paired' });
    await this.waitConnected(since);
    this.jid = paired.jid;
    this.lid = paired.lid;
    return { paired, device_jid: r.json.device_jid, code };
  }

  async send(to, fields, timeoutMs = 60000) {
    const q = await this.call({ cmd: 'send', to, ...fields }, 'queued', timeoutMs);
    return q.id;
  }

  sendResult(id, opts = {}) {
    return this.waitFor((e) => e.event === 'send_result' && e.id === id, { what: `send_result ${id}`, timeoutMs: 60000, ...opts });
  }

  undecryptable() {
    return this.events.filter((e) => e.event === 'undecryptable');
  }

  async quit() {
    try {
      this.cmd({ cmd: 'quit' });
    } catch {}
    const t = new Promise((r) => setTimeout(() => r(null), 5000));
    const r = await Promise.race([this.exited, t]);
    if (!r) this.child.kill('SIGKILL');
  }
}
