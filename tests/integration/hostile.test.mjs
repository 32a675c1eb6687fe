// Hostile or broken clients: plain HTTP on the WebSocket path, wrong stage, malformed upgrades,
// oversized and never-ending heads, invalid UTF-8, protocol violations, fragmented messages,
// slow readers, half-open and silent sockets, bursts of connects and disconnects, and malformed
// @connections requests. Each gets a clear HTTP answer or close code; the gateway neither
// crashes nor leaks (its open file descriptors return to their level), and keeps serving.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import WebSocket from 'ws';

import { connect, request, withTimeout } from './support/client.mjs';
import { isEvent, startFunctionServer } from './support/function_server.mjs';
import { startGateway } from './support/gateway.mjs';
import {
  encodeFrame,
  openSocket,
  rawHttp,
  rawWebSocket,
  upgradeRequest,
  waitFor,
  waitForCloseFrame,
  waitForEnd,
} from './support/raw_client.mjs';
import {
  assertDisconnect,
  assertExactlyOneDisconnectEach,
  assertDescriptorsBackTo,
  delay,
  descriptorCounts,
  openTagged,
} from './support/tracking.mjs';

const T = { timeout: 30000 };
const HEAD_DEADLINE_MS = 10000;  // the acceptor's deadline for a complete request head

let functions;
let gateway;
let slowloris;  // opened first, checked last: a head that never completes
let slowlorisOpenedAt;

before(async () => {
  functions = await startFunctionServer();
  gateway = await startGateway({
    routes: {
      name: 'hostile',
      stage: 'dev',
      functions: {
        onConnect: { url: functions.url('connect') },
        onDisconnect: { url: functions.url('record') },
        echoer: { url: functions.url('echo') },
      },
      routes: {
        $connect: { function: 'onConnect' },
        $disconnect: { function: 'onDisconnect' },
        $default: { function: 'echoer', routeResponse: true },
      },
      limits: { maxFrameBytes: 32768, maxMessageBytes: 131072, idleTimeoutSeconds: 3 },
    },
  });
  slowloris = await openSocket(gateway.port, { allowHalfOpen: true });
  slowloris.write('GET /dev HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n');
  slowlorisOpenedAt = Date.now();
});
after(async () => {
  await gateway?.stop();
  await functions?.close();
});

const connectEventsTagged = (tag) => functions.received(
  (r) => isEvent('CONNECT')(r) && r.event.queryStringParameters?.tag === tag,
);

async function assertStillServing() {
  assert.equal(gateway.proc.exitCode, null, 'the gateway exited');
  const ws = await connect(gateway.wsUrl);
  assert.equal(await request(ws, 'still serving'), 'still serving');
  ws.close();
}

describe('broken handshakes get a clear HTTP answer and never reach $connect', () => {
  test('plain HTTP GET on the WebSocket path: a 4xx with a JSON body', T, async () => {
    const { response } = await rawHttp(gateway.port, 'GET /dev?tag=plain-get HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    assert.ok(response, 'no HTTP response');
    assert.ok(response.status >= 400 && response.status < 500, `status ${response.status}`);
    assert.doesNotThrow(() => JSON.parse(response.body), `not JSON: ${response.body}`);
    assert.deepEqual(connectEventsTagged('plain-get'), []);
  });

  test('an upgrade to a stage that does not exist: 404 naming the URL that does', T, async () => {
    const { response } = await rawHttp(gateway.port, upgradeRequest('/prod?tag=wrong-stage'));
    assert.equal(response.status, 404);
    assert.match(JSON.parse(response.body).message, new RegExp(`ws://127\\.0\\.0\\.1:${gateway.port}/dev`));
    assert.deepEqual(connectEventsTagged('wrong-stage'), []);
  });

  test('an upgrade without Sec-WebSocket-Key: 400', T, async () => {
    const { response } = await rawHttp(gateway.port, upgradeRequest('/dev?tag=no-key', { omit: ['Sec-WebSocket-Key'] }));
    assert.equal(response.status, 400);
    assert.deepEqual(connectEventsTagged('no-key'), []);
  });

  test('an upgrade with an empty Sec-WebSocket-Key: 400', T, async () => {
    const { response } = await rawHttp(gateway.port, upgradeRequest('/dev?tag=empty-key', { key: '' }));
    assert.equal(response.status, 400);
    assert.deepEqual(connectEventsTagged('empty-key'), []);
  });

  test('Sec-WebSocket-Version: 8 is refused and the answer names version 13 (RFC 6455 §4.4)', T, async () => {
    const { response } = await rawHttp(gateway.port, upgradeRequest('/dev?tag=version-8', { version: '8' }));
    assert.ok([400, 426].includes(response.status), `status ${response.status}`);
    // RFC 6455 §4.2.2 / §4.4: the refusal MUST carry the versions the server understands.
    assert.equal(response.headers['sec-websocket-version'], '13',
      `no Sec-WebSocket-Version: 13 in the refusal; headers ${JSON.stringify(response.headers)}`);
    assert.deepEqual(connectEventsTagged('version-8'), []);
  });

  test('a 20 KB request head: 431', T, async () => {
    const big = `X-Padding: ${'p'.repeat(20 * 1024)}`;
    const { response } = await rawHttp(gateway.port, upgradeRequest('/dev?tag=big-head', { extra: [big] }));
    assert.equal(response.status, 431);
    assert.deepEqual(connectEventsTagged('big-head'), []);
  });

  test('a 20 KB request head trickled in 1 KB pieces: 431', T, async () => {
    const socket = await openSocket(gateway.port);
    const head = upgradeRequest('/dev?tag=trickle', { extra: [`X-Padding: ${'q'.repeat(20 * 1024)}`] });
    for (let offset = 0; offset < head.length && !socket.closedFlag; offset += 1024) {
      socket.write(head.slice(offset, offset + 1024));
      await delay(5);
    }
    await waitFor(socket, (s) => s.received.includes('\r\n\r\n') || s.closedFlag, 5000, 'no answer');
    assert.match(socket.received.toString('latin1'), /^HTTP\/1\.1 431 /);
    assert.deepEqual(connectEventsTagged('trickle'), []);
  });

  test('bytes that are not HTTP at all: an answer or a close, never a hang', T, async () => {
    const socket = await openSocket(gateway.port);
    socket.write(Buffer.from([0x16, 0x03, 0x01, 0x00, 0xa5, 0x01, 0x00, 0x00, 0xa1, 0x03, 0x03, 0x0d, 0x0a, 0x0d, 0x0a]));
    await waitForEnd(socket, 5000);
    await assertStillServing();
  });
});

describe('hostile frames', () => {
  test('invalid UTF-8 in a text frame closes with 1007; $disconnect says the same; the log says why', T, async () => {
    const { ws, connectionId } = await openTagged(functions, gateway.wsUrl);
    ws.send(Buffer.from([0x7b, 0x22, 0xc3, 0x28, 0x22, 0x7d]), { binary: false });
    const closed = await ws.waitClosed(5000);
    assert.equal(closed.code, 1007);
    const context = await assertDisconnect(functions, connectionId, 1007);
    assert.equal(context.disconnectReason, closed.reason, '$disconnect should carry the reason sent on the wire');
    assert.deepEqual(functions.received(isEvent('MESSAGE', connectionId)), [], 'invalid UTF-8 was routed');
    await gateway.waitForLine({ test: (line) => line.includes(connectionId) && /utf-?8/i.test(line) }, 2000);
  });

  test('invalid UTF-8 across fragments (a sequence cut off by ASCII) closes with 1007', T, async () => {
    const raw = await rawWebSocket(gateway.port, '/dev');
    raw.socket.write(encodeFrame({ opcode: 1, fin: false, payload: Buffer.from([0x61, 0xe2, 0x82]) }));
    raw.socket.write(encodeFrame({ opcode: 0, fin: true, payload: Buffer.from('b') }));
    assert.equal((await waitForCloseFrame(raw)).code, 1007);
  });

  test('a valid character split across fragments is reassembled and routed as one message', T, async () => {
    const raw = await rawWebSocket(gateway.port, '/dev');
    const euro = Buffer.from('€uro', 'utf8');
    raw.socket.write(encodeFrame({ opcode: 1, fin: false, payload: euro.subarray(0, 2) }));
    await delay(20);
    raw.socket.write(encodeFrame({ opcode: 0, fin: false, payload: euro.subarray(2, 4) }));
    raw.socket.write(encodeFrame({ opcode: 9, payload: 'between fragments' }));
    raw.socket.write(encodeFrame({ opcode: 0, fin: true, payload: euro.subarray(4) }));
    await waitFor(raw.socket, () => raw.frames().some((f) => f.opcode === 1), 5000, 'no echo');
    const frames = raw.frames();
    assert.deepEqual(frames.find((f) => f.opcode === 1).payload.toString('utf8'), '€uro');
    assert.equal(frames.find((f) => f.opcode === 10)?.payload.toString(), 'between fragments', 'no pong for the ping between fragments');
    assert.equal(functions.received((r) => isEvent('MESSAGE')(r) && r.event.body === '€uro').length, 1);
    raw.socket.destroy();
  });

  describe('protocol violations', { concurrency: true }, () => {
  for (const [name, bytes] of [
    ['a reserved opcode', encodeFrame({ opcode: 3, payload: 'x' })],
    ['RSV bits without an extension', encodeFrame({ opcode: 1, rsv: 4, payload: 'x' })],
    ['a continuation frame with nothing to continue', encodeFrame({ opcode: 0, payload: 'x' })],
    ['a fragmented ping', encodeFrame({ opcode: 9, fin: false, payload: 'x' })],
    ['a new text frame inside a fragmented message', Buffer.concat([
      encodeFrame({ opcode: 1, fin: false, payload: 'a' }), encodeFrame({ opcode: 1, payload: 'b' })])],
  ]) {
    test(`${name} closes with 1002; exactly one $disconnect; no message routed`, T, async () => {
      const tag = `protocol-${name.replace(/\W+/g, '-')}`;
      const raw = await rawWebSocket(gateway.port, `/dev?tag=${tag}`);
      const [connectRecord] = connectEventsTagged(tag);
      const connectionId = connectRecord.event.requestContext.connectionId;
      raw.socket.write(bytes);
      assert.equal((await waitForCloseFrame(raw)).code, 1002);
      await assertExactlyOneDisconnectEach(functions, [connectionId], { timeoutMs: 5000, settleMs: 200 });
      assert.deepEqual(functions.received(isEvent('MESSAGE', connectionId)), []);
    });
  }
  });

  test('a client that never answers the 1009 close still gets $disconnect 1009, not the idle timeout\'s 1001', T, async () => {
    const raw = await rawWebSocket(gateway.port, '/dev?tag=no-close-ack');
    const connectionId = connectEventsTagged('no-close-ack')[0].event.requestContext.connectionId;
    raw.socket.write(encodeFrame({ payload: 'o'.repeat(40000) }));
    assert.deepEqual(await waitForCloseFrame(raw), { code: 1009, reason: 'Frame size exceeded' });
    // The client neither answers the close frame nor closes its socket.
    await assertDisconnect(functions, connectionId, 1009, 'Frame size exceeded', 10000);
    await waitForEnd(raw.socket, 10000);
  });

  test('frames sent in the same packet as the upgrade wait for $connect, then are routed', T, async () => {
    const socket = await openSocket(gateway.port);
    socket.write(Buffer.concat([
      Buffer.from(upgradeRequest('/dev?tag=eager&delay=300')),
      encodeFrame({ payload: 'eager one' }),
      encodeFrame({ payload: 'eager two' }),
    ]));
    await waitFor(socket, () => socket.received.includes('eager two'), 5000, 'the early frames were not echoed');
    assert.match(socket.received.toString('latin1'), /^HTTP\/1\.1 101 /);
    const [connectRecord] = connectEventsTagged('eager');
    const messages = functions.received(isEvent('MESSAGE', connectRecord.event.requestContext.connectionId));
    assert.deepEqual(messages.map((m) => m.event.body), ['eager one', 'eager two']);
    assert.ok(messages[0].receivedAt >= connectRecord.answeredAt, 'a frame was routed before $connect answered');
    socket.destroy();
  });
});

describe('slow, silent and half-open clients', () => {
  test('a client that stops reading: posts pile up to 429 LimitExceededException, others are unaffected', { timeout: 60000 }, async () => {
    const raw = await rawWebSocket(gateway.port, '/dev?tag=slow-reader');
    const connectionId = connectEventsTagged('slow-reader')[0].event.requestContext.connectionId;
    raw.socket.pause();  // stop reading: the kernel buffers fill, then the gateway's queue
    const url = `${gateway.mgmtUrl}/@connections/${encodeURIComponent(connectionId)}`;
    const chunk = 'z'.repeat(100 * 1024);
    let status = 0;
    let posts = 0;
    while (posts < 600) {
      const response = await fetch(url, { method: 'POST', body: chunk, signal: AbortSignal.timeout(5000) });
      status = response.status;
      await response.arrayBuffer();
      posts += 1;
      if (status !== 200) break;
    }
    assert.equal(status, 429, `after ${posts} posts of 100 KB the answer was ${status}`);
    const other = await openTagged(functions, gateway.wsUrl);
    const startedAt = Date.now();
    assert.equal(await request(other.ws, 'not stuck behind a slow reader'), 'not stuck behind a slow reader');
    assert.ok(Date.now() - startedAt < 2000, `a reply took ${Date.now() - startedAt} ms`);
    other.ws.close();
    raw.socket.destroy();
    await assertExactlyOneDisconnectEach(functions, [connectionId], { timeoutMs: 5000 });
    const gone = await fetch(url, { method: 'POST', body: 'late', signal: AbortSignal.timeout(5000) });
    assert.equal(gone.status, 410);
  });

  test('a client that half-closes (FIN, no close frame): $disconnect 1006 at once', T, async () => {
    const raw = await rawWebSocket(gateway.port, '/dev?tag=half-close', { allowHalfOpen: true });
    const connectionId = connectEventsTagged('half-close')[0].event.requestContext.connectionId;
    const endedAt = Date.now();
    raw.socket.end();
    await assertDisconnect(functions, connectionId, 1006, undefined, 3000);
    assert.ok(Date.now() - endedAt < 3000, `$disconnect came ${Date.now() - endedAt} ms after the FIN`);
    await waitForEnd(raw.socket, 3000);
  });

  test('a client that goes silent after the handshake (never reads, never writes) is closed at the idle timeout', T, async () => {
    const raw = await rawWebSocket(gateway.port, '/dev?tag=silent');
    const connectionId = connectEventsTagged('silent')[0].event.requestContext.connectionId;
    raw.socket.pause();
    await assertDisconnect(functions, connectionId, 1001, 'Going away', 7000);
  });

  test('a client that leaves while $connect runs: $connect accepts, then exactly one $disconnect 1006', T, async () => {
    const socket = await openSocket(gateway.port);
    socket.write(upgradeRequest('/dev?tag=left-early&delay=500'));
    await functions.waitForEvent((r) => isEvent('CONNECT')(r) && r.event.queryStringParameters?.tag === 'left-early');
    socket.destroy();
    const connectionId = connectEventsTagged('left-early')[0].event.requestContext.connectionId;
    const counts = await assertExactlyOneDisconnectEach(functions, [connectionId], { timeoutMs: 5000 });
    assert.equal(counts.get(connectionId), 1);
    await assertDisconnect(functions, connectionId, 1006);
  });
});

describe('bursts', () => {
  test('600 connects and disconnects in bursts: one $disconnect each, no leaked descriptors', { timeout: 90000 }, async () => {
    const pid = gateway.proc.pid;
    const before = await descriptorCounts(pid, gateway.port);
    const burstTag = `burst-${Date.now()}`;
    let opened = 0;
    for (let burst = 0; burst < 3; burst += 1) {
      const attempts = Array.from({ length: 200 }, async (_, i) => {
        const ws = new WebSocket(`${gateway.wsUrl}?tag=${burstTag}`);
        ws.on('error', () => {});
        const mode = i % 4;
        if (mode === 3) {
          // Gives up mid-handshake.
          setTimeout(() => ws.terminate(), i % 7);
          await withTimeout(new Promise((resolve) => ws.once('close', resolve)), 10000, 'no close');
          return;
        }
        await withTimeout(new Promise((resolve, reject) => {
          ws.once('open', resolve);
          ws.once('close', () => reject(new Error('closed before opening')));
        }), 10000, 'no open');
        opened += 1;
        const closed = withTimeout(new Promise((resolve) => ws.once('close', resolve)), 10000, 'no close');
        if (mode === 0) ws.close(1000, 'burst');
        else if (mode === 1) ws.terminate();
        else ws._socket.resetAndDestroy();
        await closed;
      });
      await Promise.all(attempts);
    }
    assert.ok(opened >= 450, `only ${opened} of 450 connections opened`);
    // Every connection $connect accepted (including some of those abandoned mid-handshake).
    const ids = functions.received((r) => isEvent('CONNECT')(r) && r.event.queryStringParameters?.tag === burstTag)
      .map((r) => r.event.requestContext.connectionId);
    assert.ok(ids.length >= opened);
    await assertExactlyOneDisconnectEach(functions, ids, { timeoutMs: 20000 });
    await assertDescriptorsBackTo(pid, gateway.port, before);
    await assertStillServing();
  });
});

describe('malformed @connections requests', () => {
  let live;
  let baselineFds;
  before(async () => {
    live = await openTagged(functions, gateway.wsUrl);
    baselineFds = await descriptorCounts(gateway.proc.pid, gateway.port);
  });
  after(() => live?.ws.close());

  const mgmtPath = (id) => `/dev/@connections/${id}`;
  // One request on a fresh connection, which the client then closes: the gateway keeps an
  // HTTP/1.1 connection alive (30 s idle) while its client holds it.
  const rawHttpClosed = async (...args) => {
    const result = await rawHttp(gateway.port, ...args);
    result.socket.destroy();
    return result;
  };
  const requestLine = (method, path, headers = [], body = '') => {
    const lines = [`${method} ${path} HTTP/1.1`, 'Host: 127.0.0.1', ...headers];
    if (body !== null && !headers.some((h) => /^transfer-encoding/i.test(h))) lines.push(`Content-Length: ${Buffer.byteLength(body)}`);
    return `${lines.join('\r\n')}\r\n\r\n${body ?? ''}`;
  };

  for (const method of ['PUT', 'PATCH', 'OPTIONS']) {
    test(`${method} on a live connection: 405 MethodNotAllowedException; the connection is untouched`, T, async () => {
      const { response } = await rawHttpClosed(requestLine(method, mgmtPath(encodeURIComponent(live.connectionId)), [], 'x'));
      assert.equal(response.status, 405);
      assert.equal(response.headers['x-amzn-errortype'], 'MethodNotAllowedException');
      assert.equal(await request(live.ws, 'untouched'), 'untouched');
    });
  }

  for (const [name, id] of [
    ['an unknown id', 'AAAAAAAAAAAAAAA%3D'],
    ['an empty id', ''],
    ['an 8 KB id', 'A'.repeat(8192)],
    ['an id with a NUL escape', 'ab%00cd'],
    ['an id with a newline escape', 'ab%0Acd'],
    ['an id with a broken escape', 'abc%3'],
    ['an encoded slash', 'a%2Fb'],
  ]) {
    test(`GET with ${name}: a 4xx, never a crash`, T, async () => {
      const { response } = await rawHttpClosed(requestLine('GET', mgmtPath(id), [], null));
      assert.ok(response, 'no HTTP response');
      assert.ok(response.status >= 400 && response.status < 500, `status ${response.status}`);
    });
  }

  test('a path with too many segments: 404', T, async () => {
    const { response } = await rawHttpClosed(requestLine('GET', `${mgmtPath('a')}/b/c`, [], null));
    assert.equal(response.status, 404);
  });

  test('an unknown stage: 404 NotFoundException', T, async () => {
    const { response } = await rawHttpClosed(requestLine('GET', `/prod/@connections/${encodeURIComponent(live.connectionId)}`, [], null));
    assert.equal(response.status, 404);
    assert.equal(response.headers['x-amzn-errortype'], 'NotFoundException');
  });

  test('a 2 MB POST: 413 PayloadTooLargeException, nothing delivered, the connection untouched', T, async () => {
    const url = `${gateway.mgmtUrl}/@connections/${encodeURIComponent(live.connectionId)}`;
    const response = await fetch(url, { method: 'POST', body: 'b'.repeat(2 * 1024 * 1024), signal: AbortSignal.timeout(10000) });
    assert.equal(response.status, 413);
    assert.equal(response.headers.get('x-amzn-errortype'), 'PayloadTooLargeException');
    assert.equal(await request(live.ws, 'after 2 MB'), 'after 2 MB', 'something else arrived first');
  });

  test('a POST whose Content-Length promises more than it sends is dropped without harm', T, async () => {
    const socket = await openSocket(gateway.port);
    socket.write(`POST ${mgmtPath(encodeURIComponent(live.connectionId))} HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nonly this`);
    await delay(200);
    socket.destroy();
    assert.equal(await request(live.ws, 'after a short POST'), 'after a short POST');
  });

  test('a chunked POST is answered (delivered, or refused with 411) within 5 s, not left hanging', T, async () => {
    const chunked = `POST ${mgmtPath(encodeURIComponent(live.connectionId))} HTTP/1.1\r\nHost: 127.0.0.1\r\n` +
      'Transfer-Encoding: chunked\r\n\r\n7\r\nchunked\r\n0\r\n\r\n';
    const { response } = await rawHttpClosed(chunked, { timeoutMs: 5000 });
    assert.ok(response, 'the connection closed without an answer');
    assert.ok([200, 411].includes(response.status), `status ${response.status}`);
    if (response.status === 200) assert.equal(await live.ws.nextMessage(2000), 'chunked');
  });

  test('the gateway is still serving, with no descriptor leak from the requests above', T, async () => {
    await assertStillServing();
    await assertDescriptorsBackTo(gateway.proc.pid, gateway.port, baselineFds);
  });
});

describe('a head that never completes (opened before every other test)', () => {
  test(`is closed by the ${HEAD_DEADLINE_MS / 1000} s head deadline, without an answer that invites a retry`, { timeout: 30000 }, async () => {
    const remaining = HEAD_DEADLINE_MS + 5000 - (Date.now() - slowlorisOpenedAt);
    await waitForEnd(slowloris, Math.max(remaining, 100));
    const waited = Date.now() - slowlorisOpenedAt;
    assert.ok(waited >= HEAD_DEADLINE_MS - 500, `closed after only ${waited} ms`);
    const answer = slowloris.received.toString('latin1');
    assert.ok(answer === '' || /^HTTP\/1\.[01] (408|400) /.test(answer), `unexpected answer ${answer.slice(0, 100)}`);
  });
});
