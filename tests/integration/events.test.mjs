// The Lambda events the gateway sends, field by field, as a function receives them (AWS-NOTES §1).
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, test } from 'node:test';

import { connect, tryConnect } from './support/client.mjs';
import { isEvent, isMessageWithBody, startFunctionServer } from './support/function_server.mjs';
import { startGateway } from './support/gateway.mjs';

const T = { timeout: 20000 };
const delay = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

const CONTEXT_KEYS = [
  'routeKey',
  'eventType',
  'extendedRequestId',
  'requestTime',
  'messageDirection',
  'stage',
  'connectedAt',
  'requestTimeEpoch',
  'identity',
  'requestId',
  'domainName',
  'connectionId',
  'apiId',
];
const CONNECTION_ID = /^[A-Za-z0-9_-]{15}=$/;
const API_ID = /^[a-z0-9]{10}$/;
const REQUEST_TIME = /^(\d{2})\/(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)\/(\d{4}):(\d{2}):(\d{2}):(\d{2}) \+0000$/;
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

const acceptFor = (key) =>
  createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
const sorted = (keys) => [...keys].sort();
const findHeader = (headers, name) =>
  Object.keys(headers).filter((key) => key.toLowerCase() === name.toLowerCase());

let functions;
let gateway;
let tagCounter = 0;

before(async () => {
  functions = await startFunctionServer();
  gateway = await startGateway({
    routes: {
      name: 'events',
      stage: 'dev',
      functions: {
        connect: { url: functions.url('connect') },
        record: { url: functions.url('record') },
      },
      routes: {
        $connect: { function: 'connect' },
        $disconnect: { function: 'record' },
        $default: { function: 'record' },
        sendPublic: { function: 'record' },
      },
    },
  });
});
after(async () => {
  await gateway?.stop();
  await functions?.close();
});

// Opens a client with a unique tag in the query string (plus `query`) and returns the socket,
// its $connect record, its connectionId and the 101's Sec-WebSocket-Accept.
async function open({ query = '', headers } = {}) {
  const tag = `t${++tagCounter}`;
  const outcome = await tryConnect(`${gateway.wsUrl}?tag=${tag}${query}`, { headers });
  assert.equal(outcome.opened, true, `handshake failed: ${outcome.status ?? outcome.error?.message}`);
  const record = await functions.waitForEvent(
    (r) => isEvent('CONNECT')(r) && r.event.queryStringParameters?.tag === tag,
  );
  return {
    ws: outcome.ws,
    record,
    event: record.event,
    connectionId: record.event.requestContext.connectionId,
    accept: outcome.response.headers['sec-websocket-accept'],
  };
}

function assertCommonContext(context, { eventType, routeKey }) {
  assert.equal(context.routeKey, routeKey);
  assert.equal(context.eventType, eventType);
  assert.equal(context.messageDirection, 'IN');
  assert.equal(context.stage, 'dev');
  assert.equal(context.domainName, `127.0.0.1:${gateway.port}`);
  assert.match(context.connectionId, CONNECTION_ID);
  assert.match(context.apiId, API_ID);
  assert.equal(typeof context.requestId, 'string');
  assert.ok(context.requestId.length > 0);
  assert.equal(context.requestId, context.extendedRequestId);
  assert.ok(Number.isInteger(context.requestTimeEpoch), 'requestTimeEpoch is not an integer');
  assert.ok(Number.isInteger(context.connectedAt), 'connectedAt is not an integer');
  assert.ok(context.connectedAt <= context.requestTimeEpoch, 'connectedAt is after requestTimeEpoch');
  assert.ok(Math.abs(context.requestTimeEpoch - Date.now()) < 60000, 'requestTimeEpoch is not now');

  const time = REQUEST_TIME.exec(context.requestTime);
  assert.ok(time, `requestTime ${JSON.stringify(context.requestTime)} is not dd/MMM/yyyy:HH:mm:ss +0000`);
  const [, day, month, year, hours, minutes, seconds] = time;
  const parsed = Date.UTC(Number(year), MONTHS.indexOf(month), Number(day), Number(hours), Number(minutes), Number(seconds));
  assert.equal(parsed, Math.floor(context.requestTimeEpoch / 1000) * 1000, 'requestTime and requestTimeEpoch disagree');
}

describe('the $connect event', () => {
  test('has the client headers, the forwarding headers and no Connection/Upgrade', T, async () => {
    const { ws, event, accept } = await open({ headers: { 'X-Custom': 'a' } });
    const { headers } = event;
    assert.equal(headers['X-Custom'], 'a');
    assert.equal(headers.Host, `127.0.0.1:${gateway.port}`);
    // The key the client sent is the one the 101's Sec-WebSocket-Accept was computed from.
    assert.match(headers['Sec-WebSocket-Key'], /^[A-Za-z0-9+/]{22}==$/);
    assert.equal(acceptFor(headers['Sec-WebSocket-Key']), accept);
    assert.equal(headers['Sec-WebSocket-Version'], '13');
    assert.equal(headers['X-Forwarded-For'], '127.0.0.1');
    assert.equal(headers['X-Forwarded-Port'], String(gateway.port));
    assert.equal(headers['X-Forwarded-Proto'], 'http');
    assert.match(headers['X-Amzn-Trace-Id'], /^Root=1-[0-9a-f]{8}-[0-9a-f]{24}$/);
    for (const name of ['Connection', 'Upgrade', 'Content-Length']) {
      assert.deepEqual(findHeader(headers, name), [], `${name} must not reach $connect`);
    }
    for (const value of Object.values(headers)) assert.equal(typeof value, 'string');
    ws.close();
  });

  test('has multiValueHeaders with the same keys as headers, each value in a list', T, async () => {
    const { ws, event } = await open({ headers: { 'X-Custom': 'a' } });
    assert.deepEqual(sorted(Object.keys(event.multiValueHeaders)), sorted(Object.keys(event.headers)));
    for (const [name, value] of Object.entries(event.headers)) {
      assert.deepEqual(event.multiValueHeaders[name], [value], `multiValueHeaders.${name}`);
    }
    ws.close();
  });

  test('has the query string in single- and multi-value forms, last value winning', T, async () => {
    const { ws, event } = await open({ query: '&a=1&a=2&b=x' });
    const { tag } = event.queryStringParameters;
    assert.deepEqual(event.queryStringParameters, { tag, a: '2', b: 'x' });
    assert.deepEqual(event.multiValueQueryStringParameters, { tag: [tag], a: ['1', '2'], b: ['x'] });
    ws.close();
  });

  test('has exactly AWS top-level keys, and no query string keys without a query', T, async () => {
    const ws = await connect(gateway.wsUrl, { headers: { 'X-Probe': 'no-query' } });
    const record = await functions.waitForEvent(
      (r) => isEvent('CONNECT')(r) && r.event.headers?.['X-Probe'] === 'no-query',
    );
    assert.deepEqual(sorted(Object.keys(record.event)), sorted(['headers', 'multiValueHeaders', 'requestContext', 'isBase64Encoded']));
    assert.equal(record.event.isBase64Encoded, false);

    const withQuery = await open();
    assert.deepEqual(
      sorted(Object.keys(withQuery.event)),
      sorted([
        'headers',
        'multiValueHeaders',
        'queryStringParameters',
        'multiValueQueryStringParameters',
        'requestContext',
        'isBase64Encoded',
      ]),
    );
    ws.close();
    withQuery.ws.close();
  });

  test('has exactly AWS requestContext keys with AWS formats', T, async () => {
    const { ws, event } = await open();
    const context = event.requestContext;
    assert.deepEqual(sorted(Object.keys(context)), sorted(CONTEXT_KEYS));
    assertCommonContext(context, { eventType: 'CONNECT', routeKey: '$connect' });
    assert.ok(context.requestTimeEpoch - context.connectedAt < 1000, 'connectedAt is not the handshake time');
    ws.close();
  });

  test('has identity with sourceIp only when the client sent no User-Agent', T, async () => {
    const { ws, event } = await open();
    assert.deepEqual(event.requestContext.identity, { sourceIp: '127.0.0.1' });
    ws.close();
  });

  test('has identity.userAgent when the client sent a User-Agent', T, async () => {
    const { ws, event } = await open({ headers: { 'User-Agent': 'wsgw-test/1.0 (integration)' } });
    assert.deepEqual(event.requestContext.identity, {
      sourceIp: '127.0.0.1',
      userAgent: 'wsgw-test/1.0 (integration)',
    });
    assert.equal(event.headers['User-Agent'], 'wsgw-test/1.0 (integration)');
    ws.close();
  });

  test('invokes the function as the Lambda Invoke API: POST with a JSON body', T, async () => {
    const { ws, record } = await open();
    assert.equal(record.method, 'POST');
    assert.equal(record.path, '/2015-03-31/functions/connect/invocations');
    assert.match(String(record.headers['content-type']), /^application\/json/);
    ws.close();
  });

  test('gives each connection its own connectionId within one apiId', T, async () => {
    const first = await open();
    const second = await open();
    assert.notEqual(first.connectionId, second.connectionId);
    assert.equal(first.event.requestContext.apiId, second.event.requestContext.apiId);
    assert.notEqual(first.event.requestContext.requestId, second.event.requestContext.requestId);
    first.ws.close();
    second.ws.close();
  });
});

describe('the message event', () => {
  test('has exactly requestContext, the body verbatim and isBase64Encoded', T, async () => {
    const { ws, event: connectEvent, connectionId } = await open();
    const body = `{"action": "sendPublic",  "text": "héllo ✓ ${++tagCounter}" }`;
    ws.send(body);
    const { event } = await functions.waitForEvent(isMessageWithBody(body));

    assert.deepEqual(sorted(Object.keys(event)), sorted(['requestContext', 'body', 'isBase64Encoded']));
    assert.equal(event.body, body);
    assert.equal(event.isBase64Encoded, false);
    const context = event.requestContext;
    assert.deepEqual(sorted(Object.keys(context)), sorted([...CONTEXT_KEYS, 'messageId']));
    assertCommonContext(context, { eventType: 'MESSAGE', routeKey: 'sendPublic' });
    assert.equal(context.connectionId, connectionId);
    assert.equal(context.connectedAt, connectEvent.requestContext.connectedAt);
    assert.deepEqual(context.identity, connectEvent.requestContext.identity);
    assert.equal(typeof context.messageId, 'string');
    assert.ok(context.messageId.length > 0);
    assert.notEqual(context.requestId, connectEvent.requestContext.requestId);
    ws.close();
  });

  test('gives every message its own messageId and requestId', T, async () => {
    const { ws } = await open();
    const bodies = [`plain text one ${++tagCounter}`, `plain text two ${tagCounter}`];
    for (const body of bodies) ws.send(body);
    const events = await Promise.all(bodies.map((body) => functions.waitForEvent(isMessageWithBody(body))));
    const [first, second] = events.map((r) => r.event.requestContext);
    assert.equal(first.routeKey, '$default');
    assert.notEqual(first.messageId, second.messageId);
    assert.notEqual(first.requestId, second.requestId);
    ws.close();
  });
});

describe('the $disconnect event', () => {
  async function disconnectEventFor(connectionId) {
    return (await functions.waitForEvent(isEvent('DISCONNECT', connectionId))).event;
  }

  test('has AWS fixed headers and exactly AWS top-level and requestContext keys', T, async () => {
    const { ws, connectionId, event: connectEvent } = await open({ headers: { 'User-Agent': 'wsgw-test' } });
    ws.close(4001, 'bye');
    const event = await disconnectEventFor(connectionId);

    assert.deepEqual(sorted(Object.keys(event)), sorted(['headers', 'multiValueHeaders', 'requestContext', 'isBase64Encoded']));
    const host = `127.0.0.1:${gateway.port}`;
    assert.deepEqual(event.headers, { Host: host, 'x-api-key': '', 'X-Forwarded-For': '', 'x-restapi': '' });
    assert.deepEqual(event.multiValueHeaders, {
      Host: [host],
      'x-api-key': [''],
      'X-Forwarded-For': [''],
      'x-restapi': [''],
    });
    assert.equal(event.isBase64Encoded, false);
    const context = event.requestContext;
    assert.deepEqual(sorted(Object.keys(context)), sorted([...CONTEXT_KEYS, 'disconnectStatusCode', 'disconnectReason']));
    assertCommonContext(context, { eventType: 'DISCONNECT', routeKey: '$disconnect' });
    assert.equal(context.connectedAt, connectEvent.requestContext.connectedAt);
    assert.deepEqual(context.identity, { sourceIp: '127.0.0.1', userAgent: 'wsgw-test' });
  });

  test("carries the client's close code and reason", T, async () => {
    const { ws, connectionId } = await open();
    ws.close(4001, 'bye');
    const { requestContext } = await disconnectEventFor(connectionId);
    assert.equal(requestContext.disconnectStatusCode, 4001);
    assert.equal(requestContext.disconnectReason, 'bye');
  });

  test('reports 1005 "Client-side close frame status not set" for a close without a code', T, async () => {
    const { ws, connectionId } = await open();
    ws.close();
    const { requestContext } = await disconnectEventFor(connectionId);
    assert.equal(requestContext.disconnectStatusCode, 1005);
    assert.equal(requestContext.disconnectReason, 'Client-side close frame status not set');
  });

  test('reports 1006 when the client drops the TCP connection without a close frame', T, async () => {
    const { ws, connectionId } = await open();
    ws.terminate();
    const { requestContext } = await disconnectEventFor(connectionId);
    assert.equal(requestContext.disconnectStatusCode, 1006);
    assert.equal(typeof requestContext.disconnectReason, 'string');
  });

  test('is sent exactly once per connection', T, async () => {
    const { ws, connectionId } = await open();
    await new Promise((resolve) => {
      ws.once('close', resolve);
      ws.close(1000, 'done');
    });
    await disconnectEventFor(connectionId);
    await delay(500);
    assert.equal(functions.received(isEvent('DISCONNECT', connectionId)).length, 1);
  });
});

describe('--stage', () => {
  test('sets requestContext.stage of every event', T, async (t) => {
    const gw = await startGateway({
      routes: {
        stage: 'dev',
        functions: { record: { url: functions.url('record') } },
        routes: { $connect: { function: 'record' }, $default: { function: 'record' } },
      },
      args: ['--stage', 'override'],
    });
    t.after(() => gw.stop());
    const ws = await connect(`${gw.wsUrl}?tag=stage-override`);
    const connectRecord = await functions.waitForEvent(
      (r) => isEvent('CONNECT')(r) && r.event.queryStringParameters?.tag === 'stage-override',
    );
    assert.equal(connectRecord.event.requestContext.stage, 'override');
    ws.send('stage-override message');
    const message = await functions.waitForEvent(isMessageWithBody('stage-override message'));
    assert.equal(message.event.requestContext.stage, 'override');
    ws.close();
  });
});
