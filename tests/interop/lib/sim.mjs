// Starting `superlight sim --ephemeral` (path in $SUPERLIGHT) on random ports, reading its ready
// line, and calling its control API. One simulator per test file; stop() ends it with SIGTERM and
// checks it exits 0.

import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';

export function superlightPath() {
  const p = process.env.SUPERLIGHT;
  if (!p) throw new Error('set SUPERLIGHT to the superlight binary (ctest does this)');
  if (!existsSync(p)) throw new Error(`SUPERLIGHT=${p} does not exist`);
  return p;
}

// Starts the simulator; resolves with { info, control(method, path, body), stop(), stderr() }.
// SIM_LOG=1 passes the simulator's log through; otherwise it is kept and printed on failure.
// With `stateDir` the simulator keeps its state there instead of running --ephemeral.
export async function startSim({ extraArgs = [], stateDir = null, logLevel = process.env.SIM_LOG_LEVEL ?? 'info' } = {}) {
  const storage = stateDir ? ['--state-dir', stateDir] : ['--ephemeral'];
  const args = ['sim', ...storage, '--ws-port', '0', '--control-port', '0', '--media-port', '0',
    '--log-level', logLevel, ...extraArgs];
  const child = spawn(superlightPath(), args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stderr.on('data', (d) => {
    if (process.env.SIM_LOG) process.stderr.write(d);
    log += d.toString();
    if (log.length > 2_000_000) log = log.slice(-1_000_000);
  });
  let exitInfo = null;
  const exited = new Promise((resolve) => {
    child.on('exit', (code, signal) => {
      exitInfo = { code, signal };
      resolve(exitInfo);
    });
  });

  const rl = createInterface({ input: child.stdout, crlfDelay: Infinity });
  const firstLine = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`simulator did not print its ready line in 20 s\n${log}`)), 20000);
    rl.once('line', (line) => {
      clearTimeout(timer);
      resolve(line);
    });
    exited.then((e) => {
      clearTimeout(timer);
      reject(new Error(`simulator exited before ready (${e.code ?? e.signal})\n${log}`));
    });
  });
  const line = await firstLine;
  const info = JSON.parse(line);
  if (info.ready !== true) throw new Error(`unexpected ready line: ${line}`);
  // Anything else on stdout would break the "one JSON line" contract.
  const extraStdout = [];
  rl.on('line', (l) => extraStdout.push(l));

  async function control(method, path, body) {
    const res = await fetch(`${info.control_url}${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.text();
    let json = null;
    try {
      json = text ? JSON.parse(text) : null;
    } catch {
      json = { raw: text };
    }
    return { status: res.status, json };
  }

  async function stop() {
    if (exitInfo) return exitInfo;
    child.kill('SIGTERM');
    let timer;
    const timeout = new Promise((resolve) => (timer = setTimeout(() => resolve(null), 10000)));
    const r = await Promise.race([exited, timeout]);
    clearTimeout(timer);
    if (!r) {
      child.kill('SIGKILL');
      throw new Error('simulator did not stop within 10 s of SIGTERM');
    }
    return r;
  }

  return { info, child, control, stop, stderr: () => log, extraStdout, exited: () => exitInfo };
}

// Creates an account through the control API and checks the answer.
export async function createAccount(sim, phone, name, virtualKind) {
  const body = { phone, name };
  if (virtualKind) body.virtual = virtualKind;
  const r = await sim.control('POST', '/control/accounts', body);
  if (r.status !== 201) throw new Error(`create account ${phone}: ${r.status} ${JSON.stringify(r.json)}`);
  return r.json;
}
