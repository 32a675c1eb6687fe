// Hostile HTTP on every path of the port (the WebSocket handshake, @connections, DynamoDB's API,
// static files and 404s), from raw sockets: bodies over the limit refused from their
// Content-Length at once (413), heads over the limit (431), targets over the limit (414),
// anything that could be read two ways (400), pipelined requests answered in order on a
// kept-alive connection and checked as strictly as the first, slow heads and bodies dropped at
// their deadline, and no way out of the static root. Each case asserts the exact status.
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { request } from './support/client.mjs';
import { isEvent, startFunctionServer } from './support/function_server.mjs';
import { startGateway } from './support/gateway.mjs';
import { openSocket, upgradeRequest, waitFor, waitForEnd } from './support/raw_client.mjs';
import { assertDescriptorsBackTo, descriptorCounts, openTagged } from './support/tracking.mjs';

const T = { timeout: 30000 };
const HERE = path.dirname(fileURLToPath(import.meta.url));
const SHARE = path.join(HERE, '..', '..', 'share');
const DEADLINE_MS = 10000;  // head and body deadlines (server/http_connection.h)

let functions;
let gateway;
let live;  // an open WebSocket connection @connections requests can address

before(async () => {
  functions = await startFunctionServer();
  gateway = await startGateway({
    routes: {
      name: 'http-hardening',
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
    },
    args: ['--dynamodb-in-memory'],
  });
  live = await openTagged(functions, gateway.wsUrl);
});
after(async () => {
  live?.ws.close();
  await gateway?.stop();
  await functions?.close();
});

// Every HTTP response in `buffer`, in order (a 204 or 1xx has no body).
function parseResponses(buffer) {
  const responses = [];
  let offset = 0;
  for (;;) {
    const end = buffer.indexOf('\r\n\r\n', offset);
    if (end < 0) break;
    const [statusLine, ...lines] = buffer.subarray(offset, end).toString('latin1').split('\r\n');
    const headers = {};
    for (const line of lines) {
      const colon = line.indexOf(':');
      if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    const status = Number(/^HTTP\/1\.1 (\d{3}) /.exec(statusLine)?.[1]);
    const length = status === 204 || (status >= 100 && status < 200) ? 0 : Number(headers['content-length'] ?? 0);
    if (end + 4 + length > buffer.length) break;
    responses.push({ status, headers, body: buffer.subarray(end + 4, end + 4 + length).toString('utf8') });
    offset = end + 4 + length;
  }
  return responses;
}

// Sends `bytes` on a fresh socket; resolves once `count` responses arrived (or the server
// closed), with the responses, whether it closed, and how long that took.
async function exchange(bytes, { count = 1, timeoutMs = 5000 } = {}) {
  const socket = await openSocket(gateway.port, { allowHalfOpen: true });
  const startedAt = Date.now();
  socket.write(bytes);
  await waitFor(socket, (s) => parseResponses(s.received).length >= count || s.ended || s.closedFlag,
    timeoutMs, `no ${count} responses`);
  const responses = parseResponses(socket.received);
  return { socket, responses, ms: Date.now() - startedAt };
}

const liveId = () => encodeURIComponent(live.connectionId);
const CRLF = '\r\n';
const head = (lines) => `${lines.join(CRLF)}${CRLF}${CRLF}`;

// The four kinds of request the port serves, each with extra header lines and a target.
const PATHS = {
  handshake: (extra = [], target = '/dev?tag=hardening') =>
    upgradeRequest(target, { extra }),
  '@connections POST': (extra = [], target = null) =>
    head([`POST ${target ?? `/dev/@connections/${liveId()}`} HTTP/1.1`, 'Host: 127.0.0.1', ...extra]),
  'DynamoDB POST': (extra = [], target = '/') =>
    head([`POST ${target} HTTP/1.1`, 'Host: 127.0.0.1', 'X-Amz-Target: DynamoDB_20120810.ListTables',
      'Content-Type: application/x-amz-json-1.0', ...extra]),
  'static GET': (extra = [], target = '/index.html') =>
    head([`GET ${target} HTTP/1.1`, 'Host: 127.0.0.1', ...extra]),
};

const hardeningConnects = () => functions.received(
  (r) => isEvent('CONNECT')(r) && r.event.queryStringParameters?.tag === 'hardening');

describe('every path refuses what it must from the head alone', { concurrency: true }, () => {
  for (const [name, build] of Object.entries(PATHS)) {
    // DynamoDB answers in its own words: 400 ValidationException, as its SDKs expect.
    const tooLarge = name === 'DynamoDB POST' ? 400 : 413;
    test(`${name}: Content-Length 999999999 is ${tooLarge} at once, without waiting for the body`, T, async () => {
      const { socket, responses, ms } = await exchange(build(['Content-Length: 999999999']));
      assert.equal(responses[0]?.status, tooLarge, socket.received.toString('latin1').slice(0, 200));
      if (name === 'DynamoDB POST') assert.match(JSON.parse(responses[0].body).__type, /ValidationException/);
      assert.ok(ms < 3000, `answered after ${ms} ms`);
      if (name === '@connections POST') {
        assert.equal(responses[0].headers['x-amzn-errortype'], 'PayloadTooLargeException');
      }
      await waitForEnd(socket, 5000);
    });

    test(`${name}: a 5000-byte target is 414`, T, async () => {
      const target = name === 'handshake' ? `/dev?tag=hardening&pad=${'p'.repeat(5000)}`
        : name === '@connections POST' ? `/dev/@connections/${'a'.repeat(5000)}`
          : `/${'a'.repeat(5000)}`;
      const { responses } = await exchange(build(['Content-Length: 0'], target));
      assert.equal(responses[0]?.status, 414);
    });

    test(`${name}: a 20 KB head is 431`, T, async () => {
      const { responses } = await exchange(build([`X-Padding: ${'p'.repeat(20 * 1024)}`, 'Content-Length: 0']));
      assert.equal(responses[0]?.status, 431);
    });

    for (const [what, lines] of [
      ['Content-Length with Transfer-Encoding', ['Content-Length: 4', 'Transfer-Encoding: chunked']],
      ['Transfer-Encoding before Content-Length', ['Transfer-Encoding: chunked', 'Content-Length: 4']],
      ['two equal Content-Lengths', ['Content-Length: 4', 'Content-Length: 4']],
      ['two different Content-Lengths', ['Content-Length: 4', 'Content-Length: 40']],
      ['a Content-Length list', ['Content-Length: 4, 4']],
      ['a signed Content-Length', ['Content-Length: +4']],
      ['a Content-Length that is not a number', ['Content-Length: four']],
      ['a folded header line (obs-fold)', ['X-Folded: one', ' two', 'Content-Length: 4']],
      ['a bare CR inside a header value', ['X-Split: one\rtwo', 'Content-Length: 4']],
    ]) {
      test(`${name}: ${what} is 400`, T, async () => {
        const { socket, responses } = await exchange(`${build(lines)}0\r\n\r\n`);
        assert.equal(responses[0]?.status, 400, socket.received.toString('latin1').slice(0, 200));
        await waitForEnd(socket, 5000);
      });
    }
  }

  test('none of the refused handshakes reached $connect', T, async () => {
    assert.deepEqual(hardeningConnects(), []);
  });
});

describe('pipelined requests on a kept-alive connection', () => {
  test('three requests in one packet get three answers, in order, and the connection stays open', T, async () => {
    const bytes = [
      head([`GET /dev/@connections/${liveId()} HTTP/1.1`, 'Host: 127.0.0.1']),
      head(['GET /nothing-here HTTP/1.1', 'Host: 127.0.0.1']),
      head(['DELETE /dev/@connections/AAAAAAAAAAAAAAA%3D HTTP/1.1', 'Host: 127.0.0.1']),
    ].join('');
    const { socket, responses } = await exchange(bytes, { count: 3 });
    assert.deepEqual(responses.map((r) => r.status), [200, 404, 410]);
    assert.ok(JSON.parse(responses[0].body).connectedAt);
    assert.equal(socket.ended, false, 'the server closed a kept-alive connection');
    socket.write(head(['GET /nothing-either HTTP/1.1', 'Host: 127.0.0.1']));
    await waitFor(socket, (s) => parseResponses(s.received).length === 4, 5000, 'no fourth answer');
    assert.equal(parseResponses(socket.received)[3].status, 404);
    socket.destroy();
  });

  test('a POST with its body, then a GET, in one packet: the message is delivered, then the 404', T, async () => {
    const bytes = head([`POST /dev/@connections/${liveId()} HTTP/1.1`, 'Host: 127.0.0.1', 'Content-Length: 9']) +
      'pipelined' + head(['GET /after-the-body HTTP/1.1', 'Host: 127.0.0.1']);
    const message = live.ws.nextMessage(5000);
    const { socket, responses } = await exchange(bytes, { count: 2 });
    assert.deepEqual(responses.map((r) => r.status), [200, 404]);
    assert.match(responses[1].body, /after-the-body/);
    assert.equal(await message, 'pipelined');
    socket.destroy();
  });

  test('DynamoDB requests answered on a worker thread still come back in order', T, async () => {
    const ddb = (body) => head(['POST / HTTP/1.1', 'Host: 127.0.0.1', 'X-Amz-Target: DynamoDB_20120810.ListTables',
      'Content-Type: application/x-amz-json-1.0', `Content-Length: ${body.length}`]) + body;
    const bytes = ddb('{}') + head(['GET /between HTTP/1.1', 'Host: 127.0.0.1']) + ddb('{"Limit":0}');
    const { socket, responses } = await exchange(bytes, { count: 3 });
    assert.deepEqual(responses.map((r) => r.status), [200, 404, 400]);
    assert.deepEqual(JSON.parse(responses[0].body), { TableNames: [] });
    assert.match(responses[1].body, /between/);
    assert.match(JSON.parse(responses[2].body).__type, /ValidationException/);
    socket.destroy();
  });

  for (const [what, second, status] of [
    ['Content-Length with Transfer-Encoding', head(['POST /dev/@connections/x HTTP/1.1', 'Host: 127.0.0.1',
      'Content-Length: 5', 'Transfer-Encoding: chunked']) + '0\r\n\r\n', 400],
    ['two different Content-Lengths', head(['POST /dev/@connections/x HTTP/1.1', 'Host: 127.0.0.1',
      'Content-Length: 5', 'Content-Length: 6']) + 'hello!', 400],
    ['Content-Length 999999999', head(['POST /dev/@connections/x HTTP/1.1', 'Host: 127.0.0.1',
      'Content-Length: 999999999']), 413],
    ['a 20 KB head', head(['GET /x HTTP/1.1', 'Host: 127.0.0.1', `X-Padding: ${'p'.repeat(20 * 1024)}`]), 431],
    ['a 5000-byte target', head([`GET /dev/@connections/${'a'.repeat(5000)} HTTP/1.1`, 'Host: 127.0.0.1']), 414],
    ['a WebSocket upgrade (it would skip $connect)', upgradeRequest('/dev?tag=hardening'), 400],
  ]) {
    test(`a second request with ${what}: the first is answered, the second is ${status}, then the connection closes`, T, async () => {
      const first = head(['GET /first HTTP/1.1', 'Host: 127.0.0.1']);
      const { socket, responses } = await exchange(first + second, { count: 2 });
      assert.deepEqual(responses.map((r) => r.status), [404, status]);
      await waitForEnd(socket, 5000);
    });
  }

  test('"Expect: 100-continue" gets 100 Continue before the body, then the answer', T, async () => {
    const socket = await openSocket(gateway.port);
    socket.write(head([`POST /dev/@connections/${liveId()} HTTP/1.1`, 'Host: 127.0.0.1', 'Content-Length: 8',
      'Expect: 100-continue']));
    await waitFor(socket, (s) => s.received.includes('\r\n\r\n'), 5000, 'no 100 Continue');
    assert.match(socket.received.toString('latin1'), /^HTTP\/1\.1 100 Continue\r\n\r\n$/);
    const message = live.ws.nextMessage(5000);
    socket.write('continue');
    await waitFor(socket, (s) => parseResponses(s.received).length === 2, 5000, 'no answer');
    assert.equal(parseResponses(socket.received)[1].status, 200);
    assert.equal(await message, 'continue');
    socket.destroy();
  });

  test('"Connection: close" is honoured: answered, then closed', T, async () => {
    const { socket, responses } = await exchange(head(['GET /bye HTTP/1.1', 'Host: 127.0.0.1', 'Connection: close']));
    assert.equal(responses[0].status, 404);
    assert.equal(responses[0].headers.connection, 'close');
    await waitForEnd(socket, 5000);
  });
});

describe('slow heads and bodies', { concurrency: true }, () => {
  test(`a second head trickled one byte a second is dropped at the ${DEADLINE_MS / 1000} s deadline`, { timeout: 40000 }, async () => {
    const socket = await openSocket(gateway.port, { allowHalfOpen: true });
    socket.write(head(['GET /first HTTP/1.1', 'Host: 127.0.0.1']));
    await waitFor(socket, (s) => parseResponses(s.received).length === 1, 5000, 'no first answer');
    const startedAt = Date.now();
    const slow = 'GET /second HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ';
    let sent = 0;
    const timer = setInterval(() => {
      if (!socket.destroyed && !socket.ended) socket.write(slow[sent++ % slow.length]);
    }, 1000);
    try {
      await waitForEnd(socket, DEADLINE_MS + 8000);
    } finally {
      clearInterval(timer);
    }
    const waited = Date.now() - startedAt;
    assert.ok(waited >= DEADLINE_MS - 1500, `closed after only ${waited} ms`);
    assert.equal(parseResponses(socket.received).length, 1, 'an answer to the unfinished head');
  });

  test(`a body that stops arriving is dropped at the ${DEADLINE_MS / 1000} s deadline; nothing is delivered`, { timeout: 40000 }, async () => {
    const socket = await openSocket(gateway.port, { allowHalfOpen: true });
    const startedAt = Date.now();
    socket.write(head([`POST /dev/@connections/${liveId()} HTTP/1.1`, 'Host: 127.0.0.1', 'Content-Length: 100']) + 'only ten b');
    await waitForEnd(socket, DEADLINE_MS + 8000);
    const waited = Date.now() - startedAt;
    assert.ok(waited >= DEADLINE_MS - 1500, `closed after only ${waited} ms`);
    assert.equal(await request(live.ws, 'nothing before me'), 'nothing before me', 'the partial body was delivered');
  });
});

describe('the static root (--demo, a web folder with a link out and a folder without an index)', () => {
  let demo;
  let shareDir;
  before(async () => {
    shareDir = await mkdtemp(path.join(tmpdir(), 'wsgw-share-'));
    await symlink(path.join(SHARE, 'chat'), path.join(shareDir, 'chat'));
    await symlink(path.join(SHARE, 'counter'), path.join(shareDir, 'counter'));
    await mkdir(path.join(shareDir, 'web', 'assets'), { recursive: true });
    await writeFile(path.join(shareDir, 'web', 'index.html'), '<h1>root</h1>');
    await writeFile(path.join(shareDir, 'web', 'assets', 'app.js'), 'let served = true;');
    await writeFile(path.join(shareDir, 'secret.txt'), 'outside the root');
    await symlink(path.join(shareDir, 'secret.txt'), path.join(shareDir, 'web', 'link.txt'));
    await symlink(shareDir, path.join(shareDir, 'web', 'up'));
    demo = await startGateway({
      routes: [],
      args: ['--demo', '--dynamodb-in-memory', '--data-dir', path.join(shareDir, 'data')],
      env: { WSGW_SHARE_DIR: shareDir },
    });
  });
  after(async () => {
    await demo?.stop();
    if (shareDir) await rm(shareDir, { recursive: true, force: true });
  });

  const get = async (target) => {
    const socket = await openSocket(demo.port);
    socket.write(head([`GET ${target} HTTP/1.1`, 'Host: 127.0.0.1']));
    await waitFor(socket, (s) => parseResponses(s.received).length === 1 || s.closedFlag, 5000, `no answer to ${target}`);
    socket.destroy();
    return parseResponses(socket.received)[0];
  };

  test('serves files in the root, and a folder\'s index', T, async () => {
    assert.equal((await get('/assets/app.js')).body, 'let served = true;');
    assert.equal((await get('/')).body, '<h1>root</h1>');
  });

  for (const target of [
    '/../secret.txt', '/assets/../../secret.txt', '/%2e%2e/secret.txt', '/%2E%2E/%2e%2e/etc/passwd',
    '/assets%2F..%2F..%2Fsecret.txt', '/assets%2fapp.js', '/assets%5Capp.js', '/link.txt', '/up/secret.txt',
    '/assets/', '/assets', '/%00index.html', '/assets\\app.js',
  ]) {
    test(`GET ${target}: a 4xx, never the file or a listing`, T, async () => {
      const response = await get(target);
      assert.ok(response, 'no answer');
      assert.ok([400, 404].includes(response.status), `status ${response.status}: ${response.body.slice(0, 100)}`);
      assert.doesNotMatch(response.body, /outside the root|root:x:0|let served/);
    });
  }
});

describe('the services-only port (--dynamodb-port)', () => {
  test('a kept-alive connection cannot reach @connections after a DynamoDB request: 404', T, async () => {
    const only = await startGateway({
      routes: { name: 'solo', stage: 'solo', functions: { f: { url: functions.url('echo') } },
        routes: { $default: { function: 'f' } } },
      args: ['--dynamodb-in-memory', '--dynamodb-port', '0'],
    });
    try {
      const port = Number(new URL(only.ready.dynamodbOnlyEndpoint).port);
      const socket = await openSocket(port);
      socket.write(head(['POST / HTTP/1.1', 'Host: 127.0.0.1', 'X-Amz-Target: DynamoDB_20120810.ListTables',
        'Content-Type: application/x-amz-json-1.0', 'Content-Length: 2']) + '{}' +
        head(['GET /solo/@connections/AAAAAAAAAAAAAAA%3D HTTP/1.1', 'Host: 127.0.0.1']));
      await waitFor(socket, (s) => parseResponses(s.received).length === 2, 5000, 'no two answers');
      const responses = parseResponses(socket.received);
      assert.deepEqual(responses.map((r) => r.status), [200, 404]);
      assert.match(responses[1].body, /serves only AWS API requests/);
      socket.destroy();
    } finally {
      await only.stop();
    }
  });
});

describe('afterwards', () => {
  test('the gateway still serves, and its descriptors are back to where they were', T, async () => {
    const before = await descriptorCounts(gateway.proc.pid, gateway.port);
    const { socket, responses } = await exchange(head(['GET /x HTTP/1.1', 'Host: 127.0.0.1', 'Connection: close']));
    assert.equal(responses[0].status, 404);
    await waitForEnd(socket, 5000);
    socket.destroy();
    await assertDescriptorsBackTo(gateway.proc.pid, gateway.port, before);
    assert.equal(await request(live.ws, 'still here'), 'still here');
    assert.equal(gateway.proc.exitCode, null);
  });
});
