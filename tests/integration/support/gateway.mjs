// Starts the real wsgw-emulate binary for a test and tears it down afterwards.
//
// startGateway() writes the routes object to a fresh temp dir, runs the binary on port 0 with a
// ready file, and resolves once the ready file appears. Every process started here is killed in
// a top-level `after` hook (and on process exit), so a failing test never leaves a gateway behind.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after } from 'node:test';
import { fileURLToPath } from 'node:url';

// CTest sets WSGW_BIN; by hand, the default build directory's binary is used.
const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const WSGW_BIN =
  process.env.WSGW_BIN ||
  [path.join(REPO_ROOT, 'build/bin/wsgw-emulate'), path.join(REPO_ROOT, 'build/emulator/wsgw-emulate')].find(
    (candidate) => existsSync(candidate),
  ) ||
  path.join(REPO_ROOT, 'build/bin/wsgw-emulate');

const liveProcesses = new Set();
const tempDirs = new Set();

after(async () => {
  for (const proc of liveProcesses) proc.kill('SIGKILL');
  liveProcesses.clear();
  await Promise.all([...tempDirs].map((dir) => rm(dir, { recursive: true, force: true })));
  tempDirs.clear();
});
process.on('exit', () => {
  for (const proc of liveProcesses) proc.kill('SIGKILL');
});

function assertBinaryExists() {
  if (!existsSync(WSGW_BIN)) {
    throw new Error(
      `wsgw-emulate binary not found at ${WSGW_BIN} (set WSGW_BIN or build the wsgw-emulate target)`,
    );
  }
}

export async function makeTempDir() {
  const dir = await mkdtemp(path.join(tmpdir(), 'wsgw-it-'));
  tempDirs.add(dir);
  return dir;
}

// Writes `routes` (an object, or raw text for malformed files) as FILENAME in a fresh temp dir.
export async function writeRoutesFile(routes, filename = 'routes.json') {
  const dir = await makeTempDir();
  const file = path.join(dir, filename);
  await writeFile(file, typeof routes === 'string' ? routes : JSON.stringify(routes, null, 2));
  return file;
}

// Splits a stream into lines, calling onLine for each complete one (and the tail at end).
export function collectLines(stream, onLine) {
  let pending = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk) => {
    pending += chunk;
    let newline;
    while ((newline = pending.indexOf('\n')) >= 0) {
      onLine(pending.slice(0, newline).replace(/\r$/, ''));
      pending = pending.slice(newline + 1);
    }
  });
  stream.on('end', () => {
    if (pending) onLine(pending);
    pending = '';
  });
}

const delay = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// routes: an object written as routes.json, or an array of objects (one --routes each).
// `cwd`: where it runs (a project folder, for discovery without --routes/--config).
export async function startGateway({
  routes,
  args = [],
  env = {},
  readyTimeoutMs = 10000,
  cwd,
} = {}) {
  assertBinaryExists();
  const dir = await makeTempDir();
  const readyFile = path.join(dir, 'ready.json');
  const routeArgs = [];
  const all = Array.isArray(routes) ? routes : [routes];
  for (const [index, api] of all.entries()) {
    const file = path.join(dir, index === 0 ? 'routes.json' : `routes-${index}.json`);
    await writeFile(file, JSON.stringify(api, null, 2));
    routeArgs.push('--routes', file);
  }
  const fullArgs = [...routeArgs, '--port', '0', '--ready-file', readyFile, ...args];
  const startedAt = performance.now();
  const proc = spawn(WSGW_BIN, fullArgs, {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    cwd,
  });
  liveProcesses.add(proc);

  const allLines = [];
  const stdoutLines = [];
  const stderrLines = [];
  const lineWaiters = new Set();
  const onLine = (target) => (line) => {
    target.push(line);
    allLines.push(line);
    for (const waiter of lineWaiters) waiter(line);
  };
  collectLines(proc.stdout, onLine(stdoutLines));
  collectLines(proc.stderr, onLine(stderrLines));

  let exitResult = null;
  const exited = new Promise((resolve) => {
    proc.on('exit', (code, signal) => {
      exitResult = { code, signal };
      liveProcesses.delete(proc);
      resolve(exitResult);
    });
  });
  // Lets the output streams drain so the last lines are collected before callers look.
  const closed = new Promise((resolve) => proc.on('close', resolve));
  const spawnError = new Promise((resolve) => proc.on('error', resolve));

  const deadline = Date.now() + readyTimeoutMs;
  let ready;
  let readyMs;
  for (;;) {
    if (exitResult) {
      await closed;
      throw new Error(
        `wsgw-emulate exited (code ${exitResult.code}, signal ${exitResult.signal}) before ` +
          `writing its ready file; args: ${fullArgs.join(' ')}\nstderr:\n${stderrLines.join('\n')}` +
          `\nstdout:\n${stdoutLines.join('\n')}`,
      );
    }
    const error = await Promise.race([spawnError, delay(0).then(() => null)]);
    if (error) throw new Error(`could not start ${WSGW_BIN}: ${error.message}`);
    if (existsSync(readyFile)) {
      try {
        ready = JSON.parse(await readFile(readyFile, 'utf8'));
        readyMs = performance.now() - startedAt;
        break;
      } catch {
        // A non-atomic writer could be caught mid-write; the next poll decides.
      }
    }
    if (Date.now() > deadline) {
      proc.kill('SIGKILL');
      throw new Error(
        `wsgw-emulate wrote no ready file within ${readyTimeoutMs} ms\nstderr:\n` +
          `${stderrLines.join('\n')}\nstdout:\n${stdoutLines.join('\n')}`,
      );
    }
    await delay(25);
  }

  return {
    proc,
    ready,
    readyMs, // from spawn to the ready file's appearance (polled every 25 ms)
    readyFile,
    dir,
    port: ready.port,
    wsUrl: ready.websocketUrl,
    mgmtUrl: ready.managementEndpoint,
    lines: () => [...allLines],
    stdoutLines: () => [...stdoutLines],
    stderrLines: () => [...stderrLines],
    exited,
    // Resolves with the first line (already printed or future) matching regex.
    waitForLine(regex, timeoutMs = 5000) {
      const found = allLines.find((line) => regex.test(line));
      if (found !== undefined) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          lineWaiters.delete(waiter);
          reject(
            new Error(
              `no gateway output line matched ${regex} within ${timeoutMs} ms; output:\n` +
                allLines.join('\n'),
            ),
          );
        }, timeoutMs);
        const waiter = (line) => {
          if (!regex.test(line)) return;
          clearTimeout(timer);
          lineWaiters.delete(waiter);
          resolve(line);
        };
        lineWaiters.add(waiter);
      });
    },
    // Sends `signal` and resolves with {code, signal} once the process has exited and its output
    // is collected. Rejects (after SIGKILL) if it is still running after timeoutMs.
    async stop(signal = 'SIGTERM', timeoutMs = 10000) {
      if (!exitResult) proc.kill(signal);
      let timer;
      const result = await Promise.race([
        exited,
        new Promise((resolve) => {
          timer = setTimeout(() => resolve(null), timeoutMs);
        }),
      ]);
      clearTimeout(timer);
      if (!result) {
        proc.kill('SIGKILL');
        await exited;
        throw new Error(`wsgw-emulate did not exit within ${timeoutMs} ms of ${signal}`);
      }
      await closed;
      return result;
    },
  };
}

// One-shot run (--check, --help, bad arguments...). Kills the process after timeoutMs so a
// gateway that unexpectedly starts serving cannot hang the test; `timedOut` says it happened.
export function runGateway(args, { timeoutMs = 10000, env = {} } = {}) {
  assertBinaryExists();
  return new Promise((resolve, reject) => {
    const proc = spawn(WSGW_BIN, args, {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    liveProcesses.add(proc);
    let stdout = '';
    let stderr = '';
    proc.stdout.setEncoding('utf8').on('data', (chunk) => (stdout += chunk));
    proc.stderr.setEncoding('utf8').on('data', (chunk) => (stderr += chunk));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      proc.kill('SIGKILL');
    }, timeoutMs);
    proc.on('error', (error) => {
      clearTimeout(timer);
      liveProcesses.delete(proc);
      reject(error);
    });
    proc.on('close', (code, signal) => {
      clearTimeout(timer);
      liveProcesses.delete(proc);
      resolve({ code, signal, stdout, stderr, timedOut });
    });
  });
}
