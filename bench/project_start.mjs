// How long a user's project takes to come up under wsgw: for each fixture project, a bare
// `wsgw-emulate` in (a copy of) its folder, timed from spawn to the ready file and to the first
// WebSocket that opens (which includes the first $connect: for TypeScript handlers, their esbuild
// bundle); then, for TypeScript, how long a saved edit takes to be served (the time from writing
// the file to the first message answered by the new code).
//
//   node bench/project_start.mjs [--runs 5] [--bin build/bin/wsgw-emulate]
//
// Prints a table and `metric project_start.FIXTURE.{ready,first_connect}_ms MEDIAN` lines.
import { spawn } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import WebSocket from '../tests/node_modules/ws/index.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const TESTS = path.join(ROOT, 'tests');

function option(name, fallback) {
  const at = process.argv.indexOf(`--${name}`);
  return at > 0 && at + 1 < process.argv.length ? process.argv[at + 1] : fallback;
}
const RUNS = Number(option('runs', '5'));
const BIN = path.resolve(option('bin', path.join(ROOT, 'build/bin/wsgw-emulate')));

// Each fixture: the query that lets its $connect succeed, and (TypeScript) a file and a message
// whose answer shows an edit was served.
const FIXTURES = [
  { name: 'serverless-ts', query: '?roomId=bench&token=bench', edit: {
      file: 'src/handlers/message.ts', from: "'unknown action'", to: "'edited action'",
      send: { action: 'nothing' }, expect: 'edited action' } },
  { name: 'sam-python', query: '?room=bench&token=bench' },
  { name: 'cdk-node', query: '?room=bench' },
].filter((f) => existsSync(path.join(ROOT, 'fixtures/projects', f.name)));

const env = {
  ...process.env,
  AWS_ACCESS_KEY_ID: 'AKIDBENCH',
  AWS_SECRET_ACCESS_KEY: 'bench',
  AWS_REGION: 'us-east-1',
  AWS_DEFAULT_REGION: 'us-east-1',
  AWS_EC2_METADATA_DISABLED: 'true',
};

const delay = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function open(url) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    ws.once('error', reject);
  });
}

async function startOnce(dir, query) {
  const ready = path.join(dir, '.bench-ready.json');
  await rm(ready, { force: true });
  const started = performance.now();
  const proc = spawn(BIN, ['--port', '0', '--ready-file', ready, '--dynamodb-in-memory'], {
    cwd: dir,
    env,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  proc.stderr.on('data', (chunk) => (stderr += chunk));
  let info;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`wsgw-emulate exited: ${stderr}`);
    if (existsSync(ready)) {
      try {
        info = JSON.parse(await readFile(ready, 'utf8'));
        break;
      } catch {
        // mid-write
      }
    }
    if (performance.now() - started > 60000) throw new Error(`no ready file: ${stderr}`);
    await delay(2);
  }
  const readyMs = performance.now() - started;
  const ws = await open(info.websocketUrl + query);
  const connectMs = performance.now() - started;
  return { proc, ws, readyMs, connectMs };
}

async function stop(proc) {
  proc.kill('SIGTERM');
  await new Promise((resolve) => proc.once('exit', resolve));
}

async function editOnce(dir, ws, edit, round) {
  const file = path.join(dir, edit.file);
  const text = await readFile(file, 'utf8');
  const marker = `${edit.to.slice(0, -1)} ${round}'`;
  const written = performance.now();
  await writeFile(file, text.replace(/'(unknown|edited) action[^']*'/, marker));
  for (;;) {
    const answer = await new Promise((resolve) => {
      ws.once('message', (data) => resolve(String(data)));
      ws.send(JSON.stringify(edit.send));
    });
    if (answer.includes(marker.slice(1, -1))) return performance.now() - written;
    if (performance.now() - written > 20000) throw new Error('the edit was never served');
    await delay(5);
  }
}

const rows = [];
for (const fixture of FIXTURES) {
  const dir = await mkdtemp(path.join(TESTS, '.tmp-bench-'));
  try {
    await cp(path.join(ROOT, 'fixtures/projects', fixture.name), dir, { recursive: true });
    const ready = [];
    const connect = [];
    const rebuild = [];
    for (let run = 0; run < RUNS; ++run) {
      const { proc, ws, readyMs, connectMs } = await startOnce(dir, fixture.query);
      ready.push(readyMs);
      connect.push(connectMs);
      if (fixture.edit) rebuild.push(await editOnce(dir, ws, fixture.edit, run));
      ws.terminate();
      await stop(proc);
    }
    rows.push({ name: fixture.name, ready, connect, rebuild });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const ms = (x) => `${x.toFixed(0)} ms`;
console.log(`wsgw-emulate start-up per project (${RUNS} runs each, median [min-max])`);
console.log('project          start->ready            start->first $connect   TS edit->served');
for (const { name, ready, connect, rebuild } of rows) {
  const cell = (xs) =>
    xs.length ? `${ms(median(xs))} [${ms(Math.min(...xs))}-${ms(Math.max(...xs))}]` : '-';
  console.log(`${name.padEnd(16)} ${cell(ready).padEnd(23)} ${cell(connect).padEnd(23)} ${cell(rebuild)}`);
}
for (const { name, ready, connect, rebuild } of rows) {
  console.log(`metric project_start.${name}.ready_ms ${median(ready).toFixed(1)}`);
  console.log(`metric project_start.${name}.first_connect_ms ${median(connect).toFixed(1)}`);
  if (rebuild.length) console.log(`metric project_start.${name}.ts_edit_ms ${median(rebuild).toFixed(1)}`);
}
