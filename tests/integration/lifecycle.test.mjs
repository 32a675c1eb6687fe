// Logs, shutdown on signals, answers to stray HTTP requests, and binary frames.
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';

import { connect, request, tryConnect, withTimeout } from './support/client.mjs';
import { isEvent, isMessageWithBody, startFunctionServer } from './support/function_server.mjs';
import { startGateway } from './support/gateway.mjs';

const T = { timeout: 20000 };

let functions;
let tagCounter = 0;

before(async () => {
  functions = await startFunctionServer();
});
after(() => functions?.close());

// Function names that are not substrings of route keys, so a log line naming both is unambiguous.
const TRAFFIC = {
  connect: ['$connect', 'onConnect'],
  message: ['$default', 'echoer'],
  disconnect: ['$disconnect', 'onDisconnect'],
};

function apiRoutes(stage = 'dev') {
  return {
    name: 'lifecycle',
    stage,
    functions: {
      onConnect: { url: functions.url('connect') },
      echoer: { url: functions.url('echo') },
      onDisconnect: { url: functions.url('record') },
    },
    routes: {
      $connect: { function: 'onConnect' },
      $disconnect: { function: 'onDisconnect' },
      $default: { function: 'echoer', routeResponse: true },
    },
  };
}

async function connectTagged(gateway) {
  const tag = `lc-${++tagCounter}`;
  const ws = await connect(`${gateway.wsUrl}?tag=${tag}`);
  const record = await functions.waitForEvent(
    (r) => isEvent('CONNECT')(r) && r.event.queryStringParameters?.tag === tag,
  );
  return { ws, connectionId: record.event.requestContext.connectionId };
}

// Runs one connect, one message and one disconnect; resolves with the connectionId.
async function oneConversation(gateway) {
  const { ws, connectionId } = await connectTagged(gateway);
  const body = `log me ${++tagCounter}`;
  assert.equal(await request(ws, body), body);
  ws.close(1000);
  await functions.waitForEvent(isEvent('DISCONNECT', connectionId));
  return connectionId;
}

describe('text logs', () => {
  test('log one line per connect, message and disconnect with connectionId, routeKey and function', T, async (t) => {
    const gateway = await startGateway({ routes: apiRoutes() });
    t.after(() => gateway.stop());
    const connectionId = await oneConversation(gateway);
    for (const [routeKey, fn] of Object.values(TRAFFIC)) {
      const matches = { test: (line) => line.includes(connectionId) && line.includes(routeKey) && line.includes(fn) };
      await gateway.waitForLine(matches, 2000);
      const lines = gateway.lines().filter((line) => matches.test(line));
      assert.equal(lines.length, 1, `expected one ${routeKey} line for ${connectionId}, output:\n${gateway.lines().join('\n')}`);
    }
  });
});

describe('--log-format json', () => {
  test('writes every output line as a JSON object, traffic lines with event, ids, outcome and latency', T, async (t) => {
    const gateway = await startGateway({ routes: apiRoutes(), args: ['--log-format', 'json', '--log-level', 'debug'] });
    t.after(() => gateway.stop());
    const connectionId = await oneConversation(gateway);
    const isTraffic = (kind) => (line) => {
      try {
        const entry = JSON.parse(line);
        return entry.event === kind && entry.connectionId === connectionId;
      } catch {
        return false;
      }
    };
    for (const kind of ['connect', 'message', 'disconnect']) {
      await gateway.waitForLine({ test: isTraffic(kind) }, 2000);
    }
    // Stopping adds the shutdown lines, which must be JSON too.
    await gateway.stop();

    const lines = gateway.lines().filter((line) => line.trim() !== '');
    assert.ok(lines.length > 0);
    for (const line of lines) {
      let entry;
      assert.doesNotThrow(() => {
        entry = JSON.parse(line);
      }, `not JSON: ${line}`);
      assert.equal(typeof entry, 'object', `not a JSON object: ${line}`);
      assert.ok(entry !== null && !Array.isArray(entry), `not a JSON object: ${line}`);
      assert.equal(typeof entry.level, 'string', `no level: ${line}`);
      assert.equal(typeof entry.msg, 'string', `no msg: ${line}`);
    }

    for (const [kind, [routeKey, fn]] of Object.entries(TRAFFIC)) {
      const entries = lines.filter(isTraffic(kind)).map((line) => JSON.parse(line));
      assert.equal(entries.length, 1, `expected one ${kind} line for ${connectionId}`);
      const [entry] = entries;
      assert.equal(entry.routeKey, routeKey);
      assert.equal(entry.function, fn);
      assert.equal(typeof entry.outcome, 'string');
      assert.ok(entry.outcome.length > 0);
      assert.equal(typeof entry.latencyMs, 'number');
      assert.ok(entry.latencyMs >= 0);
    }
  });
});

describe('shutdown', () => {
  for (const signal of ['SIGTERM', 'SIGINT']) {
    test(`on ${signal} closes every client with 1001 "Going away", delivers $disconnect and exits 0`, T, async () => {
      const gateway = await startGateway({ routes: apiRoutes() });
      const clients = [await connectTagged(gateway), await connectTagged(gateway)];

      const result = await gateway.stop(signal);

      for (const { ws, connectionId } of clients) {
        assert.deepEqual(await ws.waitClosed(2000), { code: 1001, reason: 'Going away' });
        const disconnects = functions.received(isEvent('DISCONNECT', connectionId));
        assert.equal(disconnects.length, 1, `no $disconnect for ${connectionId} before exit`);
        assert.equal(disconnects[0].event.requestContext.disconnectStatusCode, 1001);
      }
      assert.deepEqual(result, { code: 0, signal: null });
    });
  }

  test('exits 0 on SIGTERM with no client connected', T, async () => {
    const gateway = await startGateway({ routes: apiRoutes() });
    assert.deepEqual(await gateway.stop('SIGTERM'), { code: 0, signal: null });
  });
});

describe('stray HTTP requests', () => {
  let gateway;
  before(async () => {
    gateway = await startGateway({ routes: apiRoutes() });
  });
  after(() => gateway?.stop());

  for (const path of ['/other-stage', '/', '/dev/extra', '/devx']) {
    test(`refuses a WebSocket handshake on ${path} with 404`, T, async () => {
      const outcome = await tryConnect(`ws://127.0.0.1:${gateway.port}${path}`, { timeoutMs: 5000 });
      assert.equal(outcome.opened, false, 'the handshake succeeded');
      assert.equal(outcome.status, 404, `client saw ${outcome.status ?? outcome.error?.message}`);
    });
  }

  for (const path of ['/', '/nothing/here', '/other-stage']) {
    test(`answers a plain GET ${path} with 404`, T, async () => {
      const response = await fetch(`http://127.0.0.1:${gateway.port}${path}`, { signal: AbortSignal.timeout(5000) });
      assert.equal(response.status, 404);
      await response.arrayBuffer();
    });
  }

  test('survives a request that is not HTTP and keeps serving', T, async () => {
    const socket = net.connect(gateway.port, '127.0.0.1');
    socket.on('error', () => {});
    socket.resume();
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.write('\x16\x03\x01 this is not http \r\n\r\n');
    // The gateway may answer 400 or just close; either way the socket must end, not hang.
    await withTimeout(new Promise((resolve) => socket.once('close', resolve)), 5000, 'the gateway kept a garbage connection open');
    const ws = await connect(gateway.wsUrl);
    assert.equal(await request(ws, 'after garbage'), 'after garbage');
    ws.close();
  });
});

describe('binary frames', () => {
  test('close the connection with 1003, send $disconnect and are logged', T, async (t) => {
    const gateway = await startGateway({ routes: apiRoutes() });
    t.after(() => gateway.stop());
    const { ws, connectionId } = await connectTagged(gateway);

    ws.send(Buffer.from([0xde, 0xad, 0xbe, 0xef]), { binary: true });

    const { code } = await ws.waitClosed(5000);
    assert.equal(code, 1003);
    await functions.waitForEvent(isEvent('DISCONNECT', connectionId));
    assert.deepEqual(functions.received((r) => r.event?.requestContext?.eventType === 'MESSAGE' && r.event.requestContext.connectionId === connectionId), []);
    await gateway.waitForLine({ test: (line) => line.includes(connectionId) && /binary/i.test(line) }, 2000);
  });
});

describe('text frames after a binary frame on another connection', () => {
  test('are still routed for the other clients', T, async (t) => {
    const gateway = await startGateway({ routes: apiRoutes() });
    t.after(() => gateway.stop());
    const good = await connectTagged(gateway);
    const bad = await connectTagged(gateway);
    bad.ws.send(Buffer.from([1, 2, 3]), { binary: true });
    await bad.ws.waitClosed(5000);
    const body = `good ${++tagCounter}`;
    assert.equal(await request(good.ws, body), body);
    await functions.waitForEvent(isMessageWithBody(body));
    good.ws.close();
  });
});
