// DynamoDB as wsgw-emulate serves it: tables declared in routes.json, state kept under
// --data-dir across restarts, --dynamodb-port serving it alone, expired TTL items, refused
// declarations and oversized requests. The API itself is in dynamodb_sdk/boto3/differential.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { rawRequest } from './support/dynamodb.mjs';
import { makeTempDir, runGateway, startGateway, writeRoutesFile } from './support/gateway.mjs';
import { rawHttp, upgradeRequest } from './support/raw_client.mjs';

const T = { timeout: 60000 };

const FUNCTIONS = { f: { url: 'http://127.0.0.1:9/2015-03-31/functions/f/invocations' } };
const ROUTES = { $default: { function: 'f' } };

function routesWithTables(tables) {
  return { name: 'tables', functions: FUNCTIONS, routes: ROUTES, tables };
}

const endpointOf = (gateway) => `http://127.0.0.1:${gateway.port}`;

describe('DynamoDB served by wsgw-emulate', () => {
  test('tables declared in routes.json exist at start-up, with their index and TTL', T, async () => {
    const gateway = await startGateway({
      routes: routesWithTables({
        connections: {
          hashKey: 'connectionId',
          indexes: { byRoom: { hashKey: 'roomId', projection: 'KEYS_ONLY' } },
          ttlAttribute: 'expiresAt',
        },
      }),
      args: ['--dynamodb-in-memory'],
    });
    const endpoint = endpointOf(gateway);
    assert.equal(gateway.ready.dynamodbEndpoint, endpoint);
    const described = await rawRequest(endpoint, 'DescribeTable', { TableName: 'connections' });
    assert.equal(described.status, 200, described.text);
    const table = described.json.Table;
    assert.equal(table.TableStatus, 'ACTIVE');
    assert.deepEqual(table.KeySchema, [{ AttributeName: 'connectionId', KeyType: 'HASH' }]);
    assert.equal(table.GlobalSecondaryIndexes[0].IndexName, 'byRoom');
    assert.equal(table.GlobalSecondaryIndexes[0].Projection.ProjectionType, 'KEYS_ONLY');
    const ttl = await rawRequest(endpoint, 'DescribeTimeToLive', { TableName: 'connections' });
    assert.deepEqual(ttl.json.TimeToLiveDescription, {
      AttributeName: 'expiresAt',
      TimeToLiveStatus: 'ENABLED',
    });

    // An item whose TTL has passed is never read back, though DynamoDB may still show it.
    const past = Math.floor(Date.now() / 1000) - 60;
    await rawRequest(endpoint, 'PutItem', {
      TableName: 'connections',
      Item: { connectionId: { S: 'old' }, roomId: { S: 'r' }, expiresAt: { N: String(past) } },
    });
    await rawRequest(endpoint, 'PutItem', {
      TableName: 'connections',
      Item: { connectionId: { S: 'new' }, roomId: { S: 'r' }, expiresAt: { N: String(past + 7200) } },
    });
    const old = await rawRequest(endpoint, 'GetItem', {
      TableName: 'connections',
      Key: { connectionId: { S: 'old' } },
    });
    assert.equal(old.status, 200);
    assert.equal(old.json.Item, undefined);
    const scan = await rawRequest(endpoint, 'Scan', { TableName: 'connections' });
    assert.deepEqual(scan.json.Items.map((item) => item.connectionId.S), ['new']);
    await gateway.stop();
  });

  test('a declaration DynamoDB would refuse stops start-up with the file, table and reason', T, async () => {
    const file = await writeRoutesFile(
      routesWithTables({
        clash: {
          hashKey: 'id',
          // The same attribute as the table's key, with another type.
          indexes: { byId: { hashKey: { name: 'id', type: 'N' } } },
        },
      }),
    );
    const result = await runGateway(['--routes', file, '--port', '0', '--dynamodb-in-memory']);
    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stderr, /routes\.json: \$\.tables\.clash: DynamoDB refuses the table: /);
  });

  test('an invalid "tables" section is reported like any routes.json problem', T, async () => {
    const file = await writeRoutesFile(routesWithTables({ t1: { hashKey: 'id' } }));
    const result = await runGateway(['--check', file]);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /\$\.tables\.t1: expected a table name of 3 to 255 letters/);
  });

  test('tables and items survive a restart with the same --data-dir', T, async () => {
    const dataDir = await makeTempDir();
    const routes = routesWithTables({ notes: { hashKey: 'id' } });
    const first = await startGateway({ routes, args: ['--data-dir', dataDir] });
    const put = await rawRequest(endpointOf(first), 'PutItem', {
      TableName: 'notes',
      Item: { id: { S: 'kept' }, n: { N: '12345678901234567890.123456789' } },
    });
    assert.equal(put.status, 200, put.text);
    await first.stop();

    const second = await startGateway({ routes, args: ['--data-dir', dataDir] });
    const got = await rawRequest(endpointOf(second), 'GetItem', {
      TableName: 'notes',
      Key: { id: { S: 'kept' } },
    });
    assert.deepEqual(got.json.Item, { id: { S: 'kept' }, n: { N: '12345678901234567890.123456789' } });
    await second.stop();
  });

  test('--dynamodb-port serves DynamoDB alone on a second port', T, async () => {
    const gateway = await startGateway({
      routes: routesWithTables({ solo: { hashKey: 'id' } }),
      args: ['--dynamodb-in-memory', '--dynamodb-port', '0'],
    });
    const only = gateway.ready.dynamodbOnlyEndpoint;
    assert.match(only, /^http:\/\/127\.0\.0\.1:\d+$/);
    const port = Number(new URL(only).port);
    assert.notEqual(port, gateway.port);
    const listed = await rawRequest(only, 'ListTables', {});
    assert.deepEqual(listed.json.TableNames, ['solo']);

    const upgrade = (await rawHttp(port, upgradeRequest('/local'))).response;
    assert.equal(upgrade.status, 404);
    assert.match(upgrade.body, /serves only AWS API requests/);
    const page = (await rawHttp(port, 'GET / HTTP/1.1\r\nHost: x\r\n\r\n')).response;
    assert.equal(page.status, 404);
    assert.match(page.body, /WebSocket APIs and @connections are at http:\/\/127\.0\.0\.1:\d+\//);
    await gateway.stop();
  });

  test('a request over 16 MB is a ValidationException and the gateway keeps serving', T, async () => {
    const gateway = await startGateway({ routes: routesWithTables({ big: { hashKey: 'id' } }), args: ['--dynamodb-in-memory'] });
    const endpoint = endpointOf(gateway);
    const huge = JSON.stringify({ TableName: 'big', Item: { id: { S: 'x'.repeat(17 * 1024 * 1024) } } });
    const refused = await rawRequest(endpoint, 'PutItem', huge);
    assert.equal(refused.status, 400);
    assert.equal(refused.json.__type, 'com.amazon.coral.validate#ValidationException');
    assert.match(refused.json.message, /larger than 16777216 bytes/);
    const after = await rawRequest(endpoint, 'Scan', { TableName: 'big' });
    assert.equal(after.status, 200);
    assert.equal(after.json.Count, 0);
    await gateway.stop();
  });
});
