// The gateway's pool of execution environments for a Node.js function (issue 18): each
// environment serves the Invoke API itself, one invocation at a time; the gateway runs at most
// `concurrency` of them at once, queues up to `maxQueued` more and throttles the rest with
// AWS's Internal server error; hot reload and crash recovery still hold while it is loaded.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { connect, request } from './support/client.mjs';
import { startGateway } from './support/gateway.mjs';
import { editFile, makeProject } from './support/hosts.mjs';
import { writeFile } from 'node:fs/promises';

const T = { timeout: 60000 };
const INTERNAL_ERROR =
  /^\{"message": "Internal server error", "connectionId":"[^"]+", "requestId":"[^"]+"\}$/;

async function startApi(fn) {
  const project = await makeProject({ pool: 'node/pool' });
  const api = {
    name: 'pool',
    stage: 'dev',
    functions: { pool: { runtime: 'nodejs', handler: 'pool/index.handler', ...fn } },
    routes: { $default: { function: 'pool', routeResponse: true } },
  };
  const routesFile = path.join(project, 'routes.json');
  await writeFile(routesFile, JSON.stringify(api, null, 2));
  const gateway = await startGateway({
    routes: [],
    args: ['--routes', routesFile],
    readyTimeoutMs: 20000,
  });
  return { project, gateway, stop: () => gateway.stop() };
}

// The most intervals [start, end) that overlap at one instant.
function maxOverlap(replies) {
  const points = replies.flatMap((r) => [
    [r.start, 1],
    [r.end, -1],
  ]);
  points.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let now = 0;
  let most = 0;
  for (const [, step] of points) {
    now += step;
    most = Math.max(most, now);
  }
  return most;
}

// Resolves once `condition()` holds (checked every 20 ms); rejects after `timeoutMs`.
async function until(condition, timeoutMs = 20000) {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms: ${condition}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function replies(ws, count, timeoutMs = 15000) {
  const got = [];
  for (let i = 0; i < count; i++) got.push(await ws.nextMessage(timeoutMs));
  return got;
}

describe('a concurrency limit of 3', () => {
  let api;
  before(async () => {
    api = await startApi({ concurrency: 3 });
  });
  after(() => api?.stop());

  test('eight slow invocations at once run exactly three at a time, in three environments', T, async () => {
    const ws = await connect(api.gateway.wsUrl);
    for (let n = 0; n < 8; n++) ws.send(JSON.stringify({ n, delay: 500 }));
    const answers = (await replies(ws, 8)).map((text) => JSON.parse(text));
    assert.deepEqual(
      answers.map((a) => a.n).sort((a, b) => a - b),
      [0, 1, 2, 3, 4, 5, 6, 7],
    );
    assert.equal(new Set(answers.map((a) => a.pid)).size, 3, JSON.stringify(answers));
    assert.equal(maxOverlap(answers), 3, JSON.stringify(answers));
    // Each environment ran its invocations one after the other.
    for (const pid of new Set(answers.map((a) => a.pid))) {
      assert.equal(maxOverlap(answers.filter((a) => a.pid === pid)), 1);
    }
    // Sequential traffic afterwards stays on one warm environment.
    const sequential = [];
    for (let n = 0; n < 4; n++) sequential.push(JSON.parse(await request(ws, JSON.stringify({ n }))));
    assert.equal(new Set(sequential.map((a) => a.pid)).size, 1);
    ws.close();
  });
});

describe('a bounded queue', () => {
  let api;
  before(async () => {
    api = await startApi({ concurrency: 1, maxQueued: 2 });
  });
  after(() => api?.stop());

  test('past concurrency + maxQueued, invocations get Internal server error at once', T, async () => {
    const ws = await connect(api.gateway.wsUrl);
    await request(ws, JSON.stringify({ n: -1 })); // warm
    const sentAt = Date.now();
    for (let n = 0; n < 6; n++) ws.send(JSON.stringify({ n, delay: 700 }));
    const arrivals = [];
    for (let i = 0; i < 6; i++) {
      const text = await ws.nextMessage(10000);
      arrivals.push({ text, at: Date.now() - sentAt });
    }
    const throttled = arrivals.filter((a) => INTERNAL_ERROR.test(a.text));
    const served = arrivals.filter((a) => !INTERNAL_ERROR.test(a.text)).map((a) => JSON.parse(a.text));
    assert.equal(throttled.length, 3, JSON.stringify(arrivals));
    assert.deepEqual(
      served.map((a) => a.n),
      [0, 1, 2],
      'one running, two queued, served in order',
    );
    for (const t of throttled) assert.ok(t.at < 500, `a throttled answer took ${t.at} ms`);
    assert.ok(
      api.gateway.lines().some((line) => /throttled/.test(line)),
      api.gateway.lines().join('\n'),
    );
    // The queue drains: the function serves again.
    assert.equal(JSON.parse(await request(ws, JSON.stringify({ n: 9 }))).n, 9);
    ws.close();
  });
});

describe('under load', () => {
  let api;
  before(async () => {
    api = await startApi({ concurrency: 2 });
  });
  after(() => api?.stop());

  // Four clients, each sending its next message when the previous one is answered.
  function load(ws, sink, stop) {
    return (async () => {
      for (let n = 0; !stop.done; n++) {
        const sentAt = Date.now();
        const text = await request(ws, JSON.stringify({ n, delay: 20 }), 10000);
        sink.push({ text, sentAt });
      }
    })();
  }

  test('an edit is picked up by every message sent after it, with no failure', T, async () => {
    const clients = await Promise.all([0, 1, 2, 3].map(() => connect(api.gateway.wsUrl)));
    const sink = [];
    const stop = { done: false };
    const running = clients.map((ws) => load(ws, sink, stop));
    await until(() => sink.length >= 20);
    await editFile(path.join(api.project, 'pool', 'index.js'), (text) =>
      text.replace("version: 'v1'", "version: 'v2'"),
    );
    const editedAt = Date.now();
    await until(() => sink.filter((a) => a.sentAt > editedAt).length >= 40);
    stop.done = true;
    await Promise.all(running);
    const answers = sink.map(({ text, sentAt }) => ({ ...JSON.parse(text), sentAt }));
    assert.ok(answers.every((a) => a.version === 'v1' || a.version === 'v2'), 'no failures');
    const late = answers.filter((a) => a.sentAt > editedAt);
    assert.ok(late.length > 10, `only ${late.length} messages after the edit`);
    assert.deepEqual(
      late.filter((a) => a.version !== 'v2'),
      [],
      'a message sent after the edit ran old code',
    );
    assert.ok(answers.some((a) => a.version === 'v1'));
    for (const ws of clients) ws.close();
  });

  test('an environment that exits mid-invocation fails that message only and is replaced', T, async () => {
    const clients = await Promise.all([0, 1, 2].map(() => connect(api.gateway.wsUrl)));
    const sink = [];
    const stop = { done: false };
    const running = clients.map((ws) => load(ws, sink, stop));
    await until(() => sink.length >= 20);
    const victim = await connect(api.gateway.wsUrl);
    assert.match(await request(victim, JSON.stringify({ exit: true }), 10000), INTERNAL_ERROR);
    const crashedAt = Date.now();
    await until(() => sink.filter((a) => a.sentAt > crashedAt).length >= 30);
    stop.done = true;
    await Promise.all(running);
    const answers = sink.map(({ text, sentAt }) => ({ text, sentAt }));
    assert.deepEqual(
      answers.filter((a) => INTERNAL_ERROR.test(a.text)),
      [],
      'the other clients saw no failure',
    );
    const after = answers.filter((a) => a.sentAt > crashedAt).map((a) => JSON.parse(a.text));
    assert.ok(after.length > 10, `only ${after.length} answers after the crash`);
    // Still two environments at most, one of them new.
    assert.ok(new Set(after.map((a) => a.pid)).size <= 2);
    assert.equal(JSON.parse(await request(victim, '{"n":1}')).n, 1);
    assert.ok(
      api.gateway.lines().some((line) => /Runtime\.ExitError|exit status 7/.test(line)),
      'the exit is reported',
    );
    for (const ws of [...clients, victim]) ws.close();
  });
});

describe('WSGW_ENVIRONMENT_PORTS', () => {
  test('a malformed list stops the host at once with status 2 and says why', T, async () => {
    const { spawnSync } = await import('node:child_process');
    const { fileURLToPath } = await import('node:url');
    const hostFile = fileURLToPath(
      new URL('../../lambda-bridge/hosts/node_host.mjs', import.meta.url),
    );
    for (const ports of ['x', '0', '70000', '1,,2', '12,', ' 5']) {
      const run = spawnSync(process.execPath, [hostFile], {
        env: {
          ...process.env,
          WSGW_HANDLER: 'index.handler',
          WSGW_FUNCTION_PORT: '0',
          WSGW_ENVIRONMENT_PORTS: ports,
        },
        timeout: 10000,
        encoding: 'utf8',
      });
      assert.equal(run.status, 2, `${ports}: ${run.stderr}`);
      assert.match(run.stderr, /WSGW_ENVIRONMENT_PORTS must be port numbers/);
    }
  });
});
