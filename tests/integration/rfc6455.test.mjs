// RFC 6455, strictly, with the right close code on the wire (issue 19 item 1): raw-socket clients
// send hand-built frames that break the protocol. Each must receive a close frame with the exact
// code (never a dropped socket, which a client reports as 1006), its $disconnect must carry the
// same code and reason, nothing it sent after the violation may be routed, and a well-behaved
// client on the same gateway keeps working throughout. The gateway must then exit cleanly: under
// the ASan+UBSan build a sanitizer report makes that last test fail.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { connect, request } from './support/client.mjs';
import { isEvent, startFunctionServer } from './support/function_server.mjs';
import { startGateway } from './support/gateway.mjs';
import {
  closeBody,
  decodeFrames,
  encodeFrame,
  frameHeader,
  openSocket,
  rawWebSocket,
  upgradeRequest,
  waitFor,
  waitForCloseFrame,
  waitForEnd,
} from './support/raw_client.mjs';
import { assertDisconnect, assertExactlyOneDisconnectEach, delay } from './support/tracking.mjs';

const T = { timeout: 30000 };
const MAX_FRAME = 32768;

let functions;
let gateway;
let bystander;  // a well-behaved client, open from the first test to the last
let stopped = false;
let tagCounter = 0;

before(async () => {
  functions = await startFunctionServer();
  gateway = await startGateway({
    routes: {
      name: 'rfc6455',
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
      limits: { maxFrameBytes: MAX_FRAME, maxMessageBytes: 4 * MAX_FRAME, idleTimeoutSeconds: 60 },
    },
  });
  bystander = await connect(gateway.wsUrl);
});
after(async () => {
  bystander?.close();
  if (!stopped) await gateway?.stop();
  await functions?.close();
});

// A raw WebSocket whose $connect the function server saw: {raw, connectionId}.
async function openRaw() {
  const tag = `rfc-${process.pid}-${++tagCounter}`;
  const raw = await rawWebSocket(gateway.port, `/dev?tag=${tag}`);
  const record = await functions.waitForEvent(
    (r) => isEvent('CONNECT')(r) && r.event.queryStringParameters?.tag === tag, 5000);
  return { raw, connectionId: record.event.requestContext.connectionId };
}

const messagesOf = (connectionId) =>
  functions.received(isEvent('MESSAGE', connectionId)).map((r) => r.event.body);

// The connection's routed messages once `count` have arrived (or 5 s passed), and any late ones.
async function messagesAfter(connectionId, count) {
  const deadline = Date.now() + 5000;
  while (messagesOf(connectionId).length < count && Date.now() < deadline) await delay(25);
  await delay(200);
  return messagesOf(connectionId);
}

// Sends `bytes`, then asserts the close frame on the wire, the $disconnect event, and that the
// gateway closes the TCP connection (the client here never answers the close frame).
async function assertClosedWith({ raw, connectionId }, bytes, code) {
  raw.socket.write(bytes);
  const closed = await waitForCloseFrame(raw, 5000);
  assert.ok(closed, `no close frame: the socket was ${raw.socket.closedFlag ? 'closed' : 'ended'} without one`);
  assert.equal(closed.code, code, `close code on the wire (reason "${closed.reason}")`);
  assert.ok(closed.reason.length > 0, 'the close frame names the violation');
  const context = await assertDisconnect(functions, connectionId, code, closed.reason, 10000);
  assert.equal(context.disconnectReason, closed.reason);
  await assertExactlyOneDisconnectEach(functions, [connectionId], { timeoutMs: 1000, settleMs: 100 });
  await waitForEnd(raw.socket, 10000);
  return closed;
}

const ping125 = 'p'.repeat(125);

describe('violations close with 1002', { concurrency: true }, () => {
  for (const [name, bytes] of [
    ['an unmasked text frame', encodeFrame({ payload: 'unmasked', mask: false })],
    ['an unmasked ping', encodeFrame({ opcode: 9, payload: 'x', mask: false })],
    ['RSV1 without permessage-deflate', encodeFrame({ rsv: 4, payload: 'x' })],
    ['RSV2', encodeFrame({ rsv: 2, payload: 'x' })],
    ['RSV3 on a continuation', Buffer.concat([
      encodeFrame({ fin: false, payload: 'a' }), encodeFrame({ opcode: 0, rsv: 1, payload: 'b' })])],
    ['opcode 3 (reserved data)', encodeFrame({ opcode: 3, payload: 'x' })],
    ['opcode 0xB (reserved control)', encodeFrame({ opcode: 0xb, payload: 'x' })],
    ['a fragmented ping', encodeFrame({ opcode: 9, fin: false, payload: 'x' })],
    ['a fragmented close', encodeFrame({ opcode: 8, fin: false, payload: closeBody(1000) })],
    ['a 126-byte ping', encodeFrame({ opcode: 9, payload: `${ping125}p` })],
    ['a ping with a 64-bit length of 5', Buffer.concat([frameHeader({ opcode: 9, length: 5, long64: true }), Buffer.from('abcde')])],
    ['a continuation with nothing to continue', encodeFrame({ opcode: 0, payload: 'x' })],
    ['a new text frame inside a fragmented message', Buffer.concat([
      encodeFrame({ fin: false, payload: 'a' }), encodeFrame({ payload: 'b' })])],
    ['a binary frame inside a fragmented text message', Buffer.concat([
      encodeFrame({ fin: false, payload: 'a' }), encodeFrame({ opcode: 2, payload: 'b' })])],
    ['a close frame with a 1-byte body', encodeFrame({ opcode: 8, payload: Buffer.from([0x03]) })],
    ['close code 1005 (must not be sent)', encodeFrame({ opcode: 8, payload: closeBody(1005) })],
    ['close code 1006 (must not be sent)', encodeFrame({ opcode: 8, payload: closeBody(1006) })],
    ['close code 999', encodeFrame({ opcode: 8, payload: closeBody(999) })],
    ['close code 2000 (unassigned)', encodeFrame({ opcode: 8, payload: closeBody(2000) })],
    ['close code 5000', encodeFrame({ opcode: 8, payload: closeBody(5000) })],
    ['a 64-bit length with its top bit set', frameHeader({ length: 1n << 63n })],
  ]) {
    test(`${name}`, T, async () => {
      const client = await openRaw();
      await assertClosedWith(client, bytes, 1002);
      assert.deepEqual(messagesOf(client.connectionId), []);
    });
  }
});

describe('invalid UTF-8 closes with 1007', { concurrency: true }, () => {
  for (const [name, bytes] of [
    ['in one text frame', encodeFrame({ payload: Buffer.from([0x7b, 0xc3, 0x28, 0x7d]) })],
    ['a sequence split across fragments and cut off', Buffer.concat([
      encodeFrame({ fin: false, payload: Buffer.from([0x61, 0xe2, 0x82]) }),
      encodeFrame({ opcode: 0, payload: Buffer.from('b') })])],
    ['a surrogate split across three fragments', Buffer.concat([
      encodeFrame({ fin: false, payload: Buffer.from([0xed]) }),
      encodeFrame({ opcode: 0, fin: false, payload: Buffer.from([0xa0]) }),
      encodeFrame({ opcode: 0, payload: Buffer.from([0x80]) })])],
    ['in a close frame\'s reason', encodeFrame({ opcode: 8, payload: closeBody(1000, Buffer.from([0xc3, 0x28])) })],
  ]) {
    test(name, T, async () => {
      const client = await openRaw();
      await assertClosedWith(client, bytes, 1007);
      assert.deepEqual(messagesOf(client.connectionId), []);
    });
  }
});

describe('lengths past the limits close with 1009, judged from the header', { concurrency: true }, () => {
  for (const [name, bytes, reason] of [
    // Only the header is sent: a close that came while the payload is still owed was not waiting
    // for (or buffering) it.
    ['a 64-bit length of 2^62', frameHeader({ length: 1n << 62n }), 'Frame size exceeded'],
    ['a 64-bit length of 2^32 + 1', frameHeader({ length: (1n << 32n) + 1n }), 'Frame size exceeded'],
    ['a 16-bit length of maxFrameBytes + 1', frameHeader({ length: MAX_FRAME + 1 }), 'Frame size exceeded'],
    ['fragments summing past maxMessageBytes', Buffer.concat([
      ...Array.from({ length: 4 }, (_, i) => encodeFrame({ opcode: i === 0 ? 1 : 0, fin: false, payload: 'm'.repeat(MAX_FRAME) })),
      frameHeader({ opcode: 0, length: 1 })]), 'Message too big'],
  ]) {
    test(name, T, async () => {
      const client = await openRaw();
      const closed = await assertClosedWith(client, bytes, 1009);
      assert.equal(closed.reason, reason);
      assert.deepEqual(messagesOf(client.connectionId), []);
    });
  }
});

describe('what comes before and after a violation', () => {
  test('messages before the violating frame are routed; nothing after it is', T, async () => {
    const client = await openRaw();
    await assertClosedWith(client, Buffer.concat([
      encodeFrame({ payload: 'before one' }),
      encodeFrame({ payload: '' }),
      encodeFrame({ fin: false, payload: 'before' }),
      encodeFrame({ opcode: 0, payload: '' }),
      encodeFrame({ payload: 'before two' }),
      encodeFrame({ payload: 'unmasked', mask: false }),
      encodeFrame({ payload: 'after' }),
    ]), 1002);
    assert.deepEqual(await messagesAfter(client.connectionId, 4), ['before one', '', 'before', 'before two']);
  });

  test('a violation in the same packet as the upgrade: 101, then close 1002; $disconnect 1002', T, async () => {
    const tag = `rfc-early-${process.pid}`;
    const socket = await openSocket(gateway.port);
    socket.write(Buffer.concat([
      Buffer.from(upgradeRequest(`/dev?tag=${tag}&delay=200`)),
      encodeFrame({ payload: 'early and fine' }),
      encodeFrame({ opcode: 3, payload: 'reserved' }),
      encodeFrame({ payload: 'never routed' }),
    ]));
    await waitFor(socket, (s) => s.received.includes('\r\n\r\n') || s.closedFlag, 5000, 'no handshake response');
    assert.match(socket.received.toString('latin1'), /^HTTP\/1\.1 101 /);
    const headLength = socket.received.indexOf('\r\n\r\n') + 4;
    const raw = { socket, frames: () => decodeFrames(socket.received.subarray(headLength)) };
    const closed = await waitForCloseFrame(raw, 5000);
    assert.equal(closed?.code, 1002);
    const connectRecord = functions.received((r) => isEvent('CONNECT')(r) && r.event.queryStringParameters?.tag === tag)[0];
    const connectionId = connectRecord.event.requestContext.connectionId;
    await assertDisconnect(functions, connectionId, 1002, closed.reason, 10000);
    assert.deepEqual(await messagesAfter(connectionId, 1), ['early and fine']);
  });

  test('a well-formed stream is untouched: fragments, pings between them, a 125-byte ping, a close 1000', T, async () => {
    const client = await openRaw();
    const { raw } = client;
    raw.socket.write(Buffer.concat([
      encodeFrame({ fin: false, payload: 'frag' }),
      encodeFrame({ opcode: 9, payload: ping125 }),
      encodeFrame({ opcode: 0, fin: false, payload: 'men' }),
      encodeFrame({ opcode: 0, payload: 'ted' }),
      encodeFrame({ payload: 'x'.repeat(MAX_FRAME) }),
    ]));
    await waitFor(raw.socket, () => raw.frames().filter((f) => f.opcode === 1).length >= 2, 5000, 'no echoes');
    const frames = raw.frames();
    assert.equal(frames.find((f) => f.opcode === 10)?.payload.toString(), ping125);
    assert.deepEqual(frames.filter((f) => f.opcode === 1).map((f) => f.payload.length), ['fragmented'.length, MAX_FRAME]);
    raw.socket.write(encodeFrame({ opcode: 8, payload: closeBody(1000, 'done') }));
    const closed = await waitForCloseFrame(raw, 5000);
    assert.equal(closed.code, 1000);
    await assertDisconnect(functions, client.connectionId, 1000, 'done', 5000);
  });

  test('permessage-deflate offered by the client is not negotiated, so RSV1 stays a violation', T, async () => {
    const tag = `rfc-deflate-${process.pid}`;
    const raw = await rawWebSocket(gateway.port, `/dev?tag=${tag}`,
      { extra: ['Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits'] });
    assert.equal(raw.response.headers['sec-websocket-extensions'], undefined,
      'the gateway accepted an extension: RSV1 would then be legal on compressed data frames');
    const record = await functions.waitForEvent(
      (r) => isEvent('CONNECT')(r) && r.event.queryStringParameters?.tag === tag, 5000);
    await assertClosedWith({ raw, connectionId: record.event.requestContext.connectionId },
      encodeFrame({ rsv: 4, payload: 'x' }), 1002);
  });

  test('private and registered close codes from the client are accepted and carried to $disconnect', T, async () => {
    for (const code of [1001, 1011, 3000, 4999]) {
      const client = await openRaw();
      client.raw.socket.write(encodeFrame({ opcode: 8, payload: closeBody(code, `bye ${code}`) }));
      assert.equal((await waitForCloseFrame(client.raw, 5000)).code, code);
      await assertDisconnect(functions, client.connectionId, code, `bye ${code}`, 5000);
    }
  });
});

describe('the gateway stays healthy', () => {
  test('the well-behaved client opened first still gets answers, and new clients still connect', T, async () => {
    assert.equal(gateway.proc.exitCode, null, 'the gateway exited');
    assert.equal(await request(bystander, 'still here'), 'still here');
    const fresh = await connect(gateway.wsUrl);
    assert.equal(await request(fresh, 'fresh'), 'fresh');
    fresh.close();
  });

  test('it exits cleanly on SIGTERM, with no sanitizer report', { timeout: 30000 }, async () => {
    bystander.close();
    bystander = null;
    const result = await gateway.stop('SIGTERM', 20000);
    stopped = true;
    const reports = gateway.stderrLines().filter((line) => /Sanitizer|runtime error:/.test(line));
    assert.deepEqual(reports, []);
    assert.equal(result.code, 0, `exit ${JSON.stringify(result)}`);
  });
});
