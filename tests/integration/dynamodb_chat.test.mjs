// The chat backends of fixtures/projects (chat-node: @aws-sdk/lib-dynamodb; chat-python: boto3's
// resource Table with Key conditions), written as people write them for AWS: connections in a
// DynamoDB table with a GSI on roomId, messages fanned out with PostToConnection, a GoneException
// deletes the stale connection.
//
// Two layers:
//   - the handlers alone: each runs in lambda-bridge's host for its language, invoked with the
//     golden Lambda events of fixtures/events, against the DynamoDB target of support/dynamodb.mjs
//     (dynalite until wsgw serves DynamoDB) and a small @connections server that records posts;
//   - through the gateway: real WebSocket clients, wsgw-emulate starting the functions and serving
//     DynamoDB itself (--dynamodb-in-memory), giving functions AWS_ENDPOINT_URL_DYNAMODB. Skipped,
//     with the reason, until wsgw-emulate's --help offers --dynamodb-in-memory.
//
// Each project is copied into tests/.tmp-XXXXXX so its imports resolve from tests/node_modules,
// as a deployed function's resolve from its own node_modules.
import assert from 'node:assert/strict';
import { cp, mkdtemp, readFile, rm } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { CreateTableCommand, DynamoDBClient, waitUntilTableExists } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';

import { connect } from './support/client.mjs';
import { awsEnv, clientConfig, dynamoTarget, startDynamo } from './support/dynamodb.mjs';
import { startGateway } from './support/gateway.mjs';
import { startHost } from './support/hosts.mjs';

const T = { timeout: 60000 };
const FIXTURES =
  process.env.WSGW_FIXTURES || fileURLToPath(new URL('../../fixtures/', import.meta.url));
const TESTS_DIR = fileURLToPath(new URL('../', import.meta.url));
const PROJECTS = [
  { name: 'chat-node', runtime: 'nodejs', handler: 'src/app.handler' },
  { name: 'chat-python', runtime: 'python', handler: 'app.lambda_handler' },
];
const TABLE = 'connections';
const target = dynamoTarget();
const delay = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

const copies = new Set();
after(() => Promise.all([...copies].map((dir) => rm(dir, { recursive: true, force: true }))));

async function copyProject(name) {
  const dir = await mkdtemp(path.join(TESTS_DIR, '.tmp-'));
  copies.add(dir);
  await cp(path.join(FIXTURES, 'projects', name), dir, { recursive: true });
  return dir;
}

// The connections table as the app's infrastructure would declare it; resolves with a
// DocumentClient on it (destroy() when done).
async function createConnectionsTable(endpoint, TableName = TABLE) {
  const client = new DynamoDBClient(clientConfig(endpoint));
  await client.send(
    new CreateTableCommand({
      TableName,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        { AttributeName: 'connectionId', AttributeType: 'S' },
        { AttributeName: 'roomId', AttributeType: 'S' },
      ],
      KeySchema: [{ AttributeName: 'connectionId', KeyType: 'HASH' }],
      GlobalSecondaryIndexes: [
        {
          IndexName: 'byRoom',
          KeySchema: [{ AttributeName: 'roomId', KeyType: 'HASH' }],
          Projection: { ProjectionType: 'ALL' },
        },
      ],
    }),
  );
  await waitUntilTableExists({ client, maxWaitTime: 30, minDelay: 1, maxDelay: 1 }, { TableName });
  return DynamoDBDocumentClient.from(client);
}

// {connectionId: roomId} of every item in the table.
async function connectionsInTable(doc, TableName = TABLE) {
  const { Items } = await doc.send(new ScanCommand({ TableName, ConsistentRead: true }));
  return Object.fromEntries(Items.map((item) => [item.connectionId, item.roomId]));
}

// An @connections endpoint that records each post and answers 410 GoneException for ids in `gone`.
async function startRecordingManagementApi() {
  const posts = [];
  const gone = new Set();
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', () => {
      const match = /^\/dev\/(?:@|%40)connections\/([^/?]+)$/.exec(req.url);
      if (req.method !== 'POST' || !match) {
        res.writeHead(404).end();
        return;
      }
      const id = decodeURIComponent(match[1]);
      posts.push({ id, data: Buffer.concat(chunks).toString('utf8') });
      if (gone.has(id)) {
        res.writeHead(410, { 'Content-Type': 'application/json', 'x-amzn-ErrorType': 'GoneException' });
        res.end(JSON.stringify({ message: null }));
        return;
      }
      res.writeHead(200, { 'Content-Type': 'application/json' }).end();
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    domainName: `127.0.0.1:${server.address().port}`,
    posts,
    gone,
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

describe(`the chat handlers alone, invoked with Lambda events (DynamoDB: ${target})`, () => {
  const golden = {};
  let dynamo;
  before(async () => {
    for (const kind of ['connect', 'message', 'disconnect']) {
      golden[kind] = JSON.parse(await readFile(path.join(FIXTURES, 'events', `${kind}.json`), 'utf8'));
    }
    dynamo = await startDynamo({ target });
  });
  after(() => dynamo?.stop());

  for (const [index, project] of PROJECTS.entries()) {
    test(`${project.name}: rooms, fan-out, a gone member forgotten, $disconnect deletes`, T, async () => {
      const mgmt = await startRecordingManagementApi();
      // Each project its own table, so the two runs can share one DynamoDB target.
      const tableName = `${TABLE}_${index}`;
      const doc = await createConnectionsTable(dynamo.endpoint, tableName);
      const members = () => connectionsInTable(doc, tableName);
      const root = await copyProject(project.name);
      const host = await startHost({
        runtime: project.runtime,
        root,
        handler: project.handler,
        name: 'chat',
        env: { ...awsEnv(dynamo.endpoint), CONNECTIONS_TABLE: tableName, ROOM_INDEX: 'byRoom' },
      });
      try {
        const event = (kind, connectionId, changes = {}) => {
          const base = structuredClone(golden[kind]);
          base.requestContext = {
            ...base.requestContext,
            connectionId,
            domainName: mgmt.domainName,
            stage: 'dev',
            ...changes.requestContext,
          };
          return { ...base, ...changes.event };
        };
        const invoke = async (payload) => {
          const result = await host.invoke(payload);
          assert.equal(result.status, 200, result.text);
          assert.equal(result.headers.get('x-amz-function-error'), null, `the handler failed: ${result.text}\n${host.lines().join('\n')}`);
          return result.json;
        };
        const join = (id, room) =>
          invoke(event('connect', id, { event: { queryStringParameters: { room } } }));

        for (const [id, room] of [['A=', 'lobby'], ['B=', 'lobby'], ['C=', 'kitchen'], ['S=', 'lobby']]) {
          assert.deepEqual(await join(id, room), { statusCode: 200 });
        }
        assert.deepEqual(await members(), { 'A=': 'lobby', 'B=': 'lobby', 'C=': 'kitchen', 'S=': 'lobby' });

        mgmt.gone.add('S=');
        const sent = await invoke(
          event('message', 'A=', {
            requestContext: { routeKey: 'sendmessage' },
            event: { body: JSON.stringify({ action: 'sendmessage', data: 'hello lobby' }) },
          }),
        );
        assert.equal(sent.statusCode, 200);
        assert.deepEqual(mgmt.posts.map((p) => p.id).sort(), ['A=', 'B=', 'S=']);
        for (const { data } of mgmt.posts) {
          assert.deepEqual(JSON.parse(data), { roomId: 'lobby', from: 'A=', data: 'hello lobby' });
        }
        assert.deepEqual(await members(), { 'A=': 'lobby', 'B=': 'lobby', 'C=': 'kitchen' }, 'the gone member is deleted');

        mgmt.posts.length = 0;
        await invoke(
          event('message', 'C=', {
            requestContext: { routeKey: 'sendmessage' },
            event: { body: JSON.stringify({ action: 'sendmessage', data: 'anyone?' }) },
          }),
        );
        assert.deepEqual(mgmt.posts.map((p) => p.id), ['C='], 'the kitchen has only C');

        assert.deepEqual(await invoke(event('disconnect', 'A=', { requestContext: { routeKey: '$disconnect' } })), { statusCode: 200 });
        assert.deepEqual(await members(), { 'B=': 'lobby', 'C=': 'kitchen' });
      } finally {
        await host.stop();
        await mgmt.close();
        doc.destroy();
      }
    });
  }
});

describe('the chat apps through wsgw-emulate, its own DynamoDB and real WebSocket clients', () => {
  for (const project of PROJECTS) {
    test(`${project.name}: two clients in a room see each other, a third room does not; the table ends with the live connections`, T, async () => {
      const root = await copyProject(project.name);
      const gateway = await startGateway({
        routes: [],
        args: ['--routes', path.join(root, 'routes.json'), '--dynamodb-in-memory'],
        readyTimeoutMs: 20000,
      });
      try {
        const endpoint = `http://127.0.0.1:${gateway.port}`;
        const doc = await createConnectionsTable(endpoint);

        const alice = await connect(`${gateway.wsUrl}?room=lobby`);
        const bob = await connect(`${gateway.wsUrl}?room=lobby`);
        const carol = await connect(`${gateway.wsUrl}?room=kitchen`);
        // A member the gateway never had: posting to it is 410 GoneException, and the app forgets it.
        await doc.send(new PutCommand({ TableName: TABLE, Item: { connectionId: 'c3RhbGU=', roomId: 'lobby' } }));

        const say = async (ws, data) => ws.send(JSON.stringify({ action: 'sendmessage', data }));
        await say(alice, 'hi from alice');
        const toAlice = JSON.parse(await alice.nextMessage());
        const toBob = JSON.parse(await bob.nextMessage());
        assert.equal(toAlice.data, 'hi from alice');
        assert.deepEqual(toBob, toAlice);
        assert.equal(toBob.roomId, 'lobby');
        const aliceId = toBob.from;

        await say(bob, 'hi from bob');
        const bobsMessage = JSON.parse(await alice.nextMessage());
        assert.equal(bobsMessage.data, 'hi from bob');
        assert.deepEqual(JSON.parse(await bob.nextMessage()), bobsMessage);
        const bobId = bobsMessage.from;

        // Carol's next message is her own: nothing from the lobby reached the kitchen.
        await say(carol, 'kitchen only');
        const carolsMessage = JSON.parse(await carol.nextMessage());
        assert.deepEqual({ ...carolsMessage, from: undefined }, { roomId: 'kitchen', from: undefined, data: 'kitchen only' });
        const carolId = carolsMessage.from;
        assert.equal(new Set([aliceId, bobId, carolId]).size, 3);
        await assert.rejects(alice.nextMessage(300), /no message/, 'alice heard the kitchen');

        assert.deepEqual(await connectionsInTable(doc), { [aliceId]: 'lobby', [bobId]: 'lobby', [carolId]: 'kitchen' });

        alice.close();
        bob.close();
        await Promise.all([alice.waitClosed(), bob.waitClosed()]);
        // $disconnect runs after the close; wait (bounded) until both are gone from the table.
        const deadline = Date.now() + 10000;
        let live;
        for (;;) {
          live = await connectionsInTable(doc);
          if (Object.keys(live).length === 1 || Date.now() > deadline) break;
          await delay(50);
        }
        assert.deepEqual(live, { [carolId]: 'kitchen' });
        carol.close();
        doc.destroy();
      } finally {
        await gateway.stop();
      }
    });
  }
});
