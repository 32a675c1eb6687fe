// AWS's own host names through the real gateway (issue 17): the @connections management API
// reached with `Host: {apiId}.execute-api.{region}.amazonaws.com` (what deployed code with a
// hard-coded endpoint sends), routes.json's "apiId", and handlers that hard-code their endpoint
// or have none at all, run unchanged as `runtime` functions.
//
// The https:// scenarios need the gateway to serve TLS (its ready file then has
// secureWebsocketUrl) and skip, saying so, until it does. The same chain over http:// runs now:
// WSGW_AWS_REDIRECT set in wsgw's own environment reaches its functions as it is.
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import http from 'node:http';
import { createRequire } from 'node:module';
import net from 'node:net';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import {
  ApiGatewayManagementApiClient,
  GetConnectionCommand,
  PostToConnectionCommand,
} from '@aws-sdk/client-apigatewaymanagementapi';

import { connect, request } from './support/client.mjs';
import { isEvent, startFunctionServer } from './support/function_server.mjs';
import { runGateway, startGateway, writeRoutesFile } from './support/gateway.mjs';
import { HOSTS_DIR, makeProject } from './support/hosts.mjs';

const T = { timeout: 60000 };
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const delay = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

let functions;
let tagCounter = 0;

before(async () => {
  functions = await startFunctionServer();
});
after(() => functions?.close());

function apiRoutes({ name, stage, apiId }) {
  return {
    name,
    stage,
    ...(apiId ? { apiId } : {}),
    functions: { onConnect: { url: functions.url('connect') }, echoer: { url: functions.url('echo') } },
    routes: { $connect: { function: 'onConnect' }, $default: { function: 'echoer' } },
  };
}

// Opens a client of `wsUrl` and returns it with its $connect event's requestContext.
async function open(wsUrl) {
  const tag = `h${++tagCounter}`;
  const ws = await connect(`${wsUrl}?tag=${tag}`);
  const record = await functions.waitForEvent(
    (r) => isEvent('CONNECT')(r) && r.event.queryStringParameters?.tag === tag,
  );
  return { ws, context: record.event.requestContext, connectionId: record.event.requestContext.connectionId };
}

// One raw request to the gateway's port with the given Host: {status, headers, text}.
function mgmt(port, method, requestPath, { host, body } = {}) {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : Buffer.from(body);
    const headers = { ...(host ? { Host: host } : {}) };
    if (payload) headers['Content-Length'] = payload.length;
    const req = http.request({ host: '127.0.0.1', port, method, path: requestPath, headers }, (res) => {
      const chunks = [];
      res.on('data', (chunk) => chunks.push(chunk));
      res.on('end', () =>
        resolve({ status: res.statusCode, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }),
      );
    });
    req.setTimeout(5000, () => req.destroy(new Error(`${method} ${requestPath}: no answer within 5 s`)));
    req.on('error', reject);
    req.end(payload);
  });
}

const at = (stage, id) => `${stage ? `/${stage}` : ''}/@connections/${encodeURIComponent(id)}`;

describe('@connections with an execute-api Host, one API served', () => {
  let gateway;
  before(async () => {
    gateway = await startGateway({ routes: apiRoutes({ name: 'solo', stage: 'production' }) });
  });
  after(() => gateway?.stop());

  test('any API id is that API: POST delivers, GET describes, DELETE closes', T, async () => {
    const client = await open(gateway.wsUrl);
    for (const host of [
      'abc123.execute-api.us-east-1.amazonaws.com',
      'zz9plural9z.execute-api.eu-west-3.amazonaws.com:443',
    ]) {
      const posted = await mgmt(gateway.port, 'POST', at('production', client.connectionId), {
        host,
        body: `via ${host}`,
      });
      assert.equal(posted.status, 200, posted.text);
      assert.equal(await client.ws.nextMessage(), `via ${host}`);
    }
    const described = await mgmt(gateway.port, 'GET', at('production', client.connectionId), {
      host: 'abc123.execute-api.us-east-1.amazonaws.com',
    });
    assert.equal(described.status, 200, described.text);
    assert.ok(JSON.parse(described.text).connectedAt);
    const deleted = await mgmt(gateway.port, 'DELETE', at('production', client.connectionId), {
      host: 'abc123.execute-api.us-east-1.amazonaws.com',
    });
    assert.equal(deleted.status, 204, deleted.text);
    assert.equal((await client.ws.waitClosed()).code, 1000);
  });

  test("the API's stage is still required: another stage is 404 NotFoundException", T, async () => {
    const client = await open(gateway.wsUrl);
    const wrong = await mgmt(gateway.port, 'POST', at('dev', client.connectionId), {
      host: 'abc123.execute-api.us-east-1.amazonaws.com',
      body: 'x',
    });
    assert.equal(wrong.status, 404, wrong.text);
    assert.equal(wrong.headers['x-amzn-errortype'], 'NotFoundException');
    client.ws.close();
  });

  test('the SDK, signing for the AWS name, reaches wsgw through the redirect (SigV4 not checked)', T, async () => {
    // The test process redirects as a function would (lambda-bridge/hosts/preload), over http://.
    process.env.WSGW_AWS_REDIRECT = `127.0.0.1:${gateway.port}`;
    const lines = [];
    const redirect = createRequire(import.meta.url)(path.join(HOSTS_DIR, 'preload', 'aws_redirect.cjs'));
    assert.equal(redirect.install({ report: (line) => lines.push(line) }), true);
    delete process.env.WSGW_AWS_REDIRECT; // read once; the gateways started later must not inherit it
    const client = await open(gateway.wsUrl);
    const sdk = new ApiGatewayManagementApiClient({
      endpoint: 'http://abc123.execute-api.us-east-1.amazonaws.com/production',
      region: 'us-east-1',
      credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'not-checked' },
      maxAttempts: 1,
    });
    await sdk.send(new PostToConnectionCommand({ ConnectionId: client.connectionId, Data: 'signed for AWS' }));
    assert.equal(await client.ws.nextMessage(), 'signed for AWS');
    const got = await sdk.send(new GetConnectionCommand({ ConnectionId: client.connectionId }));
    assert.ok(got.ConnectedAt instanceof Date);
    assert.equal(lines.length, 1);
    assert.match(lines[0], /^redirecting abc123\.execute-api\.us-east-1\.amazonaws\.com:80 to 127\.0\.0\.1:\d+ /);
    client.ws.close();
  });
});

describe('@connections with an execute-api Host, several APIs served', () => {
  let gateway;
  let otherId;
  before(async () => {
    gateway = await startGateway({
      routes: [
        apiRoutes({ name: 'chat', stage: 'chat', apiId: 'abc123' }),
        apiRoutes({ name: 'counter', stage: 'counter' }),
      ],
    });
    const probe = await open(gateway.ready.apis[1].websocketUrl);
    otherId = probe.context.apiId;
    probe.ws.close();
  });
  after(() => gateway?.stop());

  test('"apiId" is the id of requestContext.apiId and of the Host that reaches the API', T, async () => {
    const chat = await open(gateway.ready.apis[0].websocketUrl);
    const counter = await open(gateway.ready.apis[1].websocketUrl);
    assert.equal(chat.context.apiId, 'abc123');
    assert.match(counter.context.apiId, /^[a-z0-9]{10}$/);

    const toChat = await mgmt(gateway.port, 'POST', at('chat', chat.connectionId), {
      host: 'abc123.execute-api.us-east-1.amazonaws.com',
      body: 'chat by id',
    });
    assert.equal(toChat.status, 200, toChat.text);
    assert.equal(await chat.ws.nextMessage(), 'chat by id');
    const toCounter = await mgmt(gateway.port, 'POST', at('counter', counter.connectionId), {
      host: `${otherId}.execute-api.us-east-1.amazonaws.com`,
      body: 'counter by id',
    });
    assert.equal(toCounter.status, 200, toCounter.text);
    assert.equal(await counter.ws.nextMessage(), 'counter by id');

    // Without a stage in the path, the Host's API is the one searched.
    const noStage = await mgmt(gateway.port, 'POST', at(null, chat.connectionId), {
      host: 'ABC123.execute-api.us-east-1.amazonaws.com',
      body: 'no stage',
    });
    assert.equal(noStage.status, 200, noStage.text);
    assert.equal(await chat.ws.nextMessage(), 'no stage');
    const otherApis = await mgmt(gateway.port, 'POST', at(null, counter.connectionId), {
      host: 'abc123.execute-api.us-east-1.amazonaws.com',
      body: 'x',
    });
    assert.equal(otherApis.status, 410, otherApis.text);
    assert.equal(otherApis.headers['x-amzn-errortype'], 'GoneException');
    chat.ws.close();
    counter.ws.close();
  });

  test('an id no API has is 404 saying which ids exist', T, async () => {
    const answer = await mgmt(gateway.port, 'POST', at('chat', 'someid='), {
      host: 'nope999.execute-api.us-east-1.amazonaws.com',
      body: 'x',
    });
    assert.equal(answer.status, 404, answer.text);
    assert.equal(answer.headers['x-amzn-errortype'], 'NotFoundException');
    assert.match(answer.headers['x-amzn-requestid'] ?? '', UUID);
    const { message } = JSON.parse(answer.text);
    assert.match(message, /^No API with id nope999 \(Host nope999\.execute-api\.us-east-1\.amazonaws\.com\)/);
    assert.ok(message.includes('abc123 (stage chat)'), message);
    assert.ok(message.includes(`${otherId} (stage counter)`), message);
    assert.match(message, /"apiId"/);
  });

  test("an API's id with another API's stage is 404 naming its stage", T, async () => {
    const answer = await mgmt(gateway.port, 'POST', at('counter', 'someid='), {
      host: 'abc123.execute-api.us-east-1.amazonaws.com',
      body: 'x',
    });
    assert.equal(answer.status, 404, answer.text);
    assert.equal(answer.headers['x-amzn-errortype'], 'NotFoundException');
    assert.match(JSON.parse(answer.text).message, /API abc123 .* has no stage counter; its stage is chat/);
  });

  test('other hosts work as before: 127.0.0.1, localhost, and a look-alike of AWS', T, async () => {
    const client = await open(gateway.ready.apis[1].websocketUrl);
    for (const host of [
      `127.0.0.1:${gateway.port}`,
      'localhost',
      'abc123.execute-api.us-east-1.amazonaws.com.example.org',
    ]) {
      const answer = await mgmt(gateway.port, 'POST', at('counter', client.connectionId), { host, body: host });
      assert.equal(answer.status, 200, `${host}: ${answer.text}`);
      assert.equal(await client.ws.nextMessage(), host);
    }
    client.ws.close();
  });
});

describe('routes.json "apiId" problems', () => {
  test('a malformed apiId is a problem naming the file and the key (exit 2)', T, async () => {
    const file = await writeRoutesFile({ ...apiRoutes({ name: 'x', stage: 'x' }), apiId: 'ABC.123' });
    const result = await runGateway(['--check', file]);
    assert.equal(result.code, 2, result.stderr);
    assert.ok(
      result.stderr.includes(
        `${file}: $.apiId: expected an API id of 1 to 63 lowercase letters and digits, as in ` +
          'https://{apiId}.execute-api.{region}.amazonaws.com, found "ABC.123"',
      ),
      result.stderr,
    );
  });

  test('two routes files with the same apiId do not start (exit 2)', T, async () => {
    const one = await writeRoutesFile(apiRoutes({ name: 'one', stage: 'one', apiId: 'same1' }));
    const two = await writeRoutesFile(apiRoutes({ name: 'two', stage: 'two', apiId: 'same1' }));
    const result = await runGateway(['--routes', one, '--routes', two, '--port', '0']);
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stderr, /\$\.apiId: expected an id no other routes file uses, found "same1"/);
  });
});

// ---------------------------------------------------------------------------------------------
// Handlers with hard-coded AWS endpoints, run unchanged by the gateway
// ---------------------------------------------------------------------------------------------

// Posts back through a hard-coded endpoint: `https://abc123...` as deployed, or, for the http://
// run, the same name over http.
const nodeHandler = (scheme) => `
import { ApiGatewayManagementApiClient, PostToConnectionCommand } from '@aws-sdk/client-apigatewaymanagementapi';

const client = new ApiGatewayManagementApiClient({
  endpoint: '${scheme}://abc123.execute-api.us-east-1.amazonaws.com/aws',
  maxAttempts: 1,
});

export const handler = async (event) => {
  const { eventType, connectionId } = event.requestContext;
  if (eventType === 'MESSAGE') {
    await client.send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: 'echo: ' + event.body }));
  }
  return { statusCode: 200 };
};
`;

// DynamoDB with no endpoint at all: boto3 goes to dynamodb.us-east-1.amazonaws.com.
const PYTHON_HANDLER = `
import json

import boto3

dynamodb = boto3.client("dynamodb", region_name="us-east-1")


def handler(event, context):
    connection_id = event["requestContext"]["connectionId"]
    if event["requestContext"]["eventType"] != "MESSAGE":
        return {"statusCode": 200}
    dynamodb.put_item(
        TableName="notes",
        Item={"id": {"S": connection_id}, "text": {"S": event["body"]}},
    )
    item = dynamodb.get_item(TableName="notes", Key={"id": {"S": connection_id}})["Item"]
    return {"statusCode": 200, "body": json.dumps({"stored": item["text"]["S"]})}
`;

async function startHandlersApi({ scheme, env = {}, port = 0 }) {
  const project = await makeProject({});
  await writeFile(path.join(project, 'poster.mjs'), nodeHandler(scheme));
  await writeFile(path.join(project, 'notes.py'), PYTHON_HANDLER);
  const api = {
    name: 'aws-names',
    stage: 'aws',
    functions: {
      poster: { runtime: 'nodejs', handler: 'poster.handler' },
      notes: { runtime: 'python', handler: 'notes.handler', env: { AWS_ENDPOINT_URL_DYNAMODB: '' } },
    },
    routes: {
      $connect: { function: 'poster' },
      $default: { function: 'poster' },
      note: { function: 'notes', routeResponse: true },
    },
    tables: { notes: { hashKey: 'id' } },
  };
  const routesFile = path.join(project, 'routes.json');
  await writeFile(routesFile, JSON.stringify(api, null, 2));
  return startGateway({
    routes: [],
    args: ['--routes', routesFile, '--dynamodb-in-memory', ...(port ? ['--port', String(port)] : [])],
    env,
    readyTimeoutMs: 20000,
  });
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function assertNoHostFailures(gateway) {
  const bad = gateway
    .lines()
    .filter((line) =>
      /Traceback|Uncaught|Unhandled|https:\/\/ to wsgw( from [a-z0-9 ]+)? will fail|does not cover|could not check/.test(line),
    );
  assert.deepEqual(bad, [], gateway.lines().join('\n'));
}

describe('a hard-coded http://ID.execute-api.REGION.amazonaws.com endpoint, redirected (no TLS needed)', () => {
  let gateway;
  before(async () => {
    // The port must be known before start to name it in WSGW_AWS_REDIRECT.
    const port = await freePort();
    gateway = await startHandlersApi({ scheme: 'http', port, env: { WSGW_AWS_REDIRECT: `127.0.0.1:${port}` } });
  });
  after(() => gateway?.stop());

  test('the Node.js handler posts to its client through its own endpoint, and the log says so once', T, async () => {
    for (const round of [1, 2]) {
      const ws = await connect(gateway.wsUrl);
      ws.send(`hello ${round}`);
      assert.equal(await ws.nextMessage(10000), `echo: hello ${round}`);
      ws.close();
    }
    const said = gateway.lines().filter((line) => /redirecting abc123\.execute-api\.us-east-1\.amazonaws\.com:80 to 127\.0\.0\.1:/.test(line));
    assert.equal(said.length, 1, gateway.lines().join('\n'));
    assert.match(said[0], /poster/, 'prefixed with the function name');
    assert.match(said[0], /\(wsgw; --no-aws-redirect turns it off\)$/);
    assertNoHostFailures(gateway);
  });
});

describe('deployed code over https:// unchanged: a hard-coded execute-api endpoint, DynamoDB by region', () => {
  let gateway;
  let skip = false;
  before(async () => {
    // wsgw keeps CA variables its own environment sets (a CI image's system bundle): the
    // functions must get its own here.
    const unset = Object.fromEntries(
      ['NODE_EXTRA_CA_CERTS', 'AWS_CA_BUNDLE', 'REQUESTS_CA_BUNDLE', 'SSL_CERT_FILE', 'WSGW_CA_FILE', 'WSGW_AWS_REDIRECT'].map(
        (name) => [name, undefined],
      ),
    );
    gateway = await startHandlersApi({ scheme: 'https', env: unset });
    if (!gateway.ready.secureWebsocketUrl) {
      skip =
        'the gateway under test serves no TLS (no secureWebsocketUrl in its ready file): ' +
        'https:// to AWS names needs wss:///https:// on its port (issue 17, the TLS side)';
    }
  });
  after(() => gateway?.stop());

  test('the Node.js handler posts through https://abc123.execute-api.us-east-1.amazonaws.com/aws', T, async (t) => {
    if (skip) return t.skip(skip);
    const ws = await connect(gateway.wsUrl);
    ws.send('over TLS');
    assert.equal(await ws.nextMessage(10000), 'echo: over TLS');
    ws.close();
    assert.ok(
      gateway.lines().some((line) => /redirecting abc123\.execute-api\.us-east-1\.amazonaws\.com:443 to /.test(line)),
      gateway.lines().join('\n'),
    );
    assertNoHostFailures(gateway);
    return undefined;
  });

  test('the boto3 handler with no endpoint stores and reads an item in wsgw\'s DynamoDB', T, async (t) => {
    if (skip) return t.skip(skip);
    const ws = await connect(gateway.wsUrl);
    const answer = JSON.parse(await request(ws, JSON.stringify({ action: 'note', text: 'kept' }), 15000));
    assert.deepEqual(answer, { stored: JSON.stringify({ action: 'note', text: 'kept' }) });
    ws.close();
    assert.ok(
      gateway.lines().some((line) => /redirecting dynamodb\.us-east-1\.amazonaws\.com:443 to /.test(line)),
      gateway.lines().join('\n'),
    );
    await delay(100);
    assertNoHostFailures(gateway);
    return undefined;
  });
});
