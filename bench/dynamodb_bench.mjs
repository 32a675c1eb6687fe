// DynamoDB endpoint benchmark: wsgw-emulate's DynamoDB stand-in and dynalite (the tests' oracle,
// tests/node_modules) measured in one run, the way functions use them: DynamoDBDocumentClient.
//
//   node bench/dynamodb_bench.mjs [--duration 5] [--clients 20] [--max-items 1000000]
//                                 [--seed-seconds 240] [--targets wsgw,dynalite]
//                                 [--bin build/bin/wsgw-emulate]
//
// Part 1, operations: --clients DocumentClients, each on its own keep-alive connection, run
// PutItem, then GetItem, then Query (a 10-item partition) back to back for --duration seconds
// each, after a 1 s warm-up; ops/s, p50 and p99 per operation per target, and CPU per operation
// of the server process (/proc/PID/stat) and of this program (the SDK's share: on two cores the
// client can be the limit).
// Part 2, Query cost against table size: the table grows to 1k, 10k, 100k and 1M items (at most
// --max-items), seeded with BatchWriteItem (25 items a call, 8 calls in flight); at each size 2 s
// of single-client Query of a random 10-item partition: p50 and p99 should stay flat. Seeding a
// target stops at --seed-seconds (its larger sizes are then reported as not reached).
//
// Without a built wsgw-emulate the program says so and measures dynalite alone. Prints a table for people and `metric scenario=dynamodb ...` lines for
// scripts; exits 0 unless it could not run at all.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { spawnDynalite } from '../tests/integration/support/dynalite_process.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const require = createRequire(path.join(ROOT, 'tests', 'package.json'));
const { CreateTableCommand, DynamoDBClient, waitUntilTableExists } = require('@aws-sdk/client-dynamodb');
const { BatchWriteCommand, DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand } =
  require('@aws-sdk/lib-dynamodb');

// --- arguments --------------------------------------------------------------------------------

function parseArgs(argv) {
  const options = {
    duration: 5,
    clients: 20,
    maxItems: 1_000_000,
    seedSeconds: 240,
    targets: ['wsgw', 'dynalite'],
    bin:
      process.env.WSGW_BIN ||
      ['build/bin/wsgw-emulate', 'build-bench/bin/wsgw-emulate']
        .map((p) => path.join(ROOT, p))
        .find((p) => existsSync(p)) ||
      path.join(ROOT, 'build/bin/wsgw-emulate'),
  };
  for (let i = 2; i < argv.length; i += 1) {
    const [flag, value] = [argv[i], argv[i + 1]];
    const number = () => {
      const n = Number(value);
      if (!Number.isFinite(n) || n <= 0) throw new Error(`${flag} expects a positive number, got ${value}`);
      i += 1;
      return n;
    };
    switch (flag) {
      case '--duration': options.duration = number(); break;
      case '--clients': options.clients = Math.round(number()); break;
      case '--max-items': options.maxItems = Math.round(number()); break;
      case '--seed-seconds': options.seedSeconds = number(); break;
      case '--targets': options.targets = value.split(',').filter(Boolean); i += 1; break;
      case '--bin': options.bin = path.resolve(value); i += 1; break;
      case '-h': case '--help':
        console.log(readFileSync(fileURLToPath(import.meta.url), 'utf8').split('\nimport ')[0]);
        process.exit(0);
        break;
      default:
        throw new Error(`unknown argument ${flag} (see --help)`);
    }
  }
  return options;
}

// --- targets ------------------------------------------------------------------------------------

function wsgwMissing(bin) {
  return existsSync(bin) ? null : `wsgw-emulate is not built (${bin})`;
}

const delay = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function startWsgw(bin) {
  const dir = mkdtempSync(path.join(tmpdir(), 'wsgw-ddb-bench-'));
  const routes = path.join(dir, 'routes.json');
  const ready = path.join(dir, 'ready.json');
  writeFileSync(routes, JSON.stringify({
    name: 'bench', stage: 'dev',
    functions: { unused: { url: 'http://127.0.0.1:9/2015-03-31/functions/unused/invocations' } },
    routes: { $default: { function: 'unused' } },
  }));
  const child = spawn(bin, ['--routes', routes, '--port', '0', '--ready-file', ready, '--dynamodb-in-memory'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const exited = new Promise((resolve) => child.on('exit', resolve));
  const deadline = Date.now() + 10000;
  while (!existsSync(ready)) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`wsgw-emulate did not become ready:\n${stderr}`);
    }
    await delay(25);
  }
  await delay(25);
  const { port } = JSON.parse(readFileSync(ready, 'utf8'));
  return {
    endpoint: `http://127.0.0.1:${port}`,
    pid: child.pid,
    async stop() {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function startTarget(name, options) {
  return name === 'wsgw' ? startWsgw(options.bin) : spawnDynalite();
}

// --- measuring ----------------------------------------------------------------------------------

const TICKS_PER_SECOND = 100; // USER_HZ on Linux
function cpuSeconds(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND; // utime + stime
  } catch {
    return NaN;
  }
}

function percentile(sorted, p) {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

function documentClient(endpoint) {
  const client = new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'AKIDWSGWBENCH', secretAccessKey: 'wsgw-bench-secret' },
    maxAttempts: 1,
    // One connection per client, kept alive: the --clients figure is the connections figure.
    requestHandler: { httpAgent: new http.Agent({ keepAlive: true, maxSockets: 1 }), requestTimeout: 10000 },
  });
  return DynamoDBDocumentClient.from(client);
}

async function createTable(doc, TableName) {
  await doc.send(new CreateTableCommand({
    TableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }, { AttributeName: 'sk', AttributeType: 'N' }],
    KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }, { AttributeName: 'sk', KeyType: 'RANGE' }],
  }));
  await waitUntilTableExists({ client: doc, maxWaitTime: 60, minDelay: 1, maxDelay: 1 }, { TableName });
}

const PAYLOAD = 'x'.repeat(100);
// Item i of a seeded table: partitions of 10 items, so a Query returns 10 items at any size.
const seededItem = (i) => ({ pk: `p${Math.floor(i / 10)}`, sk: i % 10, payload: PAYLOAD });

// Writes items [from, to) with BatchWriteItem, `inFlight` calls at a time; stops at deadline.
// Resolves with the count written.
async function seed(clients, TableName, from, to, deadline, inFlight = 8) {
  let next = from;
  let written = from;
  await Promise.all(Array.from({ length: inFlight }, async (_, worker) => {
    const doc = clients[worker % clients.length];
    while (next < to && Date.now() < deadline) {
      const start = next;
      const end = Math.min(start + 25, to);
      next = end;
      let requests = {
        [TableName]: Array.from({ length: end - start }, (_, k) => ({ PutRequest: { Item: seededItem(start + k) } })),
      };
      while (Object.keys(requests).length) {
        const { UnprocessedItems } = await doc.send(new BatchWriteCommand({ RequestItems: requests }));
        requests = UnprocessedItems ?? {};
      }
      written += end - start;
    }
  }));
  return written;
}

// Runs `operation(doc, worker, n)` on every client back to back for `seconds`; latencies in ms.
async function closedLoop(clients, seconds, operation) {
  const latencies = [];
  let errors = 0;
  const deadline = performance.now() + seconds * 1000;
  await Promise.all(clients.map(async (doc, worker) => {
    for (let n = 0; performance.now() < deadline; n += 1) {
      const started = performance.now();
      try {
        await operation(doc, worker, n);
        latencies.push(performance.now() - started);
      } catch {
        errors += 1;
      }
    }
  }));
  return { latencies: latencies.sort((a, b) => a - b), errors };
}

const OPERATIONS = {
  PutItem: (table) => (doc, worker, n) =>
    doc.send(new PutCommand({ TableName: table, Item: { pk: `w${worker}`, sk: n, payload: PAYLOAD } })),
  GetItem: (table, items) => (doc) => {
    const i = Math.floor(Math.random() * items);
    return doc.send(new GetCommand({ TableName: table, Key: { pk: `p${Math.floor(i / 10)}`, sk: i % 10 } }));
  },
  Query: (table, items) => async (doc) => {
    const partition = Math.floor((Math.random() * items) / 10);
    const { Count } = await doc.send(new QueryCommand({
      TableName: table,
      KeyConditionExpression: 'pk = :p',
      ExpressionAttributeValues: { ':p': `p${partition}` },
    }));
    if (Count !== 10) throw new Error(`a partition of 10 items answered ${Count}`);
  },
};

// --- the run ------------------------------------------------------------------------------------

const options = parseArgs(process.argv);
const notes = [];
const targets = [];
for (const name of options.targets) {
  if (name === 'wsgw') {
    const why = wsgwMissing(options.bin);
    if (why) {
      notes.push(`wsgw not measured: ${why}; dynalite only`);
      continue;
    }
  } else if (name !== 'dynalite') {
    throw new Error(`unknown target ${name} (wsgw, dynalite)`);
  }
  targets.push(name);
}
for (const note of notes) console.error(`[dynamodb bench] ${note}`);
if (!targets.length) {
  console.error('[dynamodb bench] nothing to measure');
  process.exit(1);
}

const metrics = [];
const metric = (target, name, value, unit) => metrics.push({ target, name, value, unit });
const round = (x, digits = 3) => (Number.isFinite(x) ? Number(x.toPrecision(digits)) : x);
const SIZES = [1_000, 10_000, 100_000, 1_000_000].filter((size) => size <= options.maxItems);
if (!SIZES.length || SIZES.at(-1) < options.maxItems) SIZES.push(options.maxItems);
const opRows = [];
const curveRows = [];

for (const name of targets) {
  const server = await startTarget(name, options);
  const clients = Array.from({ length: options.clients }, () => documentClient(server.endpoint));
  try {
    console.error(`[dynamodb bench] ${name} at ${server.endpoint}`);
    const table = 'bench_ops';
    const items = 10_000;
    await createTable(clients[0], table);
    await seed(clients, table, 0, items, Date.now() + options.seedSeconds * 1000);

    for (const [op, make] of Object.entries(OPERATIONS)) {
      const operation = make(table, items);
      await closedLoop(clients, 1, operation);
      const cpuBefore = cpuSeconds(server.pid);
      const clientCpuBefore = process.cpuUsage();
      const { latencies, errors } = await closedLoop(clients, options.duration, operation);
      const cpu = cpuSeconds(server.pid) - cpuBefore;
      const clientCpu = process.cpuUsage(clientCpuBefore);
      const perSecond = latencies.length / options.duration;
      const row = {
        target: name, op, perSecond, p50: percentile(latencies, 50), p99: percentile(latencies, 99),
        cpuUs: (cpu / latencies.length) * 1e6,
        clientCpuUs: (clientCpu.user + clientCpu.system) / latencies.length, errors,
      };
      opRows.push(row);
      const key = op.toLowerCase().replace('item', '');
      metric(name, `${key}_ops_per_second`, round(perSecond), 'ops/s');
      metric(name, `${key}_p50`, round(row.p50), 'ms');
      metric(name, `${key}_p99`, round(row.p99), 'ms');
      metric(name, `${key}_server_cpu_per_op`, round(row.cpuUs), 'us');
      metric(name, `${key}_client_cpu_per_op`, round(row.clientCpuUs), 'us');
      if (errors) metric(name, `${key}_errors`, errors, 'count');
    }

    const curveTable = 'bench_curve';
    await createTable(clients[0], curveTable);
    const deadline = Date.now() + options.seedSeconds * 1000;
    let have = 0;
    for (const size of SIZES) {
      const started = Date.now();
      have = await seed(clients, curveTable, have, size, deadline);
      if (have < size) {
        curveRows.push({ target: name, size, reached: have });
        notes.push(`${name}: seeding stopped at ${have} items (--seed-seconds ${options.seedSeconds}); ${size} not reached`);
        break;
      }
      const seedSeconds = (Date.now() - started) / 1000;
      const operation = OPERATIONS.Query(curveTable, size);
      await closedLoop(clients.slice(0, 1), 0.5, operation);
      const { latencies } = await closedLoop(clients.slice(0, 1), 2, operation);
      curveRows.push({ target: name, size, p50: percentile(latencies, 50), p99: percentile(latencies, 99), seedSeconds });
      metric(name, `query_p50_at_${size}_items`, round(percentile(latencies, 50)), 'ms');
      metric(name, `query_p99_at_${size}_items`, round(percentile(latencies, 99)), 'ms');
      console.error(`[dynamodb bench] ${name}: ${size} items (seeded in ${seedSeconds.toFixed(1)} s)`);
    }
  } finally {
    for (const doc of clients) doc.destroy();
    await server.stop();
  }
}

// --- report -------------------------------------------------------------------------------------

const pad = (value, width) => String(value).padStart(width);
console.log('');
console.log(`DynamoDB operations: ${options.clients} DocumentClients, one keep-alive connection each, ${options.duration} s per operation`);
console.log('target    operation       ops/s     p50 ms     p99 ms   server CPU/op us   client CPU/op us   errors');
for (const row of opRows) {
  console.log(`${row.target.padEnd(9)} ${row.op.padEnd(9)} ${pad(round(row.perSecond, 4), 11)} ${pad(round(row.p50), 10)} ` +
    `${pad(round(row.p99), 10)} ${pad(round(row.cpuUs), 18)} ${pad(round(row.clientCpuUs), 18)} ${pad(row.errors, 8)}`);
}
console.log('');
console.log('Query of a 10-item partition against table size (one client, 2 s per size)');
console.log('target        items     p50 ms     p99 ms   seeded in s');
for (const row of curveRows) {
  if (row.reached !== undefined) {
    console.log(`${row.target.padEnd(9)} ${pad(row.size, 9)}   not reached (seeding stopped at ${row.reached})`);
  } else {
    console.log(`${row.target.padEnd(9)} ${pad(row.size, 9)} ${pad(round(row.p50), 10)} ${pad(round(row.p99), 10)} ${pad(row.seedSeconds.toFixed(1), 13)}`);
  }
}
for (const note of notes) console.log(`note: ${note}`);
console.log('');
for (const { target, name, value, unit } of metrics) {
  console.log(`metric scenario=dynamodb target=${target} name=${name} value=${value} unit=${unit}`);
}
