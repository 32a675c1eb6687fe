// Functions that misbehave: crash mid-invoke, hang, answer garbage or non-JSON, answer more than
// Lambda's 6 MB, close the socket early, answer an HTTP error; and started (`command`) functions
// that die. Each gives the client AWS's answer (the "Internal server error" frame on messages,
// the README's 500/502/504 on $connect), a log line naming the function and the cause, and the
// gateway keeps serving everyone else.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { connect, request, tryConnect } from './support/client.mjs';
import { isEvent, startFunctionServer } from './support/function_server.mjs';
import { startGateway } from './support/gateway.mjs';
import { delay, openTagged } from './support/tracking.mjs';

const T = { timeout: 30000 };
const HERE = path.dirname(fileURLToPath(import.meta.url));
const CRASHY = path.join(HERE, 'support', 'crashy_function.mjs');
const INTERNAL_ERROR = /^\{"message": "Internal server error", "connectionId":"([^"]+)", "requestId":"([^"]+)"\}$/;

let functions;
let gateway;

// Each fault, as a function-server behaviour. They misbehave on every event they receive.
const FAULTS = {
  // The process handling the invocation dies: the socket is destroyed with no answer.
  crash: async (event, req) => {
    req.socket.destroy();
    await delay(10);
    return { status: 200, body: {} };
  },
  // Answers the head, then closes mid-body (Content-Length promises more).
  partial: async (event, req) => {
    req.socket.end('HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"statusCode": 200, "bo');
    await delay(10);
    return { status: 200, body: {} };
  },
  // Closes its side without writing anything.
  'early-close': async (event, req) => {
    req.socket.end();
    await delay(10);
    return { status: 200, body: {} };
  },
  hang: () => new Promise(() => {}),
  garbage: async () => ({ status: 200, body: Buffer.from([0x00, 0xff, 0xfe, 0x3c, 0x68, 0x74, 0x6d, 0x6c]) }),
  'non-json': async () => ({ status: 200, body: 'Hello from a handler that forgot JSON.stringify' }),
  // A result Lambda itself would refuse: over 6 MB.
  huge: async () => ({ status: 200, body: { statusCode: 200, body: 'x'.repeat(7 * 1024 * 1024) } }),
  'status-500': async () => ({ status: 500, body: { message: 'the invoke endpoint is broken' } }),
};

// What the log's reason must say for each fault, and what $connect answers.
const EXPECTED = {
  crash: { cause: /unreachable/, connectStatus: 500 },
  partial: { cause: /unreachable/, connectStatus: 500 },
  'early-close': { cause: /unreachable/, connectStatus: 500 },
  hang: { cause: /timeout/, connectStatus: 504 },
  garbage: { cause: /not JSON/, connectStatus: 502 },
  'non-json': { cause: /not JSON/, connectStatus: 502 },
  huge: { cause: /6 MB/, connectStatus: 502 },
  'status-500': { cause: /500/, connectStatus: 500 },
};

// Function names in routes.json must be identifiers: "early-close" -> "earlyClose".
const functionName = (fault) => fault.replace(/-(.)/g, (_, c) => c.toUpperCase());

before(async () => {
  functions = await startFunctionServer();
  for (const [name, behaviour] of Object.entries(FAULTS)) functions.behaviours.set(name, behaviour);
  // A $connect that misbehaves as its ?fault= says, and accepts otherwise.
  functions.behaviours.set('connect-fault', async (event, req) => {
    const fault = event.queryStringParameters?.fault;
    if (fault && FAULTS[fault]) return FAULTS[fault](event, req);
    return { status: 200, body: { statusCode: 200 } };
  });
  gateway = await startGateway({ routes: faultRoutes() });
});
after(async () => {
  await gateway?.stop();
  await functions?.close();
});

function faultRoutes() {
  const fns = {
    connectFault: { url: functions.url('connect-fault'), timeoutMs: 1000 },
    onDisconnect: { url: functions.url('record') },
    echoer: { url: functions.url('echo') },
  };
  const routes = {
    $connect: { function: 'connectFault' },
    $disconnect: { function: 'onDisconnect' },
    $default: { function: 'echoer', routeResponse: true },
  };
  for (const fault of Object.keys(FAULTS)) {
    const name = functionName(fault);
    fns[name] = { url: functions.url(fault), timeoutMs: 1000 };
    routes[`${fault}`] = { function: name, routeResponse: true };
    routes[`${fault}-oneway`] = { function: name };
  }
  return { name: 'faults', stage: 'dev', functions: fns, routes };
}


// The gateway's line for this connection's invocation of `fn`, e.g. `message ... function=crash`;
// `failed` picks the line of a failed invocation.
const invocationLine = (connectionId, fn, failed = false) => ({
  test: (line) => line.includes(connectionId) && line.includes(`function=${fn} `) &&
    (!failed || /outcome=(error|"?rejected|unreachable|timeout|function error|bad status)/.test(line)),
});

describe('a message route whose function misbehaves', () => {
  for (const fault of Object.keys(FAULTS)) {
    test(`${fault}: the client gets AWS's "Internal server error" frame, the log names the function and the cause`, T, async () => {
      const { ws, connectionId } = await openTagged(functions, gateway.wsUrl);
      const frame = await request(ws, JSON.stringify({ action: fault }), 5000);
      const match = INTERNAL_ERROR.exec(frame);
      assert.ok(match, `unexpected frame: ${String(frame).slice(0, 200)}`);
      assert.equal(match[1], connectionId);
      const messageEvent = functions.received(isEvent('MESSAGE', connectionId))[0];
      assert.equal(match[2], messageEvent.event.requestContext.requestId, 'requestId is the failed event\'s');
      const line = await gateway.waitForLine(invocationLine(connectionId, functionName(fault)), 3000);
      assert.match(line, /outcome=error/);
      assert.match(line, EXPECTED[fault].cause, `the log line does not say why: ${line}`);
      // The connection survives its function's failure.
      assert.equal(await request(ws, 'after the fault'), 'after the fault');
      ws.close();
    });
  }

  test('a crash on a one-way route still sends the frame (AWS-NOTES §2.3)', T, async () => {
    const { ws, connectionId } = await openTagged(functions, gateway.wsUrl);
    const frame = await request(ws, JSON.stringify({ action: 'crash-oneway' }), 5000);
    assert.equal(INTERNAL_ERROR.exec(frame)?.[1], connectionId, `unexpected frame ${frame}`);
    ws.close();
  });

  test('garbage on a one-way route is discarded: no frame at all', T, async () => {
    const { ws, connectionId } = await openTagged(functions, gateway.wsUrl);
    ws.send(JSON.stringify({ action: 'garbage-oneway' }));
    await functions.waitForEvent(isEvent('MESSAGE', connectionId));
    await assert.rejects(ws.nextMessage(700), /no message/);
    assert.equal(await request(ws, 'next'), 'next');
    ws.close();
  });
});

describe('a $connect function that misbehaves', () => {
  for (const fault of Object.keys(FAULTS)) {
    const { connectStatus } = EXPECTED[fault];
    test(`${fault}: the handshake is refused with ${connectStatus} and the log names the function and the cause`, T, async () => {
      const tag = `connect-${fault}-${Date.now()}`;
      const outcome = await tryConnect(`${gateway.wsUrl}?fault=${fault}&tag=${tag}`, { timeoutMs: 6000 });
      assert.equal(outcome.opened, false, 'the handshake succeeded');
      assert.equal(outcome.status, connectStatus, `client saw ${outcome.status ?? outcome.error?.message}`);
      const record = functions.received((r) => isEvent('CONNECT')(r) && r.event.queryStringParameters?.tag === tag)[0];
      const connectionId = record.event.requestContext.connectionId;
      const line = await gateway.waitForLine(invocationLine(connectionId, 'connectFault'), 3000);
      assert.match(line, new RegExp(`rejected ${connectStatus}`));
      assert.match(line, EXPECTED[fault].cause, `the log line does not say why: ${line}`);
      await delay(100);
      assert.deepEqual(functions.received(isEvent('DISCONNECT', connectionId)), [], 'a refused connection got $disconnect');
    });
  }
});

describe('everyone else', () => {
  test('is served promptly while every fault happens at once, and the gateway stays up', { timeout: 40000 }, async () => {
    const bystander = await openTagged(functions, gateway.wsUrl);
    const victims = await Promise.all(Object.keys(FAULTS).map(() => openTagged(functions, gateway.wsUrl)));
    const storms = Object.keys(FAULTS).flatMap((fault, i) => [
      request(victims[i].ws, JSON.stringify({ action: fault }), 8000),
      tryConnect(`${gateway.wsUrl}?fault=${fault}`, { timeoutMs: 8000 }),
    ]);
    const latencies = [];
    for (let i = 0; i < 10; i += 1) {
      const startedAt = Date.now();
      assert.equal(await request(bystander.ws, `bystander ${i}`, 3000), `bystander ${i}`);
      latencies.push(Date.now() - startedAt);
    }
    await Promise.all(storms);
    assert.ok(Math.max(...latencies) < 2000, `a bystander waited ${Math.max(...latencies)} ms`);
    assert.equal(gateway.proc.exitCode, null, 'the gateway exited');
    const fresh = await connect(gateway.wsUrl);
    assert.equal(await request(fresh, 'fresh'), 'fresh');
    fresh.close();
    bystander.ws.close();
    for (const v of victims) v.ws.close();
  });

  test('a $disconnect function that crashes is logged with its name; nothing else notices', T, async (t) => {
    const routes = faultRoutes();
    routes.routes.$disconnect = { function: 'crash' };
    const gw = await startGateway({ routes });
    t.after(() => gw.stop());
    const { ws, connectionId } = await openTagged(functions, gw.wsUrl);
    ws.close(1000);
    const line = await gw.waitForLine(invocationLine(connectionId, 'crash'), 3000);
    assert.match(line, /disconnect/);
    assert.match(line, /unreachable/);
    const other = await connect(gw.wsUrl);
    assert.equal(await request(other, 'unaffected'), 'unaffected');
    other.close();
  });
});

describe('a started (command) function that dies', () => {
  let gw;
  before(async () => {
    gw = await startGateway({
      routes: {
        name: 'crashy',
        stage: 'dev',
        functions: {
          crashy: { command: ['node', CRASHY], timeoutMs: 1500 },
          onConnect: { url: functions.url('connect') },
          onDisconnect: { url: functions.url('record') },
        },
        routes: {
          $connect: { function: 'onConnect' },
          $disconnect: { function: 'onDisconnect' },
          $default: { function: 'crashy', routeResponse: true },
        },
      },
    });
  });
  after(() => gw?.stop());

  // Sends `body` until the function answers with it again (it is restarting); bounded.
  async function untilEchoed(ws, body, timeoutMs = 8000) {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const reply = await request(ws, body, 3000);
      if (reply === body) return;
      assert.match(reply, INTERNAL_ERROR, `unexpected frame while the function restarts: ${reply}`);
      await delay(200);
    }
    throw new Error(`the function did not come back within ${timeoutMs} ms`);
  }

  const pidLines = () => gw.lines().filter((line) => /\[crashy\] crashy function pid=\d+/.test(line));

  test('crashing mid-invoke gives the frame, is logged with its name, and is restarted', T, async () => {
    const { ws, connectionId } = await openTagged(functions, gw.wsUrl);
    assert.equal(await request(ws, 'before'), 'before');
    const starts = pidLines().length;
    const frame = await request(ws, 'crash', 5000);
    assert.equal(INTERNAL_ERROR.exec(frame)?.[1], connectionId, `unexpected frame ${frame}`);
    const line = await gw.waitForLine(invocationLine(connectionId, 'crashy', true), 3000);
    assert.match(line, /outcome=error/);
    await gw.waitForLine(/function process exited with status 3; restarting.*crashy/, 3000);
    await untilEchoed(ws, 'after the crash');
    assert.ok(pidLines().length > starts, 'no new process was started');
    ws.close();
  });

  test('killed from outside (SIGKILL), it is restarted and serves again', T, async () => {
    const { ws } = await openTagged(functions, gw.wsUrl);
    assert.equal(await request(ws, 'alive'), 'alive');
    const pid = Number(/pid=(\d+)/.exec(pidLines().at(-1))[1]);
    process.kill(pid, 'SIGKILL');
    await gw.waitForLine(/killed by Killed; restarting.*crashy/, 3000);
    await untilEchoed(ws, 'after SIGKILL');
    assert.notEqual(Number(/pid=(\d+)/.exec(pidLines().at(-1))[1]), pid);
    ws.close();
  });

  test('hanging past its timeoutMs gives the frame after about that long', T, async () => {
    const { ws, connectionId } = await openTagged(functions, gw.wsUrl);
    const startedAt = Date.now();
    const frame = await request(ws, 'hang', 5000);
    const waited = Date.now() - startedAt;
    assert.equal(INTERNAL_ERROR.exec(frame)?.[1], connectionId, `unexpected frame ${frame}`);
    assert.ok(waited >= 1300 && waited < 5000, `the frame came after ${waited} ms`);
    const line = await gw.waitForLine(invocationLine(connectionId, 'crashy', true), 3000);
    assert.match(line, /timeout/);
    ws.close();
  });
});
