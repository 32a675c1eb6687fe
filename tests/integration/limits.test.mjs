// API Gateway's limits and the connection lifecycle (AWS-NOTES §5): frame and message size
// (1009), binary frames (1003), idle timeout, maximum connection lifetime, integration timeout,
// the close codes and reasons on the wire and in $disconnect, and exactly one $disconnect for
// every accepted connection, whatever ended it (SIGINT/SIGTERM included).
//
// Short limits make each behaviour observable in seconds; the close reasons are the README's
// "Choices" where AWS is unconfirmed.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { connect, request, tryConnect } from './support/client.mjs';
import { isEvent, startFunctionServer } from './support/function_server.mjs';
import { startGateway } from './support/gateway.mjs';
import { encodeFrame, rawWebSocket, waitForCloseFrame } from './support/raw_client.mjs';
import {
  assertDisconnect,
  assertExactlyOneDisconnectEach,
  delay,
  disconnectOf,
  openTagged,
} from './support/tracking.mjs';

const T = { timeout: 30000 };
const SHORT = {
  maxFrameBytes: 1024,
  maxMessageBytes: 4096,
  idleTimeoutSeconds: 2,
  maxConnectionSeconds: 3,
  integrationTimeoutMs: 800,
};
const INTERNAL_ERROR = /^\{"message": "Internal server error", "connectionId":"([^"]+)", "requestId":"([^"]+)"\}$/;

let functions;

before(async () => {
  functions = await startFunctionServer();
  // Never answers (until the server closes): a $disconnect function that hangs.
  functions.behaviours.set('hang', () => new Promise(() => {}));
});
after(() => functions?.close());

function limitsRoutes(limits) {
  return {
    name: 'limits',
    stage: 'dev',
    functions: {
      onConnect: { url: functions.url('connect') },
      onDisconnect: { url: functions.url('record') },
      echoer: { url: functions.url('echo') },
      sleeper: { url: functions.url('slow') },
      patient: { url: functions.url('slow'), timeoutMs: 4000 },
    },
    routes: {
      $connect: { function: 'onConnect' },
      $disconnect: { function: 'onDisconnect' },
      $default: { function: 'echoer', routeResponse: true },
      slowpoke: { function: 'sleeper', routeResponse: true },
      patience: { function: 'patient', routeResponse: true },
    },
    limits,
  };
}

const messagesOf = (connectionId) => functions.received(
  (r) => isEvent('MESSAGE', connectionId)(r),
);

// A gateway line that mentions the connection and matches `regex`.
const lineAbout = (connectionId, regex) => ({ test: (line) => line.includes(connectionId) && regex.test(line) });

describe('frame and message size', () => {
  let gateway;
  before(async () => {
    gateway = await startGateway({
      routes: limitsRoutes({ maxFrameBytes: 1024, maxMessageBytes: 4096 }),
    });
  });
  after(() => gateway?.stop());

  test('routes a frame of exactly maxFrameBytes', T, async () => {
    const { ws } = await openTagged(functions, gateway.wsUrl);
    const body = 'f'.repeat(1024);
    assert.equal(await request(ws, body), body);
    ws.close();
  });

  test('closes with 1009 "Frame size exceeded" for one byte more, and $disconnect says so', T, async () => {
    const { ws, connectionId } = await openTagged(functions, gateway.wsUrl);
    ws.send('g'.repeat(1025));
    assert.deepEqual(await ws.waitClosed(5000), { code: 1009, reason: 'Frame size exceeded' });
    await assertDisconnect(functions, connectionId, 1009, 'Frame size exceeded');
    assert.deepEqual(messagesOf(connectionId), [], 'the oversized frame was routed');
    await gateway.waitForLine(lineAbout(connectionId, /maxFrameBytes/), 2000);
  });

  test('counts frame bytes, not characters (342 euro signs are 1026 bytes)', T, async () => {
    const { ws, connectionId } = await openTagged(functions, gateway.wsUrl);
    ws.send('€'.repeat(342));
    assert.equal((await ws.waitClosed(5000)).code, 1009);
    await assertDisconnect(functions, connectionId, 1009, 'Frame size exceeded');
  });

  test('reassembles a fragmented message of exactly maxMessageBytes and routes it once', T, async () => {
    const { ws, connectionId } = await openTagged(functions, gateway.wsUrl);
    const parts = ['a', 'b', 'c', 'd'].map((c) => c.repeat(1024));
    for (const [i, part] of parts.entries()) ws.send(part, { fin: i === parts.length - 1 });
    const reply = await ws.nextMessage(5000);
    assert.equal(reply, parts.join(''));
    const routed = messagesOf(connectionId);
    assert.equal(routed.length, 1, 'a fragmented message must reach the function as one event');
    assert.equal(routed[0].event.body.length, 4096);
    ws.close();
  });

  test('closes with 1009 "Message too big" when fragments add up to one byte more', T, async () => {
    const { ws, connectionId } = await openTagged(functions, gateway.wsUrl);
    for (let i = 0; i < 4; i += 1) ws.send('h'.repeat(1024), { fin: false });
    ws.send('h', { fin: true });
    assert.deepEqual(await ws.waitClosed(5000), { code: 1009, reason: 'Message too big' });
    await assertDisconnect(functions, connectionId, 1009, 'Message too big');
    assert.deepEqual(messagesOf(connectionId), [], 'part of the oversized message was routed');
    await gateway.waitForLine(lineAbout(connectionId, /maxMessageBytes/), 2000);
  });

  test('checks each fragment against maxFrameBytes', T, async () => {
    const { ws, connectionId } = await openTagged(functions, gateway.wsUrl);
    ws.send('i'.repeat(100), { fin: false });
    ws.send('i'.repeat(1025), { fin: true });
    assert.deepEqual(await ws.waitClosed(5000), { code: 1009, reason: 'Frame size exceeded' });
    await assertDisconnect(functions, connectionId, 1009, 'Frame size exceeded');
  });

  test('closes with 1003 "Binary frames are not supported" for a binary frame, and $disconnect says so', T, async () => {
    const { ws, connectionId } = await openTagged(functions, gateway.wsUrl);
    ws.send(Buffer.from('{"action":"x"}'), { binary: true });
    assert.deepEqual(await ws.waitClosed(5000), { code: 1003, reason: 'Binary frames are not supported' });
    await assertDisconnect(functions, connectionId, 1003, 'Binary frames are not supported');
    assert.deepEqual(messagesOf(connectionId), []);
  });

  test('keeps serving other clients after closing one for a limit', T, async () => {
    const good = await openTagged(functions, gateway.wsUrl);
    const bad = await openTagged(functions, gateway.wsUrl);
    bad.ws.send('x'.repeat(5000));
    await bad.ws.waitClosed(5000);
    assert.equal(await request(good.ws, 'still served'), 'still served');
    good.ws.close();
  });
});

describe('idle timeout (idleTimeoutSeconds 2)', { concurrency: true }, () => {
  let gateway;
  before(async () => {
    gateway = await startGateway({
      routes: limitsRoutes({ idleTimeoutSeconds: 2, maxConnectionSeconds: 60 }),
    });
  });
  after(() => gateway?.stop());

  test('closes a silent client with 1001 "Going away" after about 2 s; $disconnect says the same', T, async () => {
    const { ws, connectionId, openedAt } = await openTagged(functions, gateway.wsUrl);
    assert.deepEqual(await ws.waitClosed(6000), { code: 1001, reason: 'Going away' });
    const elapsed = Date.now() - openedAt;
    assert.ok(elapsed >= 1800 && elapsed < 5000, `closed ${elapsed} ms after opening`);
    await assertDisconnect(functions, connectionId, 1001, 'Going away');
    await gateway.waitForLine(lineAbout(connectionId, /idle/), 2000);
  });

  test('client messages keep the connection open; silence then closes it', T, async () => {
    const { ws, connectionId, openedAt } = await openTagged(functions, gateway.wsUrl);
    let last = Date.now();
    while (Date.now() - openedAt < 4000) {
      const body = `keepalive ${Date.now()}`;
      assert.equal(await request(ws, body), body);
      last = Date.now();
      await delay(400);
    }
    assert.equal(ws.readyState, ws.OPEN, 'an active client was closed as idle');
    assert.deepEqual(await ws.waitClosed(6000), { code: 1001, reason: 'Going away' });
    const silent = Date.now() - last;
    assert.ok(silent >= 1300 && silent < 5000, `closed ${silent} ms after the last message`);
    await assertDisconnect(functions, connectionId, 1001, 'Going away');
  });

  test('answers pings with pongs but does not count them as activity', T, async () => {
    const { ws, connectionId, openedAt } = await openTagged(functions, gateway.wsUrl);
    let pongs = 0;
    ws.on('pong', () => {
      pongs += 1;
    });
    const pinger = setInterval(() => {
      if (ws.readyState === ws.OPEN) ws.ping('are you there');
    }, 300);
    try {
      assert.deepEqual(await ws.waitClosed(6000), { code: 1001, reason: 'Going away' });
    } finally {
      clearInterval(pinger);
    }
    const elapsed = Date.now() - openedAt;
    assert.ok(elapsed < 5000, `pings kept the connection open for ${elapsed} ms`);
    assert.ok(pongs >= 3, `only ${pongs} pongs for about ${Math.round(elapsed / 300)} pings`);
    await assertDisconnect(functions, connectionId, 1001, 'Going away');
    assert.deepEqual(messagesOf(connectionId), [], 'a ping reached a function');
  });

  test('messages pushed through @connections count as activity', T, async () => {
    const { ws, connectionId, openedAt } = await openTagged(functions, gateway.wsUrl);
    const url = `${gateway.mgmtUrl}/@connections/${encodeURIComponent(connectionId)}`;
    while (Date.now() - openedAt < 4000) {
      const response = await fetch(url, { method: 'POST', body: 'push', signal: AbortSignal.timeout(3000) });
      assert.equal(response.status, 200);
      await delay(400);
    }
    assert.equal(ws.readyState, ws.OPEN, 'a client receiving pushes was closed as idle');
    assert.equal((await ws.waitClosed(6000)).code, 1001);
  });
});

describe('maximum connection lifetime (maxConnectionSeconds 3)', () => {
  test('closes even an active client with 1001 "Going away" 3 s after it connected', T, async (t) => {
    const gateway = await startGateway({ routes: limitsRoutes({ idleTimeoutSeconds: 2, maxConnectionSeconds: 3 }) });
    t.after(() => gateway.stop());
    const { ws, connectionId } = await openTagged(functions, gateway.wsUrl);
    const chatter = setInterval(() => {
      if (ws.readyState === ws.OPEN) ws.send('busy');
    }, 400);
    let closed;
    try {
      closed = await ws.waitClosed(7000);
    } finally {
      clearInterval(chatter);
    }
    assert.deepEqual(closed, { code: 1001, reason: 'Going away' });
    const context = await assertDisconnect(functions, connectionId, 1001, 'Going away');
    const lifetime = context.requestTimeEpoch - context.connectedAt;
    assert.ok(lifetime >= 2950 && lifetime < 5000, `connection lived ${lifetime} ms`);
    assert.ok(messagesOf(connectionId).length >= 4, 'the client was not active');
    await gateway.waitForLine(lineAbout(connectionId, /maximum connection duration/), 2000);
  });
});

describe('integration timeout (integrationTimeoutMs 800)', () => {
  let gateway;
  before(async () => {
    gateway = await startGateway({ routes: limitsRoutes({ integrationTimeoutMs: 800 }) });
  });
  after(() => gateway?.stop());

  test('a message route slower than the limit gets the "Internal server error" frame; the socket stays open', T, async () => {
    const { ws, connectionId } = await openTagged(functions, gateway.wsUrl);
    const sentAt = Date.now();
    const frame = await request(ws, JSON.stringify({ action: 'slowpoke', delay: 3000 }), 5000);
    const waited = Date.now() - sentAt;
    const match = INTERNAL_ERROR.exec(frame);
    assert.ok(match, `unexpected frame ${frame}`);
    assert.equal(match[1], connectionId);
    assert.ok(waited >= 700 && waited < 4000, `the error came ${waited} ms after the message`);
    assert.equal(await request(ws, 'after the timeout'), 'after the timeout');
    await gateway.waitForLine(lineAbout(connectionId, /function=sleeper.*time/), 2000);
    ws.close();
  });

  test("a function's own timeoutMs overrides the limit", T, async () => {
    const { ws } = await openTagged(functions, gateway.wsUrl);
    const body = JSON.stringify({ action: 'patience', delay: 1500 });
    assert.equal(await request(ws, body, 5000), body);
    ws.close();
  });

  test('a $connect slower than the limit fails the handshake with 504', T, async () => {
    const startedAt = Date.now();
    const outcome = await tryConnect(`${gateway.wsUrl}?delay=3000`);
    const waited = Date.now() - startedAt;
    assert.equal(outcome.opened, false);
    assert.equal(outcome.status, 504);
    assert.ok(waited >= 700 && waited < 4000, `the 504 came after ${waited} ms`);
  });
});

describe('close codes and reasons', () => {
  let gateway;
  before(async () => {
    gateway = await startGateway({ routes: limitsRoutes({}) });
  });
  after(() => gateway?.stop());

  for (const [code, reason] of [[1000, ''], [1001, ''], [1000, 'done'], [3000, 'app says bye'], [4999, 'raison: déjà vu ✓']]) {
    test(`passes a client close ${code} ${JSON.stringify(reason)} to $disconnect unchanged`, T, async () => {
      const { ws, connectionId } = await openTagged(functions, gateway.wsUrl);
      ws.close(code, reason);
      assert.equal((await ws.waitClosed(5000)).code, code, 'the gateway should echo the client\'s code');
      await assertDisconnect(functions, connectionId, code, reason);
    });
  }

  test('reports 1005 "Client-side close frame status not set" for a close frame without a code', T, async () => {
    const { ws, connectionId } = await openTagged(functions, gateway.wsUrl);
    ws.close();
    await ws.waitClosed(5000);
    await assertDisconnect(functions, connectionId, 1005, 'Client-side close frame status not set');
  });

  test('DeleteConnection closes with 1000 "Connection Closed Normally" on the wire and in $disconnect', T, async () => {
    const { ws, connectionId } = await openTagged(functions, gateway.wsUrl);
    const response = await fetch(`${gateway.mgmtUrl}/@connections/${encodeURIComponent(connectionId)}`, {
      method: 'DELETE',
      signal: AbortSignal.timeout(3000),
    });
    assert.equal(response.status, 204);
    assert.deepEqual(await ws.waitClosed(5000), { code: 1000, reason: 'Connection Closed Normally' });
    await assertDisconnect(functions, connectionId, 1000, 'Connection Closed Normally');
  });

  test('reports 1006 for a TCP reset', T, async () => {
    const { ws, connectionId } = await openTagged(functions, gateway.wsUrl);
    ws._socket.resetAndDestroy();
    await assertDisconnect(functions, connectionId, 1006);
  });
});

describe('exactly one $disconnect per accepted connection', () => {
  test('whatever ends it: close, reset, FIN, limits, timeouts, DELETE, races, shutdown', { timeout: 60000 }, async () => {
    const gateway = await startGateway({ routes: limitsRoutes(SHORT) });
    const ids = [];
    const open = async () => {
      const opened = await openTagged(functions, gateway.wsUrl);
      ids.push(opened.connectionId);
      return opened;
    };
    const mgmt = (id, method) => fetch(`${gateway.mgmtUrl}/@connections/${encodeURIComponent(id)}`, {
      method,
      signal: AbortSignal.timeout(3000),
    });
    const endings = [];

    // Client close frames, with and without a code.
    endings.push((async () => { const c = await open(); c.ws.close(1000, 'bye'); })());
    endings.push((async () => { const c = await open(); c.ws.close(); })());
    // TCP reset and plain FIN without a close frame.
    endings.push((async () => { const c = await open(); c.ws._socket.resetAndDestroy(); })());
    endings.push((async () => { const c = await open(); c.ws._socket.end(); })());
    // Idle timeout, and the lifetime cap for a busy client.
    endings.push((async () => { await open(); })());
    endings.push((async () => {
      const c = await open();
      const timer = setInterval(() => c.ws.readyState === c.ws.OPEN && c.ws.send('busy'), 400);
      await c.ws.waitClosed(8000).finally(() => clearInterval(timer));
    })());
    // DELETE, DELETE twice, DELETE racing a client close.
    endings.push((async () => { const c = await open(); await mgmt(c.connectionId, 'DELETE'); })());
    endings.push((async () => {
      const c = await open();
      await Promise.all([mgmt(c.connectionId, 'DELETE'), mgmt(c.connectionId, 'DELETE')]);
    })());
    endings.push((async () => {
      const c = await open();
      const deleting = mgmt(c.connectionId, 'DELETE');
      c.ws.close(4000, 'me first');
      await deleting;
    })());
    // Limits and protocol refusals.
    endings.push((async () => { const c = await open(); c.ws.send('x'.repeat(2000)); })());
    endings.push((async () => {
      const c = await open();
      for (let i = 0; i < 5; i += 1) c.ws.send('y'.repeat(1000), { fin: i === 4 });
    })());
    endings.push((async () => { const c = await open(); c.ws.send(Buffer.from([1]), { binary: true }); })());
    endings.push((async () => { const c = await open(); c.ws.send(Buffer.from([0xc3, 0x28]), { binary: false }); })());
    // A client that leaves while its message is being handled, and one whose frame breaks the protocol.
    endings.push((async () => {
      const c = await open();
      c.ws.send(JSON.stringify({ action: 'slowpoke', delay: 500 }));
      await functions.waitForEvent(isEvent('MESSAGE', c.connectionId));
      c.ws.terminate();
    })());
    endings.push((async () => {
      const raw = await rawWebSocket(gateway.port, `/dev?tag=raw-protocol-${process.pid}`);
      const record = await functions.waitForEvent(
        (r) => isEvent('CONNECT')(r) && r.event.queryStringParameters?.tag === `raw-protocol-${process.pid}`,
      );
      ids.push(record.event.requestContext.connectionId);
      raw.socket.write(encodeFrame({ opcode: 3, payload: 'reserved opcode' }));
      assert.equal((await waitForCloseFrame(raw)).code, 1002);
    })());
    await Promise.all(endings);

    // Still open when the gateway is told to stop: shutdown ends them.
    const survivors = [await open(), await open()];
    await delay(4000);  // past every idle and lifetime deadline above
    survivors.push(await open(), await open());
    const result = await gateway.stop('SIGTERM');
    assert.deepEqual(result, { code: 0, signal: null });
    for (const s of survivors.slice(2)) assert.equal((await s.ws.waitClosed(2000)).code, 1001);

    // Every connection the functions saw accepted, and only those.
    const accepted = functions.received(
      (r) => isEvent('CONNECT')(r) && r.event.queryStringParameters?.tag && ids.includes(r.event.requestContext.connectionId),
    );
    assert.equal(accepted.length, ids.length);
    await assertExactlyOneDisconnectEach(functions, ids, { timeoutMs: 2000 });
  });
});

describe('shutdown', () => {
  test('SIGINT closes 40 clients with 1001 and delivers each one $disconnect before exiting 0', T, async () => {
    const gateway = await startGateway({ routes: limitsRoutes({}) });
    const clients = await Promise.all(Array.from({ length: 40 }, () => openTagged(functions, gateway.wsUrl)));
    const result = await gateway.stop('SIGINT', 8000);
    assert.deepEqual(result, { code: 0, signal: null });
    // Delivered before exit: already recorded now, without waiting.
    const ids = clients.map((c) => c.connectionId);
    await assertExactlyOneDisconnectEach(functions, ids, { timeoutMs: 0, settleMs: 0 });
    for (const { ws, connectionId } of clients) {
      assert.deepEqual(await ws.waitClosed(2000), { code: 1001, reason: 'Going away' });
      const context = await disconnectOf(functions, connectionId, 0);
      assert.equal(context.disconnectStatusCode, 1001);
      assert.equal(context.disconnectReason, 'Going away');
    }
  });

  test('a $disconnect function that hangs delays exit by a bounded grace period only', T, async () => {
    const routes = limitsRoutes({});
    routes.functions.onDisconnect = { url: functions.url('hang') };
    const gateway = await startGateway({ routes });
    const { ws } = await openTagged(functions, gateway.wsUrl);
    const startedAt = Date.now();
    const result = await gateway.stop('SIGTERM', 12000);
    const took = Date.now() - startedAt;
    assert.deepEqual(result, { code: 0, signal: null });
    assert.ok(took < 9000, `exit took ${took} ms`);
    assert.equal((await ws.waitClosed(1000)).code, 1001);
    assert.ok(gateway.lines().some((line) => /grace period/.test(line)), 'no log line about the grace period');
  });

  test('a handshake waiting for $connect at shutdown is refused with 503 and the gateway still exits', T, async () => {
    const gateway = await startGateway({ routes: limitsRoutes({}) });
    const tag = `mid-connect-${process.pid}`;
    const attempt = tryConnect(`${gateway.wsUrl}?tag=${tag}&delay=1500`);
    await functions.waitForEvent((r) => isEvent('CONNECT')(r) && r.event.queryStringParameters?.tag === tag);
    const result = await gateway.stop('SIGTERM', 10000);
    assert.deepEqual(result, { code: 0, signal: null });
    const outcome = await attempt;
    assert.equal(outcome.opened, false, 'a handshake completed during shutdown');
    assert.equal(outcome.status, 503);
    // $connect accepted after the client was refused: the function hears of it once, as for
    // any client that left during $connect (README "Choices").
    const connectRecord = functions.received((r) => isEvent('CONNECT')(r) && r.event.queryStringParameters?.tag === tag)[0];
    await assertExactlyOneDisconnectEach(functions, [connectRecord.event.requestContext.connectionId], { timeoutMs: 0, settleMs: 0 });
  });
});

describe('a client that stops reading is still closed', { concurrency: true }, () => {
  // Fills the gateway's queue for a raw client that never reads, until PostToConnection says 429
  // (or, with allowGone, until the connection is gone: a short lifetime may end it first on a
  // slow machine, which is what that test wants anyway).
  async function stalledClient(gateway, tag, { allowGone = false } = {}) {
    const raw = await rawWebSocket(gateway.port, `/dev?tag=${tag}`);
    raw.socket.pause();
    const record = await functions.waitForEvent((r) => isEvent('CONNECT')(r) && r.event.queryStringParameters?.tag === tag);
    const connectionId = record.event.requestContext.connectionId;
    const url = `${gateway.mgmtUrl}/@connections/${encodeURIComponent(connectionId)}`;
    const chunk = 's'.repeat(100 * 1024);
    for (let posts = 0; posts < 600; posts += 1) {
      const response = await fetch(url, { method: 'POST', body: chunk, signal: AbortSignal.timeout(5000) });
      await response.arrayBuffer();
      if (response.status === 429) return { raw, connectionId, url, stalledAt: Date.now() };
      if (allowGone && response.status === 410) return { raw, connectionId, url, stalledAt: Date.now() };
      assert.equal(response.status, 200);
    }
    throw new Error('PostToConnection never answered 429 for a client that does not read');
  }

  test('by the idle timeout', { timeout: 40000 }, async (t) => {
    const gateway = await startGateway({ routes: limitsRoutes({ idleTimeoutSeconds: 2, maxConnectionSeconds: 600 }) });
    t.after(() => gateway.stop('SIGKILL'));
    const { connectionId, stalledAt } = await stalledClient(gateway, 'stalled-idle');
    await assertDisconnect(functions, connectionId, 1001, 'Going away', 10000);
    const waited = Date.now() - stalledAt;
    assert.ok(waited < 8000, `$disconnect came ${waited} ms after the last push`);
  });

  test('by the maximum connection lifetime', { timeout: 40000 }, async (t) => {
    const gateway = await startGateway({ routes: limitsRoutes({ idleTimeoutSeconds: 600, maxConnectionSeconds: 3 }) });
    t.after(() => gateway.stop('SIGKILL'));
    const { connectionId } = await stalledClient(gateway, 'stalled-lifetime', { allowGone: true });
    const context = await assertDisconnect(functions, connectionId, 1001, 'Going away', 10000);
    const lifetime = context.requestTimeEpoch - context.connectedAt;
    assert.ok(lifetime < 9000, `the connection lived ${lifetime} ms with maxConnectionSeconds 3`);
  });

  test('by DeleteConnection, which then answers 410 for it', { timeout: 40000 }, async (t) => {
    const gateway = await startGateway({ routes: limitsRoutes({}) });
    t.after(() => gateway.stop('SIGKILL'));
    const { connectionId, url } = await stalledClient(gateway, 'stalled-delete');
    const deleted = await fetch(url, { method: 'DELETE', signal: AbortSignal.timeout(5000) });
    assert.equal(deleted.status, 204);
    const deletedAt = Date.now();
    await assertDisconnect(functions, connectionId, 1000, 'Connection Closed Normally', 10000);
    assert.ok(Date.now() - deletedAt < 6000, `$disconnect came ${Date.now() - deletedAt} ms after DELETE`);
    const after = await fetch(url, { signal: AbortSignal.timeout(5000) });
    assert.equal(after.status, 410);
  });

  test('by SIGTERM, within the grace period, with its $disconnect delivered before exit', { timeout: 40000 }, async () => {
    const gateway = await startGateway({ routes: limitsRoutes({}) });
    const { connectionId } = await stalledClient(gateway, 'stalled-shutdown');
    const stoppingAt = Date.now();
    const result = await gateway.stop('SIGTERM', 15000);
    assert.deepEqual(result, { code: 0, signal: null });
    assert.ok(Date.now() - stoppingAt < 9000, `exit took ${Date.now() - stoppingAt} ms`);
    await assertExactlyOneDisconnectEach(functions, [connectionId], { timeoutMs: 0, settleMs: 0 });
  });
});

describe('limits are per API', () => {
  test('two APIs on one port enforce their own maxFrameBytes', T, async (t) => {
    const small = limitsRoutes({ maxFrameBytes: 1024 });
    const large = { ...limitsRoutes({ maxFrameBytes: 8192 }), name: 'large', stage: 'large' };
    const gateway = await startGateway({ routes: [small, large] });
    t.after(() => gateway.stop());
    const body = 'z'.repeat(4000);
    const onLarge = await connect(gateway.ready.apis[1].websocketUrl);
    assert.equal(await request(onLarge, body), body);
    const onSmall = await connect(gateway.ready.apis[0].websocketUrl);
    onSmall.send(body);
    assert.equal((await onSmall.waitClosed(5000)).code, 1009);
    onLarge.close();
  });
});
