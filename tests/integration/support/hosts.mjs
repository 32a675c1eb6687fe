// Helpers for the tests of lambda-bridge's Node.js and Python hosts.
//
// makeProject() copies sample Lambda projects from fixtures/handlers into a fresh folder under
// tests/ (tests/.tmp-XXXXXX, git-ignored), so that a handler importing
// @aws-sdk/client-apigatewaymanagementapi finds it in tests/node_modules exactly as a deployed
// handler finds its project's own node_modules. startHost() runs a host directly with the
// environment the gateway gives a started function (see lambda-bridge/README.md) and port 0.
// Every host and folder made here is removed in a top-level `after` hook.
import { spawn } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after } from 'node:test';
import { fileURLToPath } from 'node:url';
import { collectLines } from './gateway.mjs';

export const HOSTS_DIR =
  process.env.WSGW_HOSTS_DIR ||
  fileURLToPath(new URL('../../../lambda-bridge/hosts/', import.meta.url));
const FIXTURES_DIR =
  process.env.WSGW_FIXTURES || fileURLToPath(new URL('../../../fixtures/', import.meta.url));
const TESTS_DIR = fileURLToPath(new URL('../../', import.meta.url));
export const PYTHON = process.env.WSGW_PYTHON || 'python3';

const liveHosts = new Set();
const projects = new Set();

after(async () => {
  await Promise.all([...liveHosts].map((host) => host.stop()));
  await Promise.all([...projects].map((dir) => rm(dir, { recursive: true, force: true })));
  projects.clear();
});
process.on('exit', () => {
  for (const host of liveHosts) host.proc.kill('SIGKILL');
});

const delay = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// parts: {"destination folder": "node/chat", ...} relative to fixtures/handlers. Resolves with
// the new project folder.
export async function makeProject(parts) {
  const dir = await mkdtemp(path.join(TESTS_DIR, '.tmp-'));
  projects.add(dir);
  for (const [destination, source] of Object.entries(parts)) {
    await cp(path.join(FIXTURES_DIR, 'handlers', source), path.join(dir, destination), {
      recursive: true,
    });
  }
  return dir;
}

// Rewrites a file of a project: replace(text) returns the new content.
export async function editFile(file, replace) {
  const before = await readFile(file, 'utf8');
  const edited = replace(before);
  if (edited === before) throw new Error(`editing ${file} changed nothing`);
  await writeFile(file, edited);
}

// Starts the host for `runtime` ("nodejs" or "python") serving `handler` from `root`. `env`
// entries override the inherited environment; an entry whose value is undefined removes it.
export async function startHost({
  runtime,
  root,
  handler,
  name = 'fn',
  timeoutSeconds = 29,
  env = {},
  readyTimeoutMs = 10000,
  python = PYTHON, // the interpreter of a Python host
}) {
  const script = path.join(HOSTS_DIR, runtime === 'python' ? 'python_host.py' : 'node_host.mjs');
  const command = runtime === 'python' ? python : process.execPath;
  const baseEnv = { ...process.env };
  delete baseEnv.NODE_TEST_CONTEXT;
  const proc = spawn(command, [script], {
    cwd: root,
    env: {
      ...baseEnv,
      WSGW_FUNCTION_HOST: '127.0.0.1',
      WSGW_FUNCTION_PORT: '0',
      WSGW_FUNCTION_NAME: name,
      AWS_LAMBDA_FUNCTION_NAME: name,
      AWS_LAMBDA_FUNCTION_TIMEOUT: String(timeoutSeconds),
      WSGW_HANDLER: handler,
      WSGW_HANDLER_ROOT: root,
      AWS_REGION: 'us-east-1',
      AWS_DEFAULT_REGION: 'us-east-1',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });

  const stdout = [];
  const stderr = [];
  const waiters = new Set();
  const sink = (target) => (line) => {
    target.push(line);
    for (const waiter of waiters) waiter();
  };
  collectLines(proc.stdout, sink(stdout));
  collectLines(proc.stderr, sink(stderr));
  let exit = null;
  const exited = new Promise((resolve) => {
    proc.on('exit', (code, signal) => {
      exit = { code, signal };
      liveHosts.delete(host);
      resolve(exit);
    });
  });
  const closed = new Promise((resolve) => proc.on('close', resolve));

  const host = {
    proc,
    exited,
    stdoutLines: () => [...stdout],
    stderrLines: () => [...stderr],
    lines: () => [...stdout, ...stderr],
    // Resolves with the first line of either stream (past or future) matching regex.
    waitForLine(regex, timeoutMs = 5000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = [...stdout, ...stderr].find((line) => regex.test(line));
          if (found === undefined) return false;
          clearTimeout(timer);
          waiters.delete(check);
          resolve(found);
          return true;
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(
            new Error(
              `no host output matched ${regex} within ${timeoutMs} ms:\n${host.lines().join('\n')}`,
            ),
          );
        }, timeoutMs);
        if (!check()) waiters.add(check);
      });
    },
    // POSTs `event` (an object, or raw text) to the invoke URL: {status, headers, text, json}.
    async invoke(event, { headers = {}, path: invokePath } = {}) {
      const response = await fetch(
        invokePath ? `http://127.0.0.1:${host.port}${invokePath}` : host.url,
        {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', ...headers },
          body: typeof event === 'string' ? event : JSON.stringify(event),
        },
      );
      const text = await response.text();
      let json;
      try {
        json = JSON.parse(text);
      } catch {
        json = undefined;
      }
      return { status: response.status, headers: response.headers, text, json };
    },
    async stop(signal = 'SIGTERM') {
      if (!exit) proc.kill(signal);
      const stopped = await Promise.race([exited, delay(5000).then(() => null)]);
      if (!stopped) {
        proc.kill('SIGKILL');
        await exited;
      }
      await closed;
      return exit;
    },
  };
  liveHosts.add(host);

  const serving = /serving .* on http:\/\/[^:]+:(\d+)\//;
  let line;
  try {
    line = await Promise.race([
      host.waitForLine(serving, readyTimeoutMs),
      exited.then(() => {
        throw new Error('exited');
      }),
    ]);
  } catch (error) {
    await host.stop('SIGKILL');
    throw new Error(
      `the ${runtime} host did not start (${error.message}): ${command} ${script}\n${host.lines().join('\n')}`,
    );
  }
  host.port = Number(serving.exec(line)[1]);
  host.url = `http://127.0.0.1:${host.port}/2015-03-31/functions/${name}/invocations`;
  return host;
}
