// Message routing: route selection, route responses, and the frames the gateway itself sends.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { connect, request } from './support/client.mjs';
import { deadUrl, isEvent, isMessageWithBody, startFunctionServer } from './support/function_server.mjs';
import { startGateway } from './support/gateway.mjs';

const T = { timeout: 20000 };
const delay = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const escapeRegExp = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

let functions;
let tagCounter = 0;

before(async () => {
  functions = await startFunctionServer();
  // Answers every message with the route key it was invoked for.
  functions.behaviours.set('which', async (event) => ({
    body: { statusCode: 200, body: event.requestContext.routeKey },
  }));
});
after(() => functions?.close());

// Connects with a unique tag and learns the connection's id from the $connect event.
async function connectTagged(gateway) {
  const tag = `client-${++tagCounter}`;
  const ws = await connect(`${gateway.wsUrl}?tag=${tag}`);
  const record = await functions.waitForEvent(
    (r) => isEvent('CONNECT')(r) && r.event.queryStringParameters?.tag === tag,
  );
  return { ws, connectionId: record.event.requestContext.connectionId };
}

// A gateway whose routes all answer with their own route key.
function whichGateway(routeSelectionExpression, routeKeys) {
  const routes = { $connect: { function: 'record' } };
  for (const key of routeKeys) routes[key] = { function: 'which', routeResponse: true };
  return startGateway({
    routes: {
      name: 'routing',
      stage: 'dev',
      ...(routeSelectionExpression ? { routeSelectionExpression } : {}),
      functions: { which: { url: functions.url('which') }, record: { url: functions.url('record') } },
      routes,
    },
  });
}

describe('route selection', () => {
  const cases = [
    {
      expression: undefined,
      title: 'the default expression $request.body.action',
      routes: ['$default', 'sendPublic', '7'],
      messages: [
        ['{"action":"sendPublic","text":"hi"}', 'sendPublic'],
        ['{"action":"sendpublic"}', '$default'],
        ['{"action":"unknown"}', '$default'],
        ['{"text":"no action key"}', '$default'],
        ['not json at all', '$default'],
        ['{"action":"sendPublic"', '$default'],
        ['["sendPublic"]', '$default'],
        ['"sendPublic"', '$default'],
        ['{"action": 7}', '7'],
        ['{"action":""}', '$default'],
      ],
    },
    {
      expression: '$request.body.a.b',
      title: 'a nested path $request.body.a.b',
      routes: ['$default', 'deep'],
      messages: [
        ['{"a":{"b":"deep"}}', 'deep'],
        ['{"a":"deep"}', '$default'],
        ['{"b":"deep"}', '$default'],
      ],
    },
    {
      expression: '${request.body.service}/${request.body.action}',
      title: 'variables mixed with literal text',
      routes: ['$default', 'chat/join'],
      messages: [
        ['{"service":"chat","action":"join","data":{"room":"room1234"}}', 'chat/join'],
        ['{"service":"chat","action":"leave"}', '$default'],
      ],
    },
    {
      expression: '${request.body.action}-${request.body.invalidPath}',
      title: 'a missing path inside a template, which evaluates to ""',
      routes: ['$default', 'join-'],
      messages: [['{"action":"join"}', 'join-']],
    },
    {
      expression: '\\$default',
      title: 'the static expression \\$default',
      routes: ['$default', 'sendPublic'],
      messages: [
        ['{"action":"sendPublic"}', '$default'],
        ['plain text', '$default'],
      ],
    },
  ];

  for (const { expression, title, routes, messages } of cases) {
    test(`routes with ${title}`, T, async (t) => {
      const gateway = await whichGateway(expression, routes);
      t.after(() => gateway.stop());
      const ws = await connect(gateway.wsUrl);
      for (const [message, expectedRoute] of messages) {
        assert.equal(await request(ws, message), expectedRoute, `message ${message}`);
      }
      ws.close();
    });
  }
});

describe('a message that matches no route when there is no $default', () => {
  test('gets the Forbidden frame and the connection stays open', T, async (t) => {
    const gateway = await whichGateway(undefined, ['sendPublic']);
    t.after(() => gateway.stop());
    const { ws, connectionId } = await connectTagged(gateway);

    const frame = await request(ws, 'hello');
    assert.match(
      frame,
      new RegExp(
        `^\\{"message": "Forbidden", "connectionId":"${escapeRegExp(connectionId)}", "requestId":"[A-Za-z0-9_=+/-]+"\\}$`,
      ),
    );
    assert.deepEqual(functions.received(isMessageWithBody('hello')), [], 'a function was invoked');
    assert.equal(await request(ws, '{"action":"sendPublic"}'), 'sendPublic');
    assert.match(await request(ws, '{"action":"nope"}'), /^\{"message": "Forbidden", /);
    ws.close();
  });
});

describe('a failing function', () => {
  let gateway;
  before(async () => {
    const routes = { $connect: { function: 'record' }, $default: { function: 'echo', routeResponse: true } };
    const failures = ['throws', 'rie-error', 'dead', 'slow'];
    for (const fn of failures) {
      routes[`${fn}-oneway`] = { function: fn };
      routes[`${fn}-twoway`] = { function: fn, routeResponse: true };
    }
    gateway = await startGateway({
      routes: {
        name: 'failures',
        stage: 'dev',
        functions: {
          throws: { url: functions.url('throws') },
          'rie-error': { url: functions.url('rie-error') },
          dead: { url: await deadUrl() },
          slow: { url: functions.url('slow'), timeoutMs: 300 },
          echo: { url: functions.url('echo') },
          record: { url: functions.url('record') },
        },
        routes,
      },
    });
  });
  after(() => gateway?.stop());

  const cases = [
    ['throws (X-Amz-Function-Error)', 'throws'],
    ['returns a Runtime Interface Emulator error body', 'rie-error'],
    ['exceeds its timeoutMs', 'slow'],
    ['cannot be reached', 'dead'],
  ];
  for (const [what, fn] of cases) {
    for (const direction of ['oneway', 'twoway']) {
      test(`sends the Internal server error frame when a ${direction} route's function ${what}`, T, async () => {
        const { ws, connectionId } = await connectTagged(gateway);
        const body = JSON.stringify({ action: `${fn}-${direction}`, delay: 3000, tag: ++tagCounter });
        const sentAt = Date.now();
        const frame = await request(ws, body);
        const elapsed = Date.now() - sentAt;

        let requestId = '[A-Za-z0-9_=+/-]+';
        if (fn !== 'dead') {
          const record = await functions.waitForEvent(isMessageWithBody(body));
          requestId = escapeRegExp(record.event.requestContext.requestId);
        }
        assert.match(
          frame,
          new RegExp(
            `^\\{"message": "Internal server error", "connectionId":"${escapeRegExp(connectionId)}", "requestId":"${requestId}"\\}$`,
          ),
        );
        if (fn === 'slow') assert.ok(elapsed < 2000, `the frame came ${elapsed} ms after the message; timeoutMs is 300`);
        assert.equal(await request(ws, 'still open?'), 'still open?');
        ws.close();
      });
    }
  }
});

describe('route responses', () => {
  let gateway;
  before(async () => {
    gateway = await startGateway({
      routes: {
        name: 'responses',
        stage: 'dev',
        functions: {
          echo: { url: functions.url('echo') },
          slow: { url: functions.url('slow') },
          unauthorized: { url: functions.url('status-401') },
          record: { url: functions.url('record') },
        },
        routes: {
          $connect: { function: 'record' },
          $default: { function: 'echo', routeResponse: true },
          oneway: { function: 'echo' },
          explicitOneway: { function: 'echo', routeResponse: false },
          unauthorized: { function: 'unauthorized', routeResponse: true },
          slow: { function: 'slow', routeResponse: true },
        },
      },
    });
  });
  after(() => gateway?.stop());

  test('a two-way route sends the function result body back as a text frame', T, async () => {
    const ws = await connect(gateway.wsUrl);
    const body = '{"action":"anything","text":"héllo ✓ \\u0000 "}';
    const reply = await request(ws, body);
    assert.equal(typeof reply, 'string', 'the reply was a binary frame');
    assert.equal(reply, body);
    ws.close();
  });

  test('a two-way route ignores the result statusCode and still delivers the body', T, async () => {
    const ws = await connect(gateway.wsUrl);
    assert.equal(await request(ws, '{"action":"unauthorized"}'), 'nope');
    assert.equal(await request(ws, 'open after a 401 result'), 'open after a 401 result');
    ws.close();
  });

  for (const route of ['oneway', 'explicitOneway']) {
    test(`a one-way route (${route}) sends nothing back on success`, T, async () => {
      const ws = await connect(gateway.wsUrl);
      const body = JSON.stringify({ action: route, tag: ++tagCounter });
      ws.send(body);
      const record = await functions.waitForEvent(isMessageWithBody(body));
      assert.equal(record.event.requestContext.routeKey, route);
      await functions.waitForAnswer(record);
      // The one-way result is in the gateway's hands; a reply to it would arrive about now.
      await delay(200);
      assert.equal(await request(ws, 'marker'), 'marker');
      assert.deepEqual(ws.received, ['marker']);
      ws.close();
    });
  }

  test('messages on one connection are processed concurrently', T, async () => {
    const ws = await connect(gateway.wsUrl);
    const first = JSON.stringify({ action: 'slow', delay: 1000, n: 1 });
    const second = JSON.stringify({ action: 'slow', delay: 1000, n: 2 });
    const sentAt = Date.now();
    ws.send(first);
    ws.send(second);
    const replies = [await ws.nextMessage(3000), await ws.nextMessage(3000)];
    const elapsed = Date.now() - sentAt;
    assert.deepEqual(new Set(replies), new Set([first, second]));
    assert.ok(elapsed < 1500, `two 1 s messages took ${elapsed} ms: they were processed one after the other`);
    ws.close();
  });
});
