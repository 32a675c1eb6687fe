// The upgrade handshake: what $connect's result (or failure) does to the client's handshake.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { connect, request, tryConnect } from './support/client.mjs';
import { deadUrl, isEvent, startFunctionServer } from './support/function_server.mjs';
import { startGateway } from './support/gateway.mjs';

const T = { timeout: 20000 };
const delay = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

let functions;
let gateway;
let dead;

before(async () => {
  functions = await startFunctionServer();
  dead = await deadUrl();
});
after(async () => {
  if (gateway) await gateway.stop();
  await functions?.close();
});

// One gateway per connect behaviour: the $connect route goes to `fn`, messages are echoed.
async function gatewayWithConnect(fn, { timeoutMs, url } = {}) {
  const routes = {
    name: 'handshake',
    stage: 'dev',
    functions: {
      [fn]: { url: url ?? functions.url(fn), ...(timeoutMs ? { timeoutMs } : {}) },
      echo: { url: functions.url('echo') },
      record: { url: functions.url('record') },
    },
    routes: {
      $connect: { function: fn },
      $disconnect: { function: 'record' },
      $default: { function: 'echo', routeResponse: true },
    },
  };
  return startGateway({ routes });
}

describe('a $connect that answers 2xx', () => {
  before(async () => {
    gateway = await gatewayWithConnect('connect');
  });
  after(async () => {
    await gateway?.stop();
    gateway = null;
  });

  test('completes the handshake only after $connect has answered', T, async () => {
    const outcome = await tryConnect(`${gateway.wsUrl}?tag=after-connect&delay=300`);
    assert.equal(outcome.opened, true, `handshake failed: ${outcome.status ?? outcome.error}`);
    const record = functions.received(
      (r) => isEvent('CONNECT')(r) && r.event.queryStringParameters?.tag === 'after-connect',
    )[0];
    assert.ok(record, 'the $connect function was not invoked before the socket opened');
    assert.ok(record.answeredAt, 'the socket opened before $connect answered');
    assert.equal(outcome.response.statusCode, 101);
    outcome.ws.close();
  });

  test('accepts any 2xx statusCode (201)', T, async () => {
    const ws = await connect(`${gateway.wsUrl}?status=201`);
    assert.equal(await request(ws, 'still here'), 'still here');
    ws.close();
  });

  for (const status of [301, 400, 401, 403, 404, 429, 501]) {
    test(`rejects the handshake with the $connect statusCode ${status}`, T, async () => {
      const outcome = await tryConnect(`${gateway.wsUrl}?status=${status}`);
      assert.equal(outcome.opened, false, 'the handshake succeeded');
      assert.equal(outcome.status, status, `client saw ${outcome.status ?? outcome.error?.message}`);
    });
  }

  test('fires no $disconnect for a rejected handshake', T, async () => {
    const outcome = await tryConnect(`${gateway.wsUrl}?status=403&tag=rejected`);
    assert.equal(outcome.status, 403);
    const connectRecord = await functions.waitForEvent(
      (r) => isEvent('CONNECT')(r) && r.event.queryStringParameters?.tag === 'rejected',
    );
    const { connectionId } = connectRecord.event.requestContext;
    // Nothing to await for an event that must never come: give the gateway a fair chance.
    await delay(500);
    assert.deepEqual(functions.received(isEvent('DISCONNECT', connectionId)), []);
  });

  test('returns the subprotocol the function chose and no other $connect header', T, async () => {
    const outcome = await tryConnect(`${gateway.wsUrl}?protocol=chat.v2&extraHeader=leak`, {
      protocols: ['chat.v1', 'chat.v2'],
    });
    assert.equal(outcome.opened, true, `handshake failed: ${outcome.status ?? outcome.error}`);
    assert.equal(outcome.ws.protocol, 'chat.v2');
    assert.equal(outcome.response.headers['sec-websocket-protocol'], 'chat.v2');
    assert.equal(outcome.response.headers['x-extra-header'], undefined);
    outcome.ws.close();
  });

  test('never echoes an offered subprotocol on its own', T, async () => {
    const outcome = await tryConnect(gateway.wsUrl, { protocols: ['chat.v1', 'chat.v2'] });
    assert.equal(outcome.opened, false, 'the client accepted a handshake without a subprotocol');
    assert.match(String(outcome.error?.message), /Server sent no subprotocol/);
  });
});

describe('a $connect that fails', () => {
  after(async () => {
    if (gateway) await gateway.stop();
    gateway = null;
  });

  const cases = [
    ['throws (X-Amz-Function-Error)', 'throws', {}, 502],
    ['returns a Runtime Interface Emulator error body', 'rie-error', {}, 502],
    ['returns a result without statusCode', 'no-status', {}, 502],
  ];
  for (const [what, fn, options, status] of cases) {
    test(`answers ${status} when the function ${what}`, T, async () => {
      if (gateway) await gateway.stop();
      gateway = await gatewayWithConnect(fn, options);
      const outcome = await tryConnect(gateway.wsUrl);
      assert.equal(outcome.opened, false, 'the handshake succeeded');
      assert.equal(outcome.status, status, `client saw ${outcome.status ?? outcome.error?.message}`);
      const connectRecord = await functions.waitForEvent((r) => r.fn === fn && isEvent('CONNECT')(r));
      await delay(300);
      const { connectionId } = connectRecord.event.requestContext;
      assert.deepEqual(functions.received(isEvent('DISCONNECT', connectionId)), [], 'a $disconnect was sent');
    });
  }

  test('answers 500 when the function cannot be reached', T, async () => {
    if (gateway) await gateway.stop();
    gateway = await gatewayWithConnect('connect', { url: dead });
    const outcome = await tryConnect(gateway.wsUrl);
    assert.equal(outcome.opened, false, 'the handshake succeeded');
    assert.equal(outcome.status, 500, `client saw ${outcome.status ?? outcome.error?.message}`);
  });

  test('answers 504 as soon as the function exceeds its timeoutMs', T, async () => {
    if (gateway) await gateway.stop();
    gateway = await gatewayWithConnect('connect', { timeoutMs: 300 });
    const started = Date.now();
    const outcome = await tryConnect(`${gateway.wsUrl}?delay=5000`);
    const elapsed = Date.now() - started;
    assert.equal(outcome.opened, false, 'the handshake succeeded');
    assert.equal(outcome.status, 504, `client saw ${outcome.status ?? outcome.error?.message}`);
    assert.ok(elapsed >= 250 && elapsed < 2500, `answered after ${elapsed} ms, timeoutMs is 300`);
  });
});

describe('without a $connect route', () => {
  test('accepts every connection', T, async (t) => {
    const gw = await startGateway({
      routes: {
        stage: 'dev',
        functions: { echo: { url: functions.url('echo') } },
        routes: { $default: { function: 'echo', routeResponse: true } },
      },
    });
    t.after(() => gw.stop());
    const ws = await connect(`${gw.wsUrl}?status=403`);
    assert.equal(await request(ws, 'no connect route'), 'no connect route');
    assert.deepEqual(functions.received((r) => r.event?.body === 'no connect route').length, 1);
    ws.close();
  });
});

describe('a slow $connect', () => {
  test('does not stall other connections', T, async (t) => {
    const gw = await gatewayWithConnect('connect');
    t.after(() => gw.stop());

    let slowOpenedAt = null;
    const slow = tryConnect(`${gw.wsUrl}?delay=2000&tag=slow`).then((outcome) => {
      slowOpenedAt = Date.now();
      return outcome;
    });
    await functions.waitForEvent(
      (r) => isEvent('CONNECT')(r) && r.event.queryStringParameters?.tag === 'slow',
    );

    const started = Date.now();
    const fast = await connect(gw.wsUrl);
    for (let i = 0; i < 100; i++) {
      assert.equal(await request(fast, `message ${i}`), `message ${i}`);
    }
    const fastDoneAt = Date.now();
    assert.equal(slowOpenedAt, null, 'the slow client opened before the fast one finished');
    assert.ok(fastDoneAt - started < 1000, `100 echoes took ${fastDoneAt - started} ms`);

    const outcome = await slow;
    assert.equal(outcome.opened, true, 'the slow client was never accepted');
    assert.ok(slowOpenedAt >= fastDoneAt);
    fast.close();
    outcome.ws.close();
  });
});
