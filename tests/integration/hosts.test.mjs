// Lambda handlers written for Node.js and Python, run unchanged as `runtime` functions and
// driven through the real gateway by real WebSocket clients.
//
// Each API is a sample project copied from fixtures/handlers into tests/.tmp-XXXXXX with its
// routes.json beside it, so handlers resolve relative to the routes file as the gateway promises,
// and the Node.js handlers find @aws-sdk/client-apigatewaymanagementapi in tests/node_modules.
//
// WSGW_HOSTS_VIA_URL=1 runs the same scenarios with the hosts started by the test itself (with
// the gateway's environment contract) and reached as `url` functions: for a gateway build that
// does not start `runtime` functions yet.
import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { connect, request, tryConnect } from './support/client.mjs';
import { startGateway } from './support/gateway.mjs';
import { editFile, makeProject, startHost } from './support/hosts.mjs';

const T = { timeout: 30000 };
const VIA_URL = process.env.WSGW_HOSTS_VIA_URL === '1';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const INTERNAL_ERROR =
  /^\{"message": "Internal server error", "connectionId":"[^"]+", "requestId":"[^"]+"\}$/;

// Starts a gateway serving `routes` with `functions` ({name: {runtime, handler, ...}}) from a
// project made of fixture folders (`parts`, as for makeProject).
async function startApi(parts, { functions, routes }) {
  const project = await makeProject(parts);
  const hosts = [];
  const config = {};
  for (const [name, fn] of Object.entries(functions)) {
    if (!VIA_URL) {
      config[name] = fn;
      continue;
    }
    const host = await startHost({
      runtime: fn.runtime,
      root: project,
      handler: fn.handler,
      name,
      timeoutSeconds: Math.ceil((fn.timeoutMs ?? 29000) / 1000),
      env: fn.env,
    });
    hosts.push(host);
    config[name] = { url: host.url, ...(fn.timeoutMs ? { timeoutMs: fn.timeoutMs } : {}) };
  }
  const api = { name: 'hosts', stage: 'dev', functions: config, routes };
  let gateway;
  if (VIA_URL) {
    gateway = await startGateway({ routes: api });
  } else {
    const routesFile = path.join(project, 'routes.json');
    await writeFile(routesFile, JSON.stringify(api, null, 2));
    gateway = await startGateway({
      routes: [],
      args: ['--routes', routesFile],
      readyTimeoutMs: 20000,
    });
  }
  return {
    project,
    gateway,
    // What the functions printed: relayed by the gateway, or straight from the test's hosts.
    output: () => [...gateway.lines(), ...hosts.flatMap((host) => host.lines())],
    async stop() {
      await gateway.stop();
      await Promise.all(hosts.map((host) => host.stop()));
    },
  };
}

// Resolves with the first JSON message on ws matching predicate; `skipped` collects the others.
async function receive(ws, predicate, skipped = [], timeoutMs = 5000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const text = await ws.nextMessage(Math.max(deadline - Date.now(), 1));
    const message = JSON.parse(text);
    if (predicate(message)) return message;
    skipped.push(message);
  }
}

describe('a Node.js chat backend replying through @aws-sdk/client-apigatewaymanagementapi', () => {
  let api;
  before(async () => {
    const chat = { function: 'chat' };
    api = await startApi(
      { chat: 'node/chat' },
      {
        functions: { chat: { runtime: 'nodejs', handler: 'chat/src/handlers/message.handler' } },
        routes: {
          $connect: chat,
          $disconnect: chat,
          $default: chat,
          setName: chat,
          sendPublic: chat,
          sendPrivate: chat,
        },
      },
    );
  });
  after(() => api?.stop());

  test('members join, talk in public and in private, and leave', T, async () => {
    const alice = await connect(api.gateway.wsUrl);
    const bob = await connect(api.gateway.wsUrl);

    alice.send(JSON.stringify({ action: 'setName', name: 'alice' }));
    assert.deepEqual(await receive(alice, (m) => m.members), { members: ['alice'] });
    assert.deepEqual(await receive(alice, (m) => m.systemMessage), {
      systemMessage: 'alice has joined the chat',
    });

    bob.send(JSON.stringify({ action: 'setName', name: 'bob' }));
    for (const ws of [alice, bob]) {
      assert.deepEqual(await receive(ws, (m) => m.members), { members: ['alice', 'bob'] });
      assert.deepEqual(await receive(ws, (m) => m.systemMessage), {
        systemMessage: 'bob has joined the chat',
      });
    }

    alice.send(JSON.stringify({ action: 'sendPublic', message: 'hello everyone' }));
    for (const ws of [alice, bob]) {
      assert.deepEqual(await receive(ws, (m) => m.publicMessage), {
        publicMessage: 'alice: hello everyone',
      });
    }

    bob.send(JSON.stringify({ action: 'sendPrivate', to: 'alice', message: 'psst' }));
    assert.deepEqual(await receive(alice, (m) => m.privateMessage), {
      privateMessage: 'bob: psst',
    });
    bob.send(JSON.stringify({ action: 'sendPublic', message: 'marker' }));
    const seenByBob = [];
    await receive(bob, (m) => m.publicMessage === 'bob: marker', seenByBob);
    assert.deepEqual(seenByBob, [], 'bob got only the public marker');

    alice.send(JSON.stringify({ action: 'dance' }));
    const unknown = await receive(alice, (m) => m.error);
    assert.equal(unknown.error, 'unknown action');
    assert.match(unknown.requestId, UUID);

    bob.close();
    assert.deepEqual(await receive(alice, (m) => m.systemMessage), {
      systemMessage: 'bob has left the chat',
    });
    assert.deepEqual(await receive(alice, (m) => m.members), { members: ['alice'] });
    alice.close();
  });
});

describe('a CommonJS handler in the callback style', () => {
  let api;
  before(async () => {
    const echo = { function: 'echo' };
    api = await startApi(
      { callback: 'node/callback' },
      {
        functions: { echo: { runtime: 'nodejs', handler: 'callback/index.handler' } },
        routes: { $connect: echo, $default: { function: 'echo', routeResponse: true } },
      },
    );
  });
  after(() => api?.stop());

  test('answers a two-way route through its callback, with the Lambda context', T, async () => {
    const ws = await connect(api.gateway.wsUrl);
    const first = JSON.parse(await request(ws, 'hello'));
    assert.equal(first.echo, 'hello');
    assert.equal(first.functionName, 'echo');
    assert.match(first.awsRequestId, UUID);
    const second = JSON.parse(await request(ws, 'again'));
    assert.equal(second.echo, 'again');
    assert.ok(
      second.invocations > first.invocations,
      'module state persists in a warm environment',
    );
    ws.close();
  });
});

describe('a Python handler replying through boto3', () => {
  let api;
  before(async () => {
    const py = { function: 'py' };
    api = await startApi(
      { chat: 'python/chat' },
      {
        functions: { py: { runtime: 'python', handler: 'chat/app.lambda_handler' } },
        routes: { $connect: py, $disconnect: py, $default: py, setName: py, sendPublic: py },
      },
    );
  });
  after(() => api?.stop());

  test(
    'members join and talk; a message on $default is answered with the Lambda context',
    T,
    async () => {
      const ann = await connect(api.gateway.wsUrl);
      const ben = await connect(api.gateway.wsUrl);
      ann.send(JSON.stringify({ action: 'setName', name: 'ann' }));
      assert.deepEqual(await receive(ann, (m) => m.members), { members: ['ann'] });
      ben.send(JSON.stringify({ action: 'setName', name: 'ben' }));
      for (const ws of [ann, ben])
        assert.deepEqual(await receive(ws, (m) => m.members), { members: ['ann', 'ben'] });

      ann.send(JSON.stringify({ action: 'sendPublic', message: 'hi from python' }));
      for (const ws of [ann, ben]) {
        assert.deepEqual(await receive(ws, (m) => m.publicMessage), {
          publicMessage: 'ann: hi from python',
        });
      }

      ben.send('who am i?');
      const whoami = await receive(ben, (m) => m.requestId);
      assert.ok(whoami.connectionId);
      assert.equal(whoami.functionName, 'py');
      assert.match(whoami.requestId, UUID);
      assert.ok(whoami.remainingTimeInMillis > 0);
      ann.close();
      ben.close();
    },
  );

  test('a $connect handler that raises refuses the handshake with 502', T, async () => {
    const outcome = await tryConnect(`${api.gateway.wsUrl}?fail=1`);
    assert.equal(outcome.opened, false);
    assert.equal(outcome.status, 502);
  });
});

describe('handlers that fail', () => {
  let api;
  before(async () => {
    const ok = { function: 'ok', routeResponse: true };
    api = await startApi(
      { app: 'node/basic', broken: 'node/broken' },
      {
        functions: {
          ok: { runtime: 'nodejs', handler: 'app/src/handlers/slow.handler' },
          throws: { runtime: 'nodejs', handler: 'app/src/handlers/throws.handler' },
          broken: { runtime: 'nodejs', handler: 'broken/syntax_error.handler' },
        },
        routes: {
          $connect: { function: 'ok' },
          $default: ok,
          explode: { function: 'throws', routeResponse: true },
          broken: { function: 'broken' },
        },
      },
    );
  });
  after(() => api?.stop());

  test(
    "a handler that throws gets the client AWS's Internal server error frame; the socket stays open",
    T,
    async () => {
      const ws = await connect(api.gateway.wsUrl);
      assert.match(await request(ws, JSON.stringify({ action: 'explode' })), INTERNAL_ERROR);
      assert.equal(await request(ws, '{"still":"open"}'), '{"still":"open"}');
      ws.close();
    },
  );

  test(
    'a handler with a syntax error: its loader error is reported once, each message gets Internal server error',
    T,
    async () => {
      const ws = await connect(api.gateway.wsUrl);
      for (let attempt = 0; attempt < 3; attempt++) {
        assert.match(
          await request(ws, JSON.stringify({ action: 'broken', attempt })),
          INTERNAL_ERROR,
        );
      }
      const output = api.output();
      const reports = output.filter((line) =>
        /cannot load handler "broken\/syntax_error\.handler"/.test(line),
      );
      assert.equal(reports.length, 1, output.join('\n'));
      assert.ok(
        output.some((line) => /syntax_error\.mjs:\d+/.test(line)),
        `no file:line in\n${output.join('\n')}`,
      );
      assert.ok(output.some((line) => /SyntaxError: /.test(line)));
      assert.equal(
        await request(ws, '{"fine":true}'),
        '{"fine":true}',
        'the other functions still serve',
      );
      ws.close();
    },
  );
});

describe('an edit to a handler while clients are connected', () => {
  let api;
  before(async () => {
    api = await startApi(
      { node: 'node/versioned', python: 'python/versioned' },
      {
        functions: {
          node: {
            runtime: 'nodejs',
            handler: 'node/index.handler',
            env: { WSGW_RELOAD_IGNORE: 'data,*.csv' },
          },
          python: {
            runtime: 'python',
            handler: 'python/app.lambda_handler',
            env: { WSGW_RELOAD_IGNORE: 'data,*.csv' },
          },
        },
        routes: {
          $connect: { function: 'node' },
          node: { function: 'node', routeResponse: true },
          python: { function: 'python', routeResponse: true },
        },
      },
    );
  });
  after(() => api?.stop());

  test(
    'skips what WSGW_RELOAD_IGNORE names and data files: the module (and its state) stays',
    T,
    async () => {
      const ws = await connect(api.gateway.wsUrl);
      const ask = async (action) => JSON.parse(await request(ws, JSON.stringify({ action })));
      for (const runtime of ['node', 'python']) {
        const first = await ask(runtime);
        await mkdir(path.join(api.project, 'data'), { recursive: true });
        await writeFile(path.join(api.project, 'data', `${runtime}.json`), '{"saved": 1}');
        await writeFile(path.join(api.project, `${runtime}-export.csv`), 'a,b\n');
        await writeFile(path.join(api.project, `${runtime}.sqlite`), 'not code');
        const second = await ask(runtime);
        assert.equal(second.invocations, first.invocations + 1, `${runtime}: reloaded for data`);
        // Anything else under the root is code: the next invocation runs in a fresh module.
        await writeFile(path.join(api.project, `${runtime}-notes.txt`), 'code, maybe');
        const third = await ask(runtime);
        assert.equal(third.invocations, 1, `${runtime}: not reloaded for a new file`);
      }
      ws.close();
    },
  );

  test(
    'is picked up by the next message, without restarting the gateway or dropping the client',
    T,
    async () => {
      const ws = await connect(api.gateway.wsUrl);
      const ask = async (action) =>
        JSON.parse(await request(ws, JSON.stringify({ action }))).version;
      assert.equal(await ask('node'), 'v1');
      assert.equal(await ask('python'), 'v1');

      await editFile(path.join(api.project, 'node', 'index.js'), (text) =>
        text.replace("'v1'", "'v2'"),
      );
      assert.equal(await ask('node'), 'v2');
      await editFile(path.join(api.project, 'python', 'app.py'), (text) =>
        text.replace('"v1"', '"v2"'),
      );
      assert.equal(await ask('python'), 'v2');

      const original = await readFile(path.join(api.project, 'node', 'index.js'), 'utf8');
      await writeFile(path.join(api.project, 'node', 'index.js'), original.replace("'v2'", "'v3'"));
      assert.equal(await ask('node'), 'v3');
      assert.equal(ws.readyState, ws.OPEN);
      assert.equal(api.gateway.proc.exitCode, null);
      ws.close();
    },
  );
});

describe("concurrency like Lambda's", () => {
  let api;
  before(async () => {
    api = await startApi(
      { node: 'node/basic', python: 'python/basic' },
      {
        functions: {
          node: { runtime: 'nodejs', handler: 'node/src/handlers/slow.handler' },
          python: { runtime: 'python', handler: 'python/app.slow_handler' },
        },
        routes: {
          $connect: { function: 'node' },
          node: { function: 'node', routeResponse: true },
          python: { function: 'python', routeResponse: true },
        },
      },
    );
  });
  after(() => api?.stop());

  for (const runtime of ['node', 'python']) {
    test(`two 1-second ${runtime} invocations finish in about 1 second, not 2`, T, async () => {
      const ws = await connect(api.gateway.wsUrl);
      // Warm: the first environment has loaded the handler.
      await request(ws, JSON.stringify({ action: runtime, delay: 0 }));
      const first = JSON.stringify({ action: runtime, delay: 1000, n: 1 });
      const second = JSON.stringify({ action: runtime, delay: 1000, n: 2 });
      const sentAt = Date.now();
      ws.send(first);
      ws.send(second);
      const replies = [await ws.nextMessage(5000), await ws.nextMessage(5000)];
      const elapsed = Date.now() - sentAt;
      assert.deepEqual(new Set(replies), new Set([first, second]));
      assert.ok(
        elapsed < 1800,
        `two 1 s invocations took ${elapsed} ms: they ran one after the other`,
      );
      ws.close();
    });
  }
});
