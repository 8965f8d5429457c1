// Spawning and talking to the test-only C++ program interop_tool (path in $INTEROP_TOOL).
// Both modes speak JSON lines on stdout; stderr is passed through for diagnostics.

import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';

export function toolPath() {
  const p = process.env.INTEROP_TOOL;
  if (!p) throw new Error('set INTEROP_TOOL to the interop_tool binary (ctest does this)');
  if (!existsSync(p)) throw new Error(`INTEROP_TOOL=${p} does not exist`);
  return p;
}

// Starts `interop_tool <mode>` and returns { child, next(timeoutMs), send(obj), close() }.
// next() resolves with the next stdout line parsed as JSON.
export function startTool(mode) {
  const child = spawn(toolPath(), [mode], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = [];
  const waiters = [];
  let exited = null;
  const rl = createInterface({ input: child.stdout, crlfDelay: Infinity });
  rl.on('line', (line) => {
    if (waiters.length) waiters.shift().resolve(line);
    else lines.push(line);
  });
  child.on('exit', (code, signal) => {
    exited = { code, signal };
    for (const w of waiters.splice(0)) w.reject(new Error(`interop_tool ${mode} exited (${code ?? signal})`));
  });
  child.stdin.on('error', () => {});  // EPIPE if the tool died; reported through next()

  const next = (timeoutMs = 60000) =>
    new Promise((resolve, reject) => {
      if (lines.length) return resolve(lines.shift());
      if (exited) return reject(new Error(`interop_tool ${mode} exited (${exited.code ?? exited.signal})`));
      const timer = setTimeout(() => {
        const i = waiters.indexOf(w);
        if (i >= 0) waiters.splice(i, 1);
        reject(new Error(`timeout waiting for interop_tool ${mode} output`));
      }, timeoutMs);
      const w = {
        resolve: (l) => (clearTimeout(timer), resolve(l)),
        reject: (e) => (clearTimeout(timer), reject(e)),
      };
      waiters.push(w);
    }).then((line) => {
      try {
        return JSON.parse(line);
      } catch {
        throw new Error(`interop_tool printed non-JSON: ${line.slice(0, 200)}`);
      }
    });

  const send = (obj) => child.stdin.write(JSON.stringify(obj) + '\n');

  // Resolves with { code, signal } once the tool exits on its own, or null after timeoutMs.
  const waitExit = (timeoutMs) =>
    new Promise((resolve) => {
      if (exited) return resolve(exited);
      const timer = setTimeout(() => resolve(null), timeoutMs);
      child.once('exit', (code, signal) => (clearTimeout(timer), resolve({ code, signal })));
    });

  // Ends the tool: closes stdin (codec mode exits on EOF), then SIGTERM after graceMs, SIGKILL
  // 5 s later.
  const close = async (graceMs = 2000) => {
    child.stdin.end();
    const natural = await waitExit(graceMs);
    if (natural) return natural;
    child.kill('SIGTERM');
    const termed = await waitExit(5000);
    if (termed) return termed;
    child.kill('SIGKILL');
    return waitExit(5000);
  };

  return { child, next, send, close, waitExit, exited: () => exited };
}
