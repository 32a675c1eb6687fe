// How long a project takes to come up, and a TypeScript handler to rebuild after an edit.
//
//   node bench/project_cdk_start.mjs [--runs 5] [--bin build/bin/wsgw-emulate]
//
// start-to-ready: wsgw-emulate started with no arguments but --port 0, --ready-file and
// --dynamodb-in-memory in a copy of fixtures/projects/cdk-node (discovery, template import, three
// Node.js hosts loading their asset), from spawn to the ready file (polled every 2 ms).
// rebuild: the Node.js host serving fixtures/handlers/node/typescript's message.ts; after an
// edit of the .ts module it imports, the host's own figures (esbuild's build, and change to
// ready) and the first invocation's answer time. The copies live in tests/.tmp-* so the SDK
// resolves from tests/node_modules (run `npm ci` in tests/ and lambda-bridge/hosts/ first).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = fileURLToPath(new URL('../', import.meta.url));
const args = process.argv.slice(2);
const option = (name, fallback) => {
  const at = args.indexOf(name);
  return at >= 0 ? args[at + 1] : fallback;
};
const RUNS = Number(option('--runs', '5'));
const BIN = path.resolve(option('--bin', path.join(REPO, 'build/bin/wsgw-emulate')));
const delay = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};
const round = (ms) => Math.round(ms * 10) / 10;

async function copy(fixture) {
  const dir = await mkdtemp(path.join(REPO, 'tests', '.tmp-bench-'));
  await cp(path.join(REPO, 'fixtures', fixture), dir, { recursive: true });
  return dir;
}

async function startToReady(project) {
  const readyFile = path.join(project, 'ready.json');
  await rm(readyFile, { force: true });
  const started = performance.now();
  const proc = spawn(BIN, ['--port', '0', '--ready-file', readyFile, '--dynamodb-in-memory'], {
    cwd: project,
    stdio: ['ignore', 'ignore', 'ignore'],
  });
  let exited = false;
  const gone = new Promise((resolve) => proc.on('exit', () => resolve((exited = true))));
  while (!existsSync(readyFile)) {
    if (exited) throw new Error(`${BIN} exited before it was ready (in ${project})`);
    if (performance.now() - started > 30000) throw new Error('not ready within 30 s');
    await delay(2);
  }
  const ms = performance.now() - started;
  proc.kill('SIGTERM');
  await gone;
  return ms;
}

function invoke(port) {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const body = JSON.stringify({ requestContext: { routeKey: '$default', connectionId: 'c' }, body: 'b' });
    const req = request(
      { host: '127.0.0.1', port, method: 'POST', path: '/2015-03-31/functions/fn/invocations' },
      (res) => {
        res.resume();
        res.on('end', () => resolve(performance.now() - started));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

async function rebuilds(project) {
  const lines = [];
  const proc = spawn(process.execPath, [path.join(REPO, 'lambda-bridge/hosts/node_host.mjs')], {
    cwd: project,
    env: {
      ...process.env,
      WSGW_FUNCTION_HOST: '127.0.0.1',
      WSGW_FUNCTION_PORT: '0',
      WSGW_HANDLER: 'src/handlers/message.handler',
      WSGW_HANDLER_ROOT: project,
      WSGW_HOST_LOG_LEVEL: 'debug',
      AWS_REGION: 'us-east-1',
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  proc.stderr.setEncoding('utf8');
  let pending = '';
  proc.stderr.on('data', (chunk) => {
    pending += chunk;
    const parts = pending.split('\n');
    pending = parts.pop();
    lines.push(...parts);
  });
  const waitFor = async (regex, from = 0) => {
    for (let i = 0; i < 2000; i++) {
      const found = lines.slice(from).find((line) => regex.test(line));
      if (found) return found;
      await delay(5);
    }
    throw new Error(`no line ${regex}:\n${lines.join('\n')}`);
  };
  const port = Number((await waitFor(/on http:\/\/127\.0\.0\.1:\d+/)).match(/127\.0\.0\.1:(\d+)/)[1]);
  await waitFor(/bundled .*message\.ts/);
  await invoke(port);
  const results = [];
  const lib = path.join(project, 'src/lib/greeting.ts');
  const original = await readFile(lib, 'utf8');
  for (let run = 0; run < RUNS; run++) {
    const mark = lines.length;
    await delay(1100); // a new mtime second, as an editor's save would be
    await writeFile(lib, original.replace('hello, ', `hello ${run}, `));
    const answered = await invoke(port);
    const line = await waitFor(/bundled .*message\.ts in [\d.]+ ms, ready \d+ ms after the change/, mark);
    const [, build, ready] = line.match(/in ([\d.]+) ms, ready (\d+) ms/);
    results.push({ build: Number(build), ready: Number(ready), answered });
  }
  proc.kill('SIGTERM');
  return results;
}

const cdk = await copy('projects/cdk-node');
const ts = await copy('handlers/node/typescript');
try {
  await startToReady(cdk); // warm the page cache; not counted
  const starts = [];
  for (let run = 0; run < RUNS; run++) starts.push(await startToReady(cdk));
  const rebuilt = await rebuilds(ts);

  console.log('figure                                   median     runs (ms)');
  const row = (name, values) =>
    console.log(`${name.padEnd(40)} ${String(round(median(values))).padStart(7)}    ${values.map(round).join(' ')}`);
  row('cdk-node start-to-ready', starts);
  row('ts rebuild: esbuild build', rebuilt.map((r) => r.build));
  row('ts rebuild: change to new worker ready', rebuilt.map((r) => r.ready));
  row('ts rebuild: invoke after edit answered', rebuilt.map((r) => r.answered));
  console.log(`metric cdk_start_to_ready_ms ${round(median(starts))}`);
  console.log(`metric ts_rebuild_build_ms ${round(median(rebuilt.map((r) => r.build)))}`);
  console.log(`metric ts_rebuild_ready_ms ${round(median(rebuilt.map((r) => r.ready)))}`);
  console.log(`metric ts_rebuild_invoke_ms ${round(median(rebuilt.map((r) => r.answered)))}`);
} finally {
  await rm(cdk, { recursive: true, force: true });
  await rm(ts, { recursive: true, force: true });
}
